"""The event day: where a confirmed attendee may go, from when, and where their personal join
links lead.

A person's join link (/r/<token>/join/plenary/, /r/<token>/join/<room number>/) stays the same
for good; where it leads is decided at each click:

- before the place opens (its first item's start minus `Event.join_opens_minutes`): a waiting
  page with the time;
- from then until the event ends: a redirect to the platform address the organisers set, as it
  is at that moment (they can change it without mailing anyone);
- afterwards: a page that says the event is over.

The platform address itself never appears on a page, in a feed, a PDF or a mail.
"""

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from events import cache
from events.models import AgendaItem, Event, Room
from koki.prepared import PreparedQuery
from registrations.models import Registration

PLENARY = "plenary"


@dataclass(frozen=True)
class Place:
    """The plenary (room None) or one break-out room, as one attendee reaches it."""

    event: Event
    room: Room | None
    opens_at: dt.datetime
    starts_at: dt.datetime  # its first item (the event's start if it has none)

    @property
    def key(self) -> str:
        return PLENARY if self.room is None else str(self.room.number)

    @property
    def platform_url(self) -> str:
        return self.event.plenary_join_url if self.room is None else self.room.join_url

    @property
    def closes_at(self) -> dt.datetime:
        return self.event.ends_at

    def state(self, now: dt.datetime | None = None) -> str:
        """ "waiting" (not open yet), "open" or "over"."""
        now = now or timezone.now()
        if now >= self.closes_at:
            return "over"
        return "open" if now >= self.opens_at else "waiting"


def _is_plenary(item) -> bool:
    return item.room_id is None and item.kind != AgendaItem.Kind.DEEP_DIVE


def place_starts(event: Event, items=None) -> dict[int | None, dt.datetime]:
    """The start of the first item per place: None for the plenary, a room's id, and "all"
    (items held in every room at once). `items` (AgendaItems or rows with room_id, kind and
    starts_at) default to the event's agenda, read in one query."""
    if items is None:
        items = AgendaItem.objects.filter(event=event).only("room_id", "kind", "starts_at")
    starts: dict = {}
    for item in items:
        key = None if _is_plenary(item) else (item.room_id or "all")
        if key not in starts or item.starts_at < starts[key]:
            starts[key] = item.starts_at
    return starts


def place_for(event: Event, room: Room | None, starts: dict) -> Place:
    """The plenary (room None) or `room`, opening `join_opens_minutes` before its first item."""
    if room is None:
        first = starts.get(None)
    else:
        candidates = [start for key in (room.pk, "all") if (start := starts.get(key))]
        first = min(candidates) if candidates else None
    first = first or event.starts_at
    opens_at = first - dt.timedelta(minutes=event.join_opens_minutes)
    return Place(event=event, room=room, opens_at=opens_at, starts_at=first)


def places_of(registration: Registration, starts: dict | None = None) -> list[Place]:
    """Where a confirmed registration may go: the plenary and its own room."""
    event = registration.event
    starts = place_starts(event) if starts is None else starts
    return [place_for(event, None, starts), place_for(event, registration.room, starts)]


def join_path(registration: Registration, room: Room | None) -> str:
    """The personal join link's path for the plenary (room None) or a room."""
    key = PLENARY if room is None else str(room.number)
    return reverse("registrations:join", kwargs={"token": registration.token, "place": key})


def is_live(event: Event, now: dt.datetime | None = None) -> bool:
    """From the moment the first join link opens until the event ends: attendees may switch to
    a break-out room with a free seat."""
    now = now or timezone.now()
    opens = event.starts_at - dt.timedelta(minutes=event.join_opens_minutes)
    return opens <= now < event.ends_at


def countdown(seconds: int) -> str:
    """“2 days, 3 hours”, “1 hour, 5 minutes”, “4 minutes”: the two largest units, rounded up
    to the minute (the page is written once; a script may count down further)."""
    minutes = max(1, -(-seconds // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes and not days:
        parts.append(
            ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        )
    return ", ".join(parts[:2])


# --- The 09:59 rush: a click on an open link, in one query --------------------------------------
#
# At the start every attendee clicks at once (`make bench`: bench/join.py). A click that leads
# to the meeting reads one row (composed once: koki/prepared.py) and the event's timetable,
# which is the same for everyone and cached with the event's generation (events/cache.py);
# every other click (waiting, refused, another room, over) takes the view's full path.

_link_row = PreparedQuery(
    lambda token: (
        Registration.objects.filter(token=token)
        .order_by()
        .values_list("pk", "status", "room_id", "attended_at", "event_id", "room__number")
    ),
    token="\x01koki-sample-token",  # noqa: S106 (a stand-in, never a real token)
)


@dataclass(frozen=True)
class OpenLink:
    """A click that leads to the meeting now: where to, and what to record."""

    registration_id: int
    room_id: int | None  # None: the plenary
    platform_url: str
    attended: bool  # attended somewhere before (only the first attendance sets attended_at)


def _timetable(event_id: int) -> tuple:
    """Where the event's links lead and from when, as one immutable value: (the event's end,
    ((None or a room's id, its platform address, when its links open), …)), times as Unix
    seconds. The opening times come from `place_for`, the one rule for them."""
    current = cache.generation(event_id)  # the generation first, then the data it keys

    def read() -> tuple:
        event = Event.objects.get(pk=event_id)
        starts = place_starts(event)
        places = [place_for(event, None, starts)]
        places += [place_for(event, room, starts) for room in event.rooms.order_by()]
        return (
            int(event.ends_at.timestamp()),
            tuple(
                (place.room.pk if place.room else None, place.platform_url,
                 int(place.opens_at.timestamp()))
                for place in places
            ),
        )  # fmt: skip

    return cache.cached(cache.event_key(event_id, current, "join-timetable"), read)


def open_link(*, token: str, place: str, now: dt.datetime) -> OpenLink | None:
    """Where a click on a confirmed attendee's own link leads right now, if it leads to the
    meeting; None for every other click (the view then shows why)."""
    rows = _link_row(token=token)
    if not rows:
        return None
    pk, status, room_id, attended_at, event_id, room_number = rows[0]
    if status != Registration.Status.CONFIRMED:
        return None
    if place == PLENARY:
        room_id = None
    elif place != str(room_number):
        return None
    ends_at, places = _timetable(event_id)
    url, opens_at = next((url, opens) for key, url, opens in places if key == room_id)
    if not url or not opens_at <= now.timestamp() < ends_at:
        return None
    return OpenLink(
        registration_id=pk, room_id=room_id, platform_url=url, attended=attended_at is not None
    )
