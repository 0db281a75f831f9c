"""Caching and conditional requests for the programme exports.

An export depends on the event, its agenda items, rooms, speakers and the item–speaker links.
One query (the event row with subqueries) gives the latest change of each and their counts; a
hash of those is the export's version. A deletion changes a count, an edit a timestamp, an
addition both. Rendered files are kept in Django's cache under event + kind + language +
version, so any change makes the next request render afresh and old entries simply expire.
"""

import datetime as dt
import functools
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.dispatch import Signal
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag

from events.models import AgendaItem, AgendaItemSpeaker, Event, Room, Speaker

logger = logging.getLogger(__name__)

# Raise when the output of an export changes for the same data (templates, CSS, iCal layout).
EXPORT_FORMAT = 1
CACHE_SECONDS = 24 * 60 * 60

# Sent after every real render (never for a cache hit): sender is the export kind.
export_rendered = Signal()

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@functools.cache
def _state_sql() -> str:
    """The event row plus the latest change and the count of everything its exports show.

    Hand-written SQL (portable: SQLite and PostgreSQL): compiling the same query through the ORM
    cost more than running it, and this query runs on every export request, hits included.
    """
    event, item, room, link, speaker = (
        model._meta.db_table for model in (Event, AgendaItem, Room, AgendaItemSpeaker, Speaker)
    )
    # Only our own table names are formatted in; every value is a query parameter.
    return f"""
        SELECT e.*,
          (SELECT MAX(i.updated_at) FROM {item} i WHERE i.event_id = e.id)
            AS export_items_changed,
          (SELECT COUNT(*) FROM {item} i WHERE i.event_id = e.id) AS export_items_count,
          (SELECT MAX(r.updated_at) FROM {room} r WHERE r.event_id = e.id)
            AS export_rooms_changed,
          (SELECT COUNT(*) FROM {room} r WHERE r.event_id = e.id) AS export_rooms_count,
          (SELECT MAX(s.updated_at) FROM {speaker} s
             JOIN {link} l ON l.speaker_id = s.id
             JOIN {item} i ON i.id = l.agenda_item_id
            WHERE i.event_id = e.id) AS export_speakers_changed,
          (SELECT COUNT(*) FROM {link} l JOIN {item} i ON i.id = l.agenda_item_id
            WHERE i.event_id = e.id) AS export_links_count,
          (SELECT MAX(l.id) FROM {link} l JOIN {item} i ON i.id = l.agenda_item_id
            WHERE i.event_id = e.id) AS export_links_last
        FROM {event} e
    """  # noqa: S608


def _as_datetime(value) -> dt.datetime | None:
    """Aggregates come back as datetimes (PostgreSQL) or as UTC text (SQLite)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _event_with_state(where: str, params: list) -> Event | None:
    events = list(Event.objects.raw(_state_sql() + where, params))
    if not events:
        return None
    event = events[0]
    for name in ("export_items_changed", "export_rooms_changed", "export_speakers_changed"):
        setattr(event, name, _as_datetime(getattr(event, name)))
    return event


class _VersionMemo:
    """Per process: the event row with its export state, for settings.KOKI_EXPORT_VERSION_SECONDS.

    Micro-caching: under load, a burst of requests for the same file shares one version query,
    and a change shows up at most that many seconds late (0 switches the memo off).
    """

    max_entries = 256

    def __init__(self):
        self._entries: dict[str, tuple[float, Event]] = {}
        self._lock = threading.Lock()

    def get(self, slug: str) -> Event | None:
        entry = self._entries.get(slug)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    def set(self, slug: str, event: Event, seconds: float) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[slug] = (time.monotonic() + seconds, event)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


version_memo = _VersionMemo()


def published_event_with_state(*, slug: str) -> Event | None:
    """The published event with this slug, carrying what `export_version` needs: one query
    (none while the per-process memo holds it)."""
    seconds = settings.KOKI_EXPORT_VERSION_SECONDS
    if seconds > 0:
        event = version_memo.get(slug)
        if event is not None:
            return event
    event = _event_with_state("WHERE e.slug = %s AND e.is_published = %s", [slug, True])
    if event is not None and seconds > 0:
        version_memo.set(slug, event, seconds)
    return event


def event_with_state(*, pk: int) -> Event | None:
    return _event_with_state("WHERE e.id = %s", [pk])


@dataclass(frozen=True)
class ExportVersion:
    """What a cached export was rendered from: a hash and the latest change."""

    token: str
    last_modified: dt.datetime

    @property
    def timestamp(self) -> int:
        return int(self.last_modified.timestamp())


def export_version(*, event, extra: tuple = ()) -> ExportVersion:
    """The version of `event`'s exports as loaded by `published_event_with_state`."""
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
        event.export_links_last or 0,
        *extra,
    ]
    token = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]
    return ExportVersion(token=token, last_modified=last_modified)


def cache_key(*parts) -> str:
    return "koki:export:" + ":".join(str(part) for part in parts)


class _LocalCache:
    """A small per-process LRU in front of Django's cache, for the hottest exports.

    Keys carry the data's version, so an entry can never be stale: a change makes new keys and
    old entries fall out. It saves the round trip to Redis and the unpickling on a hit.
    """

    def __init__(self, *, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            content = self._entries.get(key)
            if content is not None:
                self._entries.move_to_end(key)
            return content

    def set(self, key: str, content: bytes) -> None:
        if len(content) > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = content
            self._size += len(content)
            while self._size > self.max_bytes:
                _old_key, old = self._entries.popitem(last=False)
                self._size -= len(old)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


local_cache = _LocalCache(max_bytes=16 * 1024 * 1024)


def cached_render(
    *, key: str, kind: str, render: Callable[[], bytes], size_name: str = ""
) -> bytes:
    """The cached bytes under `key` (this process, then Django's cache), or render and store."""
    content = local_cache.get(key)
    if content is not None:
        return content
    content = cache.get(key)
    if content is not None:
        local_cache.set(key, content)
        return content
    started = time.perf_counter()
    content = render()
    seconds = time.perf_counter() - started
    cache.set(key, content, CACHE_SECONDS)
    local_cache.set(key, content)
    if size_name:
        remember_size(name=size_name, size=len(content))
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
    kind: str,
    parts: tuple,
    render: Callable[[], bytes],
    content_type: str,
    filename: str,
    disposition: str = "attachment",
    private: bool = False,
    size_name: str = "",
) -> HttpResponse:
    """Answer with 304 when the client has this version, else the (cached) export.

    The ETag is weak: a re-render of the same version differs only in DTSTAMP and the PDF's
    creation date. The cache key is the kind, `parts` (what else names the file: the event or
    registration, room, language) and the version.
    """
    key = cache_key(kind, *parts, version.token)
    # The ETag names this file in this language at this version; Last-Modified is the data's.
    etag = "W/" + quote_etag(hashlib.sha256(key.encode()).hexdigest()[:32])
    not_modified = get_conditional_response(request, etag=etag, last_modified=version.timestamp)
    if not_modified is None:
        content = cached_render(key=key, kind=kind, render=render, size_name=size_name)
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
    if private:
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response
