"""Reads for the organisers' tools: the list of registrations, attendee lists and occupancy."""

import datetime as dt
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext

from events.models import Event, Room
from registrations import occupancy
from registrations.models import Attendance, Registration
from registrations.occupancy import RoomSeats
from registrations.questions import with_answers

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


def with_attendances(queryset: QuerySet[Registration]) -> QuerySet[Registration]:
    """Prefetch each registration's attendance with its room (one query for all of them):
    `registration.attendances.all()`, first joined first."""
    return queryset.prefetch_related(
        Prefetch(
            "attendances",
            queryset=Attendance.objects.select_related("room").order_by("joined_at", "pk"),
        )
    )


def place_label(attendance: Attendance) -> str:
    """The place in short: "Plenum" or "Raum 3"."""
    if attendance.room_id is None:
        return gettext("Plenary")
    return gettext("Room %(number)s") % {"number": attendance.room.number}


def attendee_list(*, event: Event, room: Room | None = None) -> QuerySet[Registration]:
    """The people registered for an event (or one room), for lists and exports, with their
    attendance (`with_attendances`) and answers (`questions.with_answers`): four queries at
    most, however many people.

    Cancelled and anonymised registrations are left out. Ordered by room, then confirmed,
    unconfirmed and waiting, by name (the waiting list in its own order).
    """
    queryset = Registration.objects.filter(event=event, anonymised_at__isnull=True)
    if room is not None:
        queryset = queryset.filter(room=room)
    queryset = with_answers(with_attendances(queryset.active().select_related("room")))
    return with_waitlist_position(queryset).order_by(
        "room__number",
        STATUS_ORDER,
        "waiting_since",
        Lower("last_name"),
        Lower("first_name"),
        "pk",
    )


@dataclass(frozen=True)
class RoomOccupancy(RoomSeats):
    """A room's seats (registrations/occupancy.py), the room itself and who came.

    `attended`: the people who joined the room (by their join link or marked by the
    organisers); `no_shows`: confirmed for the room, but joined nowhere, not even the plenary.
    """

    room: Room
    attended: int
    no_shows: int


@dataclass
class EventOccupancy:
    event: Event
    rooms: list[RoomOccupancy]
    plenary_attended: int = 0  # the people who joined the plenary

    def _sum(self, name: str) -> int:
        return sum(getattr(room, name) for room in self.rooms)

    @property
    def has_begun(self) -> bool:
        """Attendance and no-shows mean something only once the event has begun."""
        return self.event.starts_at <= timezone.now()

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
    def no_shows(self) -> int:
        return self._sum("no_shows")

    @property
    def taken(self) -> int:
        return self._sum("taken")

    @property
    def free(self) -> int:
        return self._sum("free")


def _attendance_count(attendances: QuerySet[Attendance], group_by: str) -> Coalesce:
    """A subquery counting `attendances` of registrations that are not cancelled (0 if none)."""
    counted = (
        attendances.exclude(registration__status=Registration.Status.CANCELLED)
        .order_by()
        .values(group_by)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted), 0)


def event_occupancy(*, event: Event, now=None) -> EventOccupancy:
    """Per room: capacity, confirmed, pending (unexpired holds), waiting, attended, no-shows;
    and the plenary's attendance. One query, whatever the number of rooms.

    Attendance is counted from the `Attendance` rows (one per person and place) of registrations
    that are not cancelled. No-shows are the confirmed without `attended_at` (the first of their
    attendance, the list's "attended" filter). The plenary figure is a subquery that does not
    depend on the room: the database computes it once for the whole query.
    """
    attended = _attendance_count(Attendance.objects.filter(room=OuterRef("pk")), "room")
    plenary = _attendance_count(
        Attendance.objects.filter(room__isnull=True, registration__event=event),
        "registration__event",
    )
    no_shows = Count(
        "registrations",
        filter=Q(
            registrations__status=Registration.Status.CONFIRMED,
            registrations__attended_at__isnull=True,
        ),
    )
    rooms = occupancy.rooms_with_seats(
        event=event,
        now=now,
        attended_count=attended,
        no_show_count=no_shows,
        plenary_count=plenary,
    )
    return EventOccupancy(
        event=event,
        rooms=[
            RoomOccupancy(
                **asdict(room.seats),
                room=room,
                attended=room.attended_count,
                no_shows=room.no_show_count,
            )
            for room in rooms
        ],
        # Every registration has a room of its event: without rooms, nobody can have joined.
        plenary_attended=rooms[0].plenary_count if rooms else 0,
    )


def events_for_overview(*, now=None, events: QuerySet[Event] | None = None) -> QuerySet[Event]:
    """Events whose registrations still matter: not yet over, or over but not yet purged
    (of `events`, by default all)."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=settings.KOKI_PURGE_AFTER_DAYS)
    events = Event.objects.all() if events is None else events
    return events.filter(ends_at__gte=since).order_by("starts_at")


def occupancy_overview(*, now=None, events: QuerySet[Event] | None = None) -> list[EventOccupancy]:
    """The occupancy of every current event (of `events`, by default all): one query for the
    events, one per event."""
    now = now or timezone.now()
    current = events_for_overview(now=now, events=events)
    return [event_occupancy(event=event, now=now) for event in current]
