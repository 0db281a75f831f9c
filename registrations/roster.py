"""Reads for the organisers' tools: the list of registrations, attendee lists and occupancy."""

import datetime as dt
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Lower
from django.utils import timezone

from events.models import Event, Room
from registrations import occupancy
from registrations.models import Registration
from registrations.occupancy import RoomSeats

STATUS_ORDER = Case(
    When(status=Registration.Status.CONFIRMED, then=Value(0)),
    When(status=Registration.Status.PENDING, then=Value(1)),
    When(status=Registration.Status.WAITING, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def with_waitlist_position(queryset: QuerySet[Registration]) -> QuerySet[Registration]:
    """Annotate `waitlist_position` (1, 2, …; None unless waiting), in one query.

    A correlated subquery counts the people waiting for the same room who came first (the
    order `waitlist_promote` uses: waiting_since, then pk). Unlike a window function over the
    page's rows, it stays right when the list is filtered or searched.
    """
    ahead = (
        Registration.objects.filter(room=OuterRef("room"), status=Registration.Status.WAITING)
        .filter(
            Q(waiting_since__lt=OuterRef("waiting_since"))
            | Q(waiting_since=OuterRef("waiting_since"), pk__lte=OuterRef("pk"))
        )
        .order_by()
        .values("room")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return queryset.annotate(
        waitlist_position=Case(
            When(status=Registration.Status.WAITING, then=Subquery(ahead)),
            default=None,
            output_field=IntegerField(),
        )
    )


def attendee_list(*, event: Event, room: Room | None = None) -> QuerySet[Registration]:
    """The people registered for an event (or one room), for lists and exports.

    Cancelled and anonymised registrations are left out. Ordered by room, then confirmed,
    unconfirmed and waiting, by name (the waiting list in its own order).
    """
    queryset = Registration.objects.filter(event=event, anonymised_at__isnull=True)
    if room is not None:
        queryset = queryset.filter(room=room)
    queryset = queryset.active()
    return with_waitlist_position(queryset.select_related("room")).order_by(
        "room__number",
        STATUS_ORDER,
        "waiting_since",
        Lower("last_name"),
        Lower("first_name"),
        "pk",
    )


@dataclass(frozen=True)
class RoomOccupancy(RoomSeats):
    """A room's seats (registrations/occupancy.py), the room itself and how many attended."""

    room: Room
    attended: int


@dataclass
class EventOccupancy:
    event: Event
    rooms: list[RoomOccupancy]

    def _sum(self, name: str) -> int:
        return sum(getattr(room, name) for room in self.rooms)

    @property
    def capacity(self) -> int:
        return self._sum("capacity")

    @property
    def confirmed(self) -> int:
        return self._sum("confirmed")

    @property
    def pending(self) -> int:
        return self._sum("pending")

    @property
    def waiting(self) -> int:
        return self._sum("waiting")

    @property
    def attended(self) -> int:
        return self._sum("attended")

    @property
    def taken(self) -> int:
        return self._sum("taken")

    @property
    def free(self) -> int:
        return self._sum("free")


def event_occupancy(*, event: Event, now=None) -> EventOccupancy:
    """Per room: capacity, confirmed, pending (unexpired holds), waiting, attended; one query."""
    attended = Count(
        "registrations",
        filter=Q(registrations__attended_at__isnull=False)
        & ~Q(registrations__status=Registration.Status.CANCELLED),
    )
    rooms = occupancy.rooms_with_seats(event=event, now=now, attended_count=attended)
    return EventOccupancy(
        event=event,
        rooms=[
            RoomOccupancy(**asdict(room.seats), room=room, attended=room.attended_count)
            for room in rooms
        ],
    )


def events_for_overview(*, now=None) -> QuerySet[Event]:
    """Events whose registrations still matter: not yet over, or over but not yet purged."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=settings.KOKI_PURGE_AFTER_DAYS)
    return Event.objects.filter(ends_at__gte=since).order_by("starts_at")


def occupancy_overview(*, now=None) -> list[EventOccupancy]:
    """The occupancy of every current event: one query for the events, one per event."""
    now = now or timezone.now()
    return [event_occupancy(event=event, now=now) for event in events_for_overview(now=now)]
