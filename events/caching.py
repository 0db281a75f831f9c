"""The event page's rendered programme, kept in the cache (Redis in production).

Rendering the page costs a few database queries and a large template; in a registration rush
the page is read far more often than it changes. `{% cache %}` in events/event_detail.html
keeps the rendered article under a key made of everything it shows:

- a *generation* that changes whenever an event, room, agenda item, speaker or speaker link is
  saved or deleted (the signal receivers below: admin, services, shell alike);
- the seats left per room, cached for a short time and forgotten whenever a registration is
  saved or deleted (an expiring hold changes nothing in the database: `SEATS_SECONDS` bounds
  how long the page can show its seat as taken);
- the registration state (open, closed …), which moves with the clock, the language, the host.

The event itself is cached too, under the same generation, so a cache hit costs three cache
reads and no query. The page is never outdated after a `save()` or `delete()` (admin, services,
shell); a `QuerySet.update()` sends no signal, so after one the page follows within
`EVENT_SECONDS` (the event) or `PAGE_SECONDS` (the rest).
"""

import hashlib
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from events.models import AgendaItem, AgendaItemSpeaker, Event, Room, Speaker
from events.selectors import event_get_public, rooms_with_occupancy

GENERATION_KEY = "koki:event-page:generation"
SEATS_SECONDS = 30
EVENT_SECONDS = 60
PAGE_SECONDS = 10 * 60


def _new_generation() -> str:
    cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
    return cache.get(GENERATION_KEY)


def _event_key(slug: str) -> str:
    return f"koki:event-page:event:{slug}"


def _seats_key(event_pk: int) -> str:
    return f"koki:event-page:seats:{event_pk}"


@dataclass
class EventPage:
    """The published event and the key of its cached article (see the module's docstring)."""

    event: Event
    key: str


# The events last looked up, per process: (expires, generation, event). While its generation
# is current, a request reads only the generation from the shared cache, not the pickled event;
# never for longer than LOCAL_EVENT_SECONDS (a QuerySet.update() changes no generation).
LOCAL_EVENT_SECONDS = 10.0
_events: dict[str, tuple[float, str, Event]] = {}


def _event_lookup(slug: str, extra_keys: list[str]) -> tuple[Event, str, dict]:
    """The published event, the current generation and whatever else `extra_keys` found."""
    expires, local_generation, local = _events.get(slug, (0.0, "", None))
    local_fresh = local is not None and expires > time.monotonic()
    keys = [GENERATION_KEY, *([] if local_fresh else [_event_key(slug)]), *extra_keys]
    found = cache.get_many(keys)
    current = found.get(GENERATION_KEY) or _new_generation()
    if local_fresh and local_generation == current:
        return local, current, found
    cached = cache.get(_event_key(slug)) if local_fresh else found.get(_event_key(slug))
    if cached is not None and cached[0] == current:
        event = cached[1]
    else:
        event = event_get_public(slug=slug)
        cache.set(_event_key(slug), (current, event), EVENT_SECONDS)
    _events[slug] = (time.monotonic() + LOCAL_EVENT_SECONDS, current, event)
    return event, current, found


def published_event(*, slug: str) -> tuple[Event, str]:
    """The published event named `slug` (404 otherwise) and the current generation.

    A warm cache answers with one read and no query; the event is never older than its last
    `save()` (the generation changes then).
    """
    event, generation, _found = _event_lookup(slug, [])
    return event, generation


# The rooms with their occupancy, per process and for at most OCCUPANCY_SECONDS: in a
# registration rush every form page shows the seats left, and four counts a second per process
# serve them all. Registrations do not forget it (each would, in a rush): the seats shown are up
# to a quarter second old, which nobody reading a form notices; whoever takes a seat is counted
# afresh under the room's lock.
OCCUPANCY_SECONDS = 0.25
_occupancy: dict[int, tuple[float, str, list[Room]]] = {}  # event pk: (expires, generation, rooms)


def room_occupancy(*, event: Event, generation: str) -> list[Room]:
    """The event's rooms with `seats_taken` and `waiting_count`, at most OCCUPANCY_SECONDS old.

    For showing them only: whoever takes a seat counts again under the room's lock.
    """
    now = time.monotonic()
    expires, cached_generation, rooms = _occupancy.get(event.pk, (0.0, "", []))
    if expires > now and cached_generation == generation:
        return rooms
    rooms = list(rooms_with_occupancy(event=event))
    _occupancy[event.pk] = (now + OCCUPANCY_SECONDS, generation, rooms)
    return rooms


