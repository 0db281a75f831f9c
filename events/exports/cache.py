"""Caching and conditional requests for the programme exports.

An export depends on the event, its agenda items, rooms, speakers and the item–speaker links.
One query (annotations on the event row, or on the registration row for the personal feed) gives
the latest change of each and their counts; a hash of those is the export's version. A deletion
changes a count, an edit a timestamp, an addition both. Rendered files are kept in Django's cache
under event + kind + language + version, so any change makes the next request render afresh
and old entries simply expire.
"""

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, DateTimeField, IntegerField, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, quote_etag

from events.models import AgendaItem, AgendaItemSpeaker, Room, Speaker

logger = logging.getLogger(__name__)

# Raise when the output of an export changes for the same data (templates, CSS, iCal layout).
EXPORT_FORMAT = 1
CACHE_SECONDS = 24 * 60 * 60

# Sent after every real render (never for a cache hit): sender is the export kind.
export_rendered = Signal()

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _aggregate(queryset, group: str, aggregate, output_field):
    """A correlated subquery: one aggregate over `queryset`, grouped by the event column."""
    return Subquery(
        queryset.order_by().values(group).annotate(value=aggregate).values("value")[:1],
        output_field=output_field,
    )


def with_export_state(queryset, *, event_ref: str = "pk"):
    """Annotate event rows (or rows that point to an event via `event_ref`) with export state."""
    event = OuterRef(event_ref)
    items = AgendaItem.objects.filter(event=event)
    rooms = Room.objects.filter(event=event)
    links = AgendaItemSpeaker.objects.filter(agenda_item__event=event)
    speakers = Speaker.objects.filter(agenda_links__agenda_item__event=event)
    when, number = DateTimeField(), IntegerField()
    link_group, speaker_group = "agenda_item__event", "agenda_links__agenda_item__event"
    return queryset.annotate(
        export_items_changed=_aggregate(items, "event", Max("updated_at"), when),
        export_items_count=Coalesce(_aggregate(items, "event", Count("pk"), number), 0),
        export_rooms_changed=_aggregate(rooms, "event", Max("updated_at"), when),
        export_rooms_count=Coalesce(_aggregate(rooms, "event", Count("pk"), number), 0),
        export_speakers_changed=_aggregate(speakers, speaker_group, Max("updated_at"), when),
        export_links_count=Coalesce(_aggregate(links, link_group, Count("pk"), number), 0),
        export_links_last=Coalesce(_aggregate(links, link_group, Max("pk"), number), 0),
    )


STATE_FIELDS = (
    "export_items_changed",
    "export_items_count",
    "export_rooms_changed",
    "export_rooms_count",
    "export_speakers_changed",
    "export_links_count",
    "export_links_last",
)


def copy_export_state(*, source, event) -> None:
    """Move the annotations of a row that points to `event` (a registration) onto the event."""
    for name in STATE_FIELDS:
        setattr(event, name, getattr(source, name))


@dataclass(frozen=True)
class ExportVersion:
    """What a cached export was rendered from: a hash and the latest change."""

    token: str
    last_modified: dt.datetime

    @property
    def timestamp(self) -> int:
        return int(self.last_modified.timestamp())


def export_version(*, event, extra: tuple = ()) -> ExportVersion:
    """The version of `event`'s exports from the annotations `with_export_state` added."""
    changes = [
        event.updated_at,
        event.export_items_changed,
        event.export_rooms_changed,
        event.export_speakers_changed,
        *(value for value in extra if isinstance(value, dt.datetime)),
    ]
    last_modified = max((moment for moment in changes if moment is not None), default=_EPOCH)
    parts = [
        EXPORT_FORMAT,
        event.pk,
        *(moment.isoformat() if moment else "-" for moment in changes),
        event.export_items_count,
        event.export_rooms_count,
        event.export_links_count,
        event.export_links_last,
        *extra,
    ]
    token = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]
    return ExportVersion(token=token, last_modified=last_modified)


def cache_key(*parts) -> str:
    return "koki:export:" + ":".join(str(part) for part in parts)


def cached_render(*, key: str, kind: str, render: Callable[[], bytes]) -> bytes:
    """The cached bytes under `key`, or render, store and return them."""
    content = cache.get(key)
    if content is not None:
        return content
    started = time.perf_counter()
    content = render()
    seconds = time.perf_counter() - started
    cache.set(key, content, CACHE_SECONDS)
    logger.info("Rendered %s export (%d bytes) in %.3f s", kind, len(content), seconds)
    export_rendered.send(sender=kind, key=key, size=len(content), seconds=seconds)
    return content


def _size_key(name: str) -> str:
    return cache_key("size", name)


def remember_size(*, name: str, size: int) -> None:
    """Keep the last known size of an export, for the size hint next to its link."""
    cache.set(_size_key(name), size, None)


def known_sizes(*, names: list[str]) -> dict[str, int]:
    found = cache.get_many([_size_key(name) for name in names])
    return {name: found[_size_key(name)] for name in names if _size_key(name) in found}


def export_response(
    request,
    *,
    version: ExportVersion,
    key: str,
    kind: str,
    render: Callable[[], bytes],
    content_type: str,
    filename: str,
    disposition: str = "attachment",
    private: bool = False,
    size_name: str = "",
) -> HttpResponse:
    """Answer with 304 when the client has this version, else the (cached) export.

    The ETag is weak: a re-render of the same version differs only in DTSTAMP and the PDF's
    creation date.
    """
    # The ETag names this file in this language at this version; Last-Modified is the data's.
    etag = "W/" + quote_etag(hashlib.sha256(key.encode()).hexdigest()[:32])
    not_modified = get_conditional_response(request, etag=etag, last_modified=version.timestamp)
    if not_modified is None:
        content = cached_render(key=key, kind=kind, render=render)
        if size_name:
            remember_size(name=size_name, size=len(content))
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    else:
        response = not_modified
        if not isinstance(response, HttpResponseNotModified):
            return response  # 412 Precondition Failed
    response["ETag"] = etag
    response["Last-Modified"] = http_date(version.timestamp)
    # Clients keep the file but ask again each time; a 304 costs one query.
    response["Cache-Control"] = "private, no-cache" if private else "public, no-cache"
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    if private:
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response
