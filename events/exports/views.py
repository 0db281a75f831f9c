"""Download views for the programme exports; the work is in ical.py, pdf.py and cache.py."""

import re

from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from events.exports import ical, pdf
from events.exports.cache import (
    event_with_state,
    export_response,
    export_version,
    known_sizes,
    published_event_with_state,
)
from events.models import Event
from events.selectors import programme_for
from registrations.models import Registration


def export_language(request, default: str = "") -> str:
    """`?lang=de|en` (for calendar subscriptions, which send no language), else `default`, else
    the request's."""
    requested = request.GET.get("lang", "")
    if requested in dict(settings.LANGUAGES):
        return requested
    return default or translation.get_language() or settings.LANGUAGE_CODE


def _event_with_state(slug: str) -> Event:
    event = published_event_with_state(slug=slug)
    if event is None:
        raise Http404
    return event


def _filename(event: Event, name, extension: str, language: str, **params) -> str:
    """The download's name in `language`, e.g. koki-abschluss-programm.pdf (`name`: a lazy
    translation, with %(…)s `params`)."""
    with translation.override(language):
        return f"{event.slug}-{slugify(str(name) % params)}.{extension}"


def size_name(event: Event, kind: str, language: str) -> str:
    """The name under which the last known size of an export is kept (event page hint)."""
    return f"{kind}:{event.pk}:{language}"


@require_safe
def programme_pdf(request, slug: str):
    event = _event_with_state(slug)
    language = export_language(request)
    version = export_version(event=event)

    def render() -> bytes:
        programme = programme_for(event=event, with_occupancy=False)
        return pdf.programme_pdf(programme=programme, language=language)

    filename = _filename(event, _("programme"), "pdf", language)
    return export_response(
        request,
        version=version,
        kind="pdf",
        parts=(event.pk, language),
        render=render,
        content_type=pdf.CONTENT_TYPE,
        filename=filename,
        disposition="inline",
        size_name=size_name(event, "pdf", language),
    )


@require_safe
def programme_ical(request, slug: str):
    event = _event_with_state(slug)
    language = export_language(request)
    version = export_version(event=event)

    def render() -> bytes:
        programme = programme_for(event=event, with_occupancy=False)
        with translation.override(language):
            return ical.programme_calendar(programme=programme)

    filename = _filename(event, _("programme"), "ics", language)
    return export_response(
        request,
        version=version,
        kind="ics",
        parts=(event.pk, language),
        render=render,
        content_type=ical.CONTENT_TYPE,
        filename=filename,
        size_name=size_name(event, "ics", language),
    )


@require_safe
def room_ical(request, slug: str, number: int):
    event = _event_with_state(slug)
    language = export_language(request)
    version = export_version(event=event)

    def render() -> bytes:
        programme = programme_for(event=event, with_occupancy=False)
        room = next((room for room in programme.rooms if room.number == number), None)
        if room is None:
            raise Http404
        with translation.override(language):
            return ical.room_calendar(programme=programme, room=room)

    filename = _filename(event, _("room %(number)s"), "ics", language, number=number)
    return export_response(
        request,
        version=version,
        kind="room-ics",
        parts=(event.pk, number, language),
        render=render,
        content_type=ical.CONTENT_TYPE,
        filename=filename,
    )


# Registration tokens are url-safe base64 (registrations.models.new_token).
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@require_safe
def personal_ical(request, token: str):
    if not TOKEN_PATTERN.fullmatch(token):
        raise Http404  # never hand the database a NUL byte or a megabyte
    registration = (
        Registration.objects.select_related("room")
        .filter(token=token, status=Registration.Status.CONFIRMED)
        .first()
    )
    if registration is None:
        raise Http404
    event = event_with_state(pk=registration.event_id)
    registration.event = event
    language = export_language(request, default=registration.language)
    version = export_version(
        event=event,
        extra=(registration.pk, registration.room_id, registration.updated_at),
    )

    def render() -> bytes:
        programme = programme_for(event=event, with_occupancy=False)
        with translation.override(language):
            return ical.personal_calendar(programme=programme, registration=registration)

    filename = _filename(event, _("my programme"), "ics", language)
    return export_response(
        request,
        version=version,
        kind="personal-ics",
        parts=(registration.pk, language),
        render=render,
        content_type=ical.CONTENT_TYPE,
        filename=filename,
        private=True,
    )


def export_sizes(*, event: Event, language: str) -> dict[str, int]:
    """The last known sizes of the event's PDF and calendar (for the hints next to the links)."""
    names = {kind: size_name(event, kind, language) for kind in ("pdf", "ics")}
    known = known_sizes(names=list(names.values()))
    return {kind: known[name] for kind, name in names.items() if name in known}
