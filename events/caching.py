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

So the page never shows outdated data after a change made through the ORM, and a cache hit
costs the event query and one or two cache reads, no programme queries.
"""

import hashlib
import uuid

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

from events.models import AgendaItem, AgendaItemSpeaker, Event, Room, Speaker

GENERATION_KEY = "koki:event-page:generation"
SEATS_SECONDS = 30
PAGE_SECONDS = 60 * 60


def generation() -> str:
    """The current generation of public event data (made anew when the cache lost it)."""
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        value = cache.get(GENERATION_KEY)
    return value


def _seats_key(event_pk: int, generation: str) -> str:
    return f"koki:event-page:seats:{event_pk}:{generation}"


def seats_left(*, event: Event, generation: str) -> dict[int, int]:
    """Seats left per room pk, from the cache or one query."""
    from events.selectors import rooms_with_occupancy

    key = _seats_key(event.pk, generation)
    seats = cache.get(key)
    if seats is None:
        seats = {
            room.pk: max(room.capacity - room.seats_taken, 0)
            for room in rooms_with_occupancy(event=event)
        }
        cache.set(key, seats, SEATS_SECONDS)
    return seats


def event_page_key(*, event: Event, language: str, host: str) -> str:
    """Everything the cached part of the event page depends on, as one short string."""
    current = generation()
    seats = seats_left(event=event, generation=current)
    parts = [
        event.pk,
        current,
        sorted(seats.items()),
        event.registration_state(),
        language,
        host,
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def forget_programme(**kwargs) -> None:
    """A public event's data changed: every cached event page is outdated."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def forget_seats(*, instance, **kwargs) -> None:
    """A registration changed: the seats of its event are counted again on the next view."""
    current = cache.get(GENERATION_KEY)
    if current is not None:
        cache.delete(_seats_key(instance.event_id, current))


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