def page_key(*parts) -> str:
    """A cache key naming everything a page shows (pass them all as `parts`)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def event_page(*, slug: str, language: str, host: str) -> EventPage:
    """The published event named `slug` (404 otherwise) and its page's cache key.

    A warm cache answers with one read and no query: the generation, the event and its seats
    left. Entries of an older generation are ignored.
    """
    # The event's pk as last seen here lets the same read fetch its seats too (a wrong or
    # missing hint costs one more read, never a wrong page).
    hint = _events[slug][2].pk if slug in _events else None
    event, current, found = _event_lookup(slug, [_seats_key(hint)] if hint else [])

    seats_key = _seats_key(event.pk)
    cached = found.get(seats_key) if event.pk == hint else cache.get(seats_key)
    if cached is not None and cached[0] == current:
        seats = cached[1]
    else:
        # What the page says of each room: the seats left, or whether its waiting list is open.
        seats = {
            room.pk: (room.seats_left, room.waiting_count < room.waiting_list_size)
            for room in rooms_with_occupancy(event=event)
        }
        cache.set(seats_key, (current, seats), SEATS_SECONDS)

    parts = [event.pk, current, sorted(seats.items()), event.registration_state(), language, host]
    return EventPage(event=event, key=page_key(*parts))


# --- The whole page -------------------------------------------------------------------------
# The article is the costly part, but base.html (language switcher, CSRF token) costs as much
# again. A visitor without messages, login or query string gets the whole page from the cache,
# with a fresh CSRF token put in place of the stored one.
#
# A page may also have *holes*: placeholders rendered in place of what changes too often to be
# part of the key (the register form's seats left per room). The stored page keeps them; each
# response fills them with `holes`, a mapping of placeholder to (escaped) HTML.

CSRF_PLACEHOLDER = "\x00koki-csrf-token\x00"
CSRF_FIELD = re.compile(r'(name="csrfmiddlewaretoken" value=")([^"]+)(")')


def _page_key(page_key: str, path: str) -> str:
    return f"koki:event-page:html:{page_key}:{hashlib.sha256(path.encode()).hexdigest()[:16]}"


def whole_page_allowed(request: HttpRequest) -> bool:
    """Only for anonymous GETs without a query string and without pending messages."""
    return (
        request.method == "GET"
        and not request.META.get("QUERY_STRING")
        and not request.user.is_authenticated
        and len(get_messages(request)) == 0  # counts without marking them as shown
    )


# A page's key names everything it shows, so what is stored under a key never changes: each
# process keeps the last few pages in memory and skips that cache read (the key read stays).
LOCAL_PAGES = 32
_local_pages: OrderedDict[str, tuple[float, str]] = OrderedDict()  # key: (expires, html)
_local_lock = threading.Lock()


def _remember(key: str, html: str, seconds: int) -> None:
    with _local_lock:
        _local_pages[key] = (time.monotonic() + seconds, html)
        _local_pages.move_to_end(key)
        while len(_local_pages) > LOCAL_PAGES:
            _local_pages.popitem(last=False)


def _fill(html: str, holes: dict[str, str] | None) -> str:
    for placeholder, value in (holes or {}).items():
        html = html.replace(placeholder, value)
    return html


def _cached_page(
    *, request: HttpRequest, key: str, holes: dict[str, str] | None = None
) -> HttpResponse | None:
    key = _page_key(key, request.path)
    expires, html = _local_pages.get(key, (0.0, None))
    if expires < time.monotonic():  # not here, or older than the shared entry would be
        html = cache.get(key)
        if html is None:
            return None
        _remember(key, html, PAGE_SECONDS)
    return HttpResponse(_fill(html.replace(CSRF_PLACEHOLDER, get_token(request)), holes))


def _store_page(
    *,
    request: HttpRequest,
    key: str,
    response: HttpResponse,
    holes: dict[str, str] | None = None,
) -> None:
    """Keep a rendered page, its CSRF tokens replaced by the placeholder, its holes open
    (called after render); the response itself goes out with its holes filled."""
    html = response.content.decode()
    if holes:
        response.content = _fill(html, holes)
    if response.status_code != 200 or "nonce-" in response.get("Content-Security-Policy", ""):
        return  # a per-request nonce would be wrong for the next visitor
    html = CSRF_FIELD.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<3>", html)
    key = _page_key(key, request.path)
    cache.set(key, html, PAGE_SECONDS)
    _remember(key, html, PAGE_SECONDS)


def serve_page(
    *,
    request: HttpRequest,
    key: str,
    render: Callable[[], HttpResponse],
    holes: dict[str, str] | None = None,
) -> HttpResponse:
    """The page stored under `key` (see page_key) with fresh holes, or else `render()`'s
    response, stored once rendered.

    `render` must render any holes as their placeholders; the caller checks
    `whole_page_allowed` first.
    """
    if response := _cached_page(request=request, key=key, holes=holes):
        return response
    response = render()
    response.add_post_render_callback(
        lambda rendered: _store_page(request=request, key=key, response=rendered, holes=holes)
    )
    return response


def forget_programme(**kwargs) -> None:
    """A public event's data changed: every cached event page is outdated.

    Twice: at once, and again when the transaction commits. A request between the two reads the
    data as still committed and may store it under the first new generation; the second one
    makes sure nothing stored in that gap outlives the commit.
    """
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, uuid.uuid4().hex, None))


def forget_seats(*, instance, **kwargs) -> None:
    """A registration changed: the seats of its event are counted again on the next view."""
    cache.delete(_seats_key(instance.event_id))


def forget_occupancy() -> None:
    """Count the rooms again on the next form page (tests; OCCUPANCY_SECONDS pass otherwise)."""
    _occupancy.clear()


def connect_signals() -> None:
    """Called from EventsConfig.ready()."""
    for model in (Event, Room, AgendaItem, Speaker, AgendaItemSpeaker):
        name = model.__name__
        post_save.connect(forget_programme, sender=model, dispatch_uid=f"koki-page-save-{name}")
        post_delete.connect(forget_programme, sender=model, dispatch_uid=f"koki-page-del-{name}")
    m2m_changed.connect(
        forget_programme, sender=AgendaItem.speakers.through, dispatch_uid="koki-page-speakers"
    )
    post_save.connect(
        forget_seats, sender="registrations.Registration", dispatch_uid="koki-seats-save"
    )
    post_delete.connect(
        forget_seats, sender="registrations.Registration", dispatch_uid="koki-seats-del"
    )
