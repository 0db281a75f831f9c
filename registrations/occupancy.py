"""Who holds a seat and how full a room is: the one place that says so.

- A seat is held by a confirmed registration, or by a pending one whose hold has not expired
  (double opt-in): `holds_seat`. An expired hold frees its seat without a job having to run.
- A waiting-list place is a registration with status "waiting": `is_waiting`.
- `RoomSeats` turns the counts into what pages and rules ask: seats free, full, waiting list
  full, whether the room still takes anyone.
- Writes take seats only under `lock_rooms` (the rooms' rows, in primary-key order) and count
  with `room_seats` after locking; public pages show `event_seats`, a count the shared cache
  keeps for `SNAPSHOT_SECONDS` (and never past a change of the rooms: it is keyed by the
  event's cache generation).

Nothing else in the project names a status string to count seats.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from events.cache import PublicEvent, store_entry
from events.models import Event, Room
from koki.prepared import PreparedQuery
from registrations.models import Registration

Status = Registration.Status

# How long the seats shown on the public pages may lag behind registrations. In a rush every
# visitor of the register page would otherwise count the seats afresh (`make bench`: the count
# was a third of the server's time per attendee); whoever takes a seat is counted under the lock.
SNAPSHOT_SECONDS = 1


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


_room_counts = PreparedQuery(
    lambda room_id, now: (
        Registration.objects.filter(room_id=room_id)
        .order_by()
        .values("room_id")
        .annotate(**seat_counts(now))
        .values_list("confirmed_count", "pending_count", "waiting_count")
    ),
    room_id=-7_000_001,
    now=dt.datetime(1901, 1, 1, tzinfo=dt.UTC),
)


def room_seats(room: Room, *, now: dt.datetime) -> RoomSeats:
    """A locked room's seats, counted now (one query, composed once: koki/prepared.py)."""
    rows = _room_counts(room_id=room.pk, now=now)
    return _seats(room, *(rows[0] if rows else (0, 0, 0)))


# --- The snapshot pages show ------------------------------------------------------------------


SNAPSHOT = "seats"  # its name among the event's cache entries (read with the event)


def event_seats(*, public: PublicEvent) -> tuple[RoomSeats, ...]:
    """Every room's seats as public pages show them: at most SNAPSHOT_SECONDS old, counted
    afresh after a change of the rooms (their generation). Pages that show them read the
    event with `entries=(SNAPSHOT,)`, so the cache is asked once. Without the cache: counted."""
    seats = public.entries.get(SNAPSHOT)
    if seats is None:
        seats = count_event(event=public.event)
        store_entry(public, SNAPSHOT, seats, SNAPSHOT_SECONDS)
    return seats
