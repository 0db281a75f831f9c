"""Links that put the event into someone's calendar: subscriptions to the programme's and the
rooms' feeds (webcal://), and "add to Google Calendar" / "add to Outlook.com" for the event.

Built from the event's public data and settings.SITE_URL alone (the event page that shows them
is cached per event generation): title, times in UTC, a description with the event's page.
Never a join link: those are only in an attendee's personal calendar.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.urls import reverse

from events.models import Event, Room
from koki.site import absolute_url

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.live.com/calendar/deeplink/compose"


@dataclass(frozen=True)
class CalendarLinks:
    programme: str  # webcal:// subscription to the whole programme
    rooms: tuple[tuple[Room, str], ...]  # each room with the subscription to it (and the plenary)
    google: str
    outlook: str


def webcal_url(path: str) -> str:
    """`path` on this site as a calendar subscription (the site's host, never the request's)."""
    return f"webcal://{settings.SITE_URL.partition('://')[2]}{path}"


def _utc(moment: dt.datetime, layout: str) -> str:
    return moment.astimezone(dt.UTC).strftime(layout)


def _query(params: dict[str, str]) -> str:
    return urlencode({key: value for key, value in params.items() if value}, quote_via=quote)


def calendar_links(*, event: Event, rooms=(), language: str = "") -> CalendarLinks:
    """The event's calendar links, with a subscription for each of `rooms`; the feeds in
    `language` (their `?lang=`) unless it is the site's default."""
    lang = f"?lang={language}" if language and language != settings.LANGUAGE_CODE else ""
    slug = event.slug
    page = absolute_url(event.get_absolute_url())
    details = f"{event.subtitle}\n\n{page}" if event.subtitle else page
    location = "" if event.is_online else event.venue
    google = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": "/".join(
            _utc(moment, "%Y%m%dT%H%M%SZ") for moment in (event.starts_at, event.ends_at)
        ),
        "details": details,
        "location": location,
    }
    outlook = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": _utc(event.starts_at, "%Y-%m-%dT%H:%M:%SZ"),
        "enddt": _utc(event.ends_at, "%Y-%m-%dT%H:%M:%SZ"),
        "body": details,
        "location": location,
    }
    return CalendarLinks(
        programme=webcal_url(reverse("events:programme_ical", kwargs={"slug": slug})) + lang,
        rooms=tuple(
            (room, webcal_url(reverse("events:room_ical", args=[slug, room.number])) + lang)
            for room in rooms
        ),
        google=f"{GOOGLE}?{_query(google)}",
        outlook=f"{OUTLOOK}?{_query(outlook)}",
    )
