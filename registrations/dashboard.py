"""The organisers' dashboard on the admin index: per event, registrations over time, seats per
room, the confirmation rate and, once the event is over, attendance and no-shows.

Reads only, two queries per event whatever the number of registrations: the rooms with their
seats and attendance (`roster.event_occupancy`) and one count of registrations per day and
status. The drawing (SVG geometry) is in `templatetags/koki_dashboard.py`.

Definitions (the page says the same):
- *Registrations*: not cancelled (confirmed, pending confirmation, waiting list).
- *Confirmation rate*: confirmed registrations divided by registrations (not cancelled).
- *Over time*: registrations by the day they were made (in the event's time zone), cumulative;
  "confirmed" counts those of them that are confirmed now.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from events.models import Event
from registrations.models import Registration
from registrations.permissions import events_for, is_organiser
from registrations.roster import EventOccupancy, event_occupancy, events_for_overview

Status = Registration.Status


def may_see_dashboard(user) -> bool:
    """Organisers who may view registrations; other staff see the plain admin index."""
    return is_organiser(user) and user.has_perm("registrations.view_registration")


def dashboard_events(user, *, now: dt.datetime | None = None) -> QuerySet[Event]:
    """The events whose dashboard `user` may see: the one place that decides it.

    Organisers see the current events of their teams (`roster.events_for_overview`: not yet
    over, or over but not yet purged; superusers: of all events); everybody else none.
    """
    if not may_see_dashboard(user):
        return Event.objects.none()
    return events_for_overview(now=now, events=events_for(user))


@dataclass(frozen=True)
class Day:
    """One day of the registration period, in the event's time zone."""

    day: dt.date
    new: int  # registrations made that day (not cancelled since)
    new_confirmed: int  # of them, confirmed now
    registered: int  # cumulative: made on or before that day
    confirmed: int  # cumulative


@dataclass
class EventDashboard:
    event: Event
    occupancy: EventOccupancy
    days: list[Day]
    by_status: Counter = field(default_factory=Counter)
    now: dt.datetime = field(default_factory=timezone.now)

    @property
    def registered(self) -> int:
        """Registrations that are not cancelled."""
        return sum(count for status, count in self.by_status.items() if status != Status.CANCELLED)

    @property
    def confirmed(self) -> int:
        return self.by_status[Status.CONFIRMED]

    @property
    def pending(self) -> int:
        """Pending confirmation, whether their hold still counts or has expired."""
        return self.by_status[Status.PENDING]

    @property
    def holding(self) -> int:
        """Pending, and their seat is still held."""
        return self.occupancy.pending

    @property
    def expired(self) -> int:
        """Pending, but the hold has expired: they hold no seat."""
        return max(self.pending - self.holding, 0)

    @property
    def waiting(self) -> int:
        return self.by_status[Status.WAITING]

    @property
    def cancelled(self) -> int:
        return self.by_status[Status.CANCELLED]

    @property
    def confirmation_rate(self) -> float | None:
        """Confirmed / registrations (not cancelled), 0…1; None without registrations."""
        if not self.registered:
            return None
        return self.confirmed / self.registered

    @property
    def confirmation_percent(self) -> int | None:
        rate = self.confirmation_rate
        return None if rate is None else round(rate * 100)

    @property
    def is_over(self) -> bool:
        return self.now >= self.event.ends_at


def _day_counts(event: Event) -> list[tuple[dt.date, str, int]]:
    """(day in the event's zone, status, count): one aggregate query."""
    rows = (
        Registration.objects.filter(event=event)
        .order_by()
        .annotate(day=TruncDate("created_at", tzinfo=event.tzinfo))
        .values("day", "status")
        .annotate(count=Count("pk"))
        .values_list("day", "status", "count")
    )
    return list(rows)


def registration_days(
    rows: list[tuple[dt.date, str, int]], *, last_day: dt.date | None = None
) -> list[Day]:
    """Every day from the first registration to the last (or to `last_day`, if later),
    cumulative; cancelled registrations are left out. Days without registrations repeat the
    day before."""
    new, new_confirmed = Counter(), Counter()
    for day, status, count in rows:
        if status == Status.CANCELLED:
            continue
        new[day] += count
        if status == Status.CONFIRMED:
            new_confirmed[day] += count
    if not new:
        return []
    first, last = min(new), max(new)
    if last_day is not None and last_day > last:
        last = last_day
    days, registered, confirmed = [], 0, 0
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        registered += new[day]
        confirmed += new_confirmed[day]
        days.append(Day(day, new[day], new_confirmed[day], registered, confirmed))
    return days


def event_dashboard(*, event: Event, now: dt.datetime | None = None) -> EventDashboard:
    """One event's dashboard: two queries."""
    now = now or timezone.now()
    rows = _day_counts(event)
    today = timezone.localtime(now, event.tzinfo).date()
    end_day = timezone.localtime(event.ends_at, event.tzinfo).date()
    by_status = Counter()
    for _day, status, count in rows:
        by_status[status] += count
    return EventDashboard(
        event=event,
        occupancy=event_occupancy(event=event, now=now),
        days=registration_days(rows, last_day=min(today, end_day)),
        by_status=by_status,
        now=now,
    )


def dashboards(user, *, now: dt.datetime | None = None) -> list[EventDashboard]:
    """The dashboards of every event `user` may see: one query, then two per event."""
    now = now or timezone.now()
    return [event_dashboard(event=event, now=now) for event in dashboard_events(user, now=now)]
