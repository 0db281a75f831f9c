"""Who holds a seat and how full a room is: the one place that says so.

- A seat is held by a confirmed registration, or by a pending one whose hold has not expired
  (double opt-in): `holds_seat`. An expired hold frees its seat without a job having to run.
- A waiting-list place is a registration with status "waiting": `is_waiting`.
- `RoomSeats` turns the counts into what pages and rules ask: seats free, full, waiting list
  full, whether the room still takes anyone.
- Writes take seats only under `lock_rooms` (the rooms' rows, in primary-key order) and count
  with `room_seats` after locking; pages show `event_seats`, a snapshot the shared cache keeps
  for at most `SNAPSHOT_SECONDS` and forgets whenever a registration changes.

Nothing else in the project names a status string to count seats.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from events.cache import Generation, PublicEvent, generation
from events.models import Event, Room
from registrations.models import Registration

Status = Registration.Status

# How long the seats shown on the event and register pages may lag behind an expiring hold (the
# only change that writes nothing); every saved or deleted registration forgets them at once.
SNAPSHOT_SECONDS = 5


def holds_seat(now: dt.datetime, prefix: str = "") -> Q:
    """Registrations holding a seat at `now`; `prefix` reaches them through a relation
    (e.g. "registrations__" from Room)."""
    return Q(**{f"{prefix}status": Status.CONFIRMED}) | Q(
        **{f"{prefix}status": Status.PENDING, f"{prefix}expires_at__gt": now}
    )


def is_waiting(prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": Status.WAITING})


def seat_counts(now: dt.datetime, prefix: str = "") -> dict[str, Count]:
    """The aggregates behind RoomSeats, for `.annotate()` or `.aggregate()`."""
    field = f"{prefix}pk" if prefix else "pk"
    confirmed = Q(**{f"{prefix}status": Status.CONFIRMED})
    return {
        "confirmed_count": Count(field, filter=confirmed),
        "pending_count": Count(field, filter=holds_seat(now, prefix) & ~confirmed),
        "waiting_count": Count(field, filter=is_waiting(prefix)),
    }


@dataclass(frozen=True)
class RoomSeats:
    """One room's seats at one moment."""

    room_id: int
    number: int
    capacity: int
    waiting_list_size: int
    confirmed: int
    pending: int
    waiting: int

    @property
    def taken(self) -> int:
        return self.confirmed + self.pending

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def is_full(self) -> bool:
        return self.taken >= self.capacity

    @property
    def waiting_list_full(self) -> bool:
        return self.waiting >= self.waiting_list_size

    @property
    def state(self) -> str:
        """ "free" (seats left), "waitlist" (full, its waiting list open) or "closed"."""
        if not self.is_full:
            return "free"
        return "closed" if self.waiting_list_full else "waitlist"


def _seats(room: Room, confirmed: int, pending: int, waiting: int) -> RoomSeats:
    return RoomSeats(
        room_id=room.pk,
        number=room.number,
        capacity=room.capacity,
        waiting_list_size=room.waiting_list_size,
        confirmed=confirmed,
        pending=pending,
        waiting=waiting,
    )


def rooms_with_seats(*, event: Event, now: dt.datetime | None = None, **annotations):
    """The event's rooms by number, each with `.seats` (RoomSeats) and `annotations`; one query."""
    now = now or timezone.now()
    rooms = event.rooms.annotate(**seat_counts(now, "registrations__"), **annotations)
    rooms = list(rooms.order_by("number"))
    for room in rooms:
        room.seats = _seats(room, room.confirmed_count, room.pending_count, room.waiting_count)
    return rooms


def count_event(*, event: Event, now: dt.datetime | None = None) -> tuple[RoomSeats, ...]:
    """Every room's seats, counted now (one query), in room order."""
    return tuple(room.seats for room in rooms_with_seats(event=event, now=now))


def lock_rooms(*room_ids: int) -> dict[int, Room]:
    """Lock the rooms' rows until the transaction ends, in primary-key order (so that two
    writers never wait for each other in a circle); SQLite serialises writers instead.

    Every write that changes who holds a seat or a waiting-list place in a room holds that
    room's lock: the counts taken under it stay true until the transaction commits.
    """
    rooms = Room.objects.filter(pk__in=set(room_ids)).order_by("pk").select_for_update()
    return {room.pk: room for room in rooms}


def room_seats(room: Room, *, now: dt.datetime) -> RoomSeats:
    """A locked room's seats, counted now (one query)."""
    counts = Registration.objects.filter(room=room).aggregate(**seat_counts(now))
    return _seats(room, counts["confirmed_count"], counts["pending_count"], counts["waiting_count"])


# --- The snapshot pages show ------------------------------------------------------------------


def _snapshot_key(event_id: int, generation: Generation) -> str:
    return f"koki:e{event_id}:{generation.value}:seats"


def event_seats(*, public: PublicEvent) -> tuple[RoomSeats, ...]:
    """Every room's seats as pages show them: at most SNAPSHOT_SECONDS old, and never older
    than the last change of a registration (see `forget`) or of the rooms (their generation).
    Without the cache: counted."""
    key = _snapshot_key(public.event.pk, public.generation)
    seats = cache.get(key)
    if seats is None:
        seats = count_event(event=public.event)
        cache.set(key, seats, SNAPSHOT_SECONDS)
    return seats


def forget(*, event_ids: Iterable[int]) -> None:
    """Count again on the next page view (at once, and again once the change is committed, so
    a count taken between the two cannot outlive the commit)."""
    keys = [_snapshot_key(pk, generation(pk)) for pk in set(event_ids)]
    cache.delete_many(keys)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: cache.delete_many(keys))


def _registration_changed(*, instance: Registration, **kwargs) -> None:
    forget(event_ids=[instance.event_id])


def connect_signals() -> None:
    """Called from RegistrationsConfig.ready()."""
    post_save.connect(_registration_changed, sender=Registration, dispatch_uid="koki-seats-save")
    post_delete.connect(_registration_changed, sender=Registration, dispatch_uid="koki-seats-del")
