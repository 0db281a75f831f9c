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
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

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
    seconds: int = PAGE_SECONDS


def event_page(*, slug: str, language: str, host: str) -> EventPage:
    """The published event named `slug` (404 otherwise) and its page's cache key.

    A warm cache answers with two reads and no query: the generation and the event in one,
    the seats left in the other. Entries of an older generation are ignored.
    """
    found = cache.get_many([GENERATION_KEY, _event_key(slug)])
    current = found.get(GENERATION_KEY) or _new_generation()
    cached = found.get(_event_key(slug))
    if cached is not None and cached[0] == current:
        event = cached[1]
    else:
        event = event_get_public(slug=slug)
        cache.set(_event_key(slug), (current, event), EVENT_SECONDS)

    cached = cache.get(_seats_key(event.pk))
    if cached is not None and cached[0] == current:
        seats = cached[1]
    else:
        seats = {
            room.pk: max(room.capacity - room.seats_taken, 0)
            for room in rooms_with_occupancy(event=event)
        }
        cache.set(_seats_key(event.pk), (current, seats), SEATS_SECONDS)

    parts = [event.pk, current, sorted(seats.items()), event.registration_state(), language, host]
    return EventPage(event=event, key=hashlib.sha256(repr(parts).encode()).hexdigest()[:32])


def forget_programme(**kwargs) -> None:
    """A public event's data changed: every cached event page is outdated."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def forget_seats(*, instance, **kwargs) -> None:
    """A registration changed: the seats of its event are counted again on the next view."""
    cache.delete(_seats_key(instance.event_id))


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
