"""Download views for the programme exports; the work is in ical.py, pdf.py and schedule.py.

Rendered files live in the event's cache namespace (events/cache.py): any change of the event
or its programme makes the next request render afresh. ETag names the cached entry and
Last-Modified is its generation's moment, so a client's conditional request gets a 304 with
no rendering and no query.
"""

import hashlib
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from events import cache
from events.exports import ical, pdf, schedule
from events.selectors import programme_for

logger = logging.getLogger(__name__)


def export_language(request, default: str = "") -> str:
    """`?lang=de|en` (for calendar subscriptions, which send no language), else `default`, else
    the request's."""
    requested = request.GET.get("lang", "")
    if requested in dict(settings.LANGUAGES):
        return requested
    return default or translation.get_language() or settings.LANGUAGE_CODE


def export_filename(event, name, extension: str, language: str, **params) -> str:
    """The download's name in `language`, e.g. koki-abschluss-programm.pdf (`name`: a lazy
    translation, with %(…)s `params`)."""
    with translation.override(language):
        return f"{event.slug}-{slugify(str(name) % params)}.{extension}"


def _size_key(kind: str, event_id: int, language: str) -> str:
    return f"koki:export-size:{kind}:{event_id}:{language}"


def export_sizes(*, event, language: str) -> dict[str, int]:
    """The last known sizes of the event's PDF and calendar (for the hints next to the links)."""
    keys = {kind: _size_key(kind, event.pk, language) for kind in ("pdf", "ics")}
    found = shared_cache.get_many(list(keys.values()))
    return {kind: found[key] for kind, key in keys.items() if key in found}


def export_response(
    request,
    *,
    public: cache.PublicEvent,
    parts: tuple,
    render: Callable[[], bytes],
    content_type: str,
    filename: str,
    disposition: str = "attachment",
    private: bool = False,
    last_modified: int = 0,
    size_key: str = "",
) -> HttpResponse:
    """Answer with 304 when the client has this file, else the (cached) file.

    `parts` names the file besides the event's generation (kind, room, language, the
    registration and its state). The ETag is weak: a re-render differs only in DTSTAMP and the
    PDF's creation date.
    """
    key = public.key("export", *parts)
    etag = "W/" + quote_etag(hashlib.sha256(key.encode()).hexdigest()[:32])
    modified = max(public.generation.timestamp, last_modified)
    response = get_conditional_response(request, etag=etag, last_modified=modified)
    if response is None:

        def timed_render() -> bytes:
            started = time.perf_counter()
            content = render()
            seconds = time.perf_counter() - started
            logger.info(
                "Rendered %s %s (%d bytes) in %.3f s", *parts[:1], etag, len(content), seconds
            )
            if size_key:
                shared_cache.set(size_key, len(content), None)
            return content

        response = HttpResponse(cache.cached(key, timed_render), content_type=content_type)
        response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    elif not isinstance(response, HttpResponseNotModified):
        return response  # 412 Precondition Failed
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    # Clients keep the file but ask again each time; a 304 costs no query.
    response["Cache-Control"] = "private, no-cache" if private else "public, no-cache"
    if private:
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def programme_pdf(request, slug: str):
    public = cache.published_event(slug=slug)
    event, language = public.event, export_language(request)

    def render() -> bytes:
        return pdf.programme_pdf(programme=programme_for(event=event), language=language)

    return export_response(
        request,
        public=public,
        parts=("pdf", event.pk, language),
        render=render,
        content_type=pdf.CONTENT_TYPE,
        filename=export_filename(event, _("programme"), "pdf", language),
        disposition="inline",
        size_key=_size_key("pdf", event.pk, language),
    )


@require_safe
def programme_ical(request, slug: str):
    public = cache.published_event(slug=slug)
    event, language = public.event, export_language(request)

    def render() -> bytes:
        with translation.override(language):
            return ical.programme_calendar(programme=programme_for(event=event))

    return export_response(
        request,
        public=public,
        parts=("ics", event.pk, language),
        render=render,
        content_type=ical.CONTENT_TYPE,
        filename=export_filename(event, _("programme"), "ics", language),
        size_key=_size_key("ics", event.pk, language),
    )


@require_safe
def room_ical(request, slug: str, number: int):
    public = cache.published_event(slug=slug)
    event, language = public.event, export_language(request)

    def render() -> bytes:
        programme = programme_for(event=event)
        room = next((room for room in programme.rooms if room.number == number), None)
        if room is None:
            raise Http404
        with translation.override(language):
            return ical.room_calendar(programme=programme, room=room)

    return export_response(
        request,
        public=public,
        parts=("room-ics", event.pk, language, number),
        render=render,
        content_type=ical.CONTENT_TYPE,
        filename=export_filename(event, _("room %(number)s"), "ics", language, number=number),
    )


def _schedule(request, slug: str, *, kind: str, build, content_type: str):
    """The c3voc/frab schedule: in the event's language unless `?lang=` asks for another (the
    names of the plenary and the rooms, the tracks)."""
    public = cache.published_event(slug=slug)
    event = public.event
    language = export_language(request, default=settings.LANGUAGE_CODE)

    def render() -> bytes:
        with translation.override(language):
            return build(programme=programme_for(event=event))

    return export_response(
        request,
        public=public,
        parts=(f"schedule-{kind}", event.pk, language),
        render=render,
        content_type=content_type,
        filename=f"{event.slug}-schedule.{kind}",
        disposition="inline",
    )


@require_safe
def schedule_xml(request, slug: str):
    return _schedule(
        request,
        slug,
        kind="xml",
        build=schedule.schedule_xml,
        content_type=schedule.XML_CONTENT_TYPE,
    )


@require_safe
def schedule_json(request, slug: str):
    return _schedule(
        request,
        slug,
        kind="json",
        build=schedule.schedule_json,
        content_type=schedule.JSON_CONTENT_TYPE,
    )
