"""iCalendar (RFC 5545) exports of the programme.

Public feeds (METHOD:PUBLISH): the whole programme and one room (the plenary plus that room).
Every item keeps its UID for life (a stored UUID plus the site's host), its SEQUENCE grows when
its time or place changes (events.services), and every time carries its TZID with an embedded
VTIMEZONE covering only the years of the event. They hold no link to join.

Personal calendars of a confirmed attendee, one entry per item they attend (the plenary and
their own room):

- the feed /r/<token>/calendar.ics (METHOD:PUBLISH);
- the invitation attached to their mails (METHOD:REQUEST, RFC 5546), the same entries addressed
  to them, and the cancellation that withdraws them all (METHOD:CANCEL).

Feed and invitation agree: each entry has a UID of the person's own (derived from the secret
token without revealing it, so it never clashes with the public feeds' UIDs), the same times,
and a SEQUENCE that grows with the item and with the person's room changes and cancellation.
Its LOCATION, URL and CONFERENCE (RFC 7986) are the person's own join link
(registrations.joining); the platform addresses behind those links never appear in a calendar.

One iMIP message may carry several components of one method (RFC 6047, section 4.4), and the
invitation does. Outlook, though, takes only the first VEVENT of an invitation: that is why
the mails also link the personal feed.
"""

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Callable
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import (
    Alarm,
    Calendar,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vDuration,
    vText,
    vUri,
)
from icalendar import (
    Event as VEvent,
)

from events.models import AgendaItem, Event, Room
from events.selectors import Programme, programme_for
from koki.site import absolute_url

PRODID = "-//Co:Lab e.V.//koki programme export 1.0//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"
REFRESH = dt.timedelta(hours=1)


# --- Time zones ---------------------------------------------------------------------------


def _offset_at(zone: zoneinfo.ZoneInfo, moment: dt.datetime) -> dt.timedelta:
    return moment.astimezone(zone).utcoffset()


def _transitions(zone: zoneinfo.ZoneInfo, start: dt.datetime, end: dt.datetime):
    """The UTC instants in [start, end) at which `zone` changes its offset, to the second."""
    day = dt.timedelta(days=1)
    left = start
    while left < end:
        right = min(left + day, end)
        if _offset_at(zone, left) != _offset_at(zone, right):
            low, high = left, right  # offset(low) is the old one, offset(high) the new one
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle <= low:
                    break
                if _offset_at(zone, middle) == _offset_at(zone, low):
                    low = middle
                else:
                    high = middle
            yield high
        left = right


def _observance(zone, *, onset_local: dt.datetime, at_utc: dt.datetime, offset_from):
    local = at_utc.astimezone(zone)
    component = TimezoneDaylight() if local.dst() else TimezoneStandard()
    component.add("dtstart", onset_local)
    component.add("tzoffsetfrom", offset_from)
    component.add("tzoffsetto", local.utcoffset())
    component.add("tzname", local.tzname())
    return component


def vtimezone(zone_name: str, *, first: dt.date, last: dt.date) -> Timezone:
    """A VTIMEZONE for `zone_name` valid from `first` to the end of `last`.

    The onset (DTSTART) of each observance is the local time in the offset *before* the change,
    as RFC 5545 3.6.5 requires (02:00 for the spring change in Europe/Berlin).
    """
    zone = zoneinfo.ZoneInfo(zone_name)
    start_local = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    start = start_local.astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(
        dt.UTC
    )
    component = Timezone()
    component.add("tzid", zone_name)
    initial = start_local.utcoffset()
    component.add_component(
        _observance(
            zone,
            onset_local=start_local.replace(tzinfo=None),
            at_utc=start,
            offset_from=initial,
        )
    )
    for moment in _transitions(zone, start, end):
        before = _offset_at(zone, moment - dt.timedelta(seconds=1))
        component.add_component(
            _observance(
                zone,
                onset_local=(moment + before).replace(tzinfo=None),
                at_utc=moment,
                offset_from=before,
            )
        )
    return component


# --- Building blocks ------------------------------------------------------------------------


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def item_uid(item: AgendaItem) -> str:
    return f"{item.uid}@{site_host()}"


def _organizer(event: Event) -> vCalAddress:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or f"noreply@{site_host()}"
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText(event.organiser.name)
    return organizer


def _local(moment: dt.datetime, event: Event) -> dt.datetime:
    return timezone.localtime(moment, event.tzinfo)


def _online_or_venue(event: Event) -> str:
    return _("Online") if event.is_online else event.venue


def _room_place(room: Room, event: Event) -> str:
    where = _online_or_venue(event)
    return f"{room} ({where})" if where else str(room)


def item_location(item: AgendaItem, *, event: Event, room: Room | None = None) -> str:
    """The room, or where the plenary is; `room` is the reader's room (in a room's feed)."""
    if item.room is not None:
        return _room_place(item.room, event)
    if item.is_all_rooms:
        if room is not None:
            return _room_place(room, event)
        where = _online_or_venue(event)
        rooms = _("Break-out rooms")
        return f"{rooms} ({where})" if where else rooms
    return _online_or_venue(event) or _("Plenary")


def speaker_line(speaker) -> str:
    details = ", ".join(part for part in (speaker.role, speaker.affiliation) if part)
    return f"{speaker.name} ({details})" if details else speaker.name


def _item_description(item: AgendaItem, *, event: Event, lead: tuple[str, ...] = ()) -> str:
    """Speakers, the item's text and the programme's address, after the `lead` lines."""
    parts = ["\n".join(lead)] if lead else []
    speakers = getattr(item, "ordered_speakers", None)
    if speakers is None:
        speakers = [link.speaker for link in item.speaker_links.all()]
    if speakers:
        label = _("Speakers") if len(speakers) > 1 else _("Speaker")
        parts.append(f"{label}: " + "; ".join(speaker_line(speaker) for speaker in speakers))
    if item.description:
        parts.append(item.description.strip())
    parts.append(
        _("Programme: %(url)s") % {"url": absolute_url(event.get_absolute_url())},
    )
    return "\n\n".join(parts)


def _item_vevent(
    item: AgendaItem,
    *,
    event: Event,
    stamp: dt.datetime,
    uid: str,
    sequence: int,
    location: str,
    url: str,
    description: str,
    last_modified: dt.datetime,
    join_url: str = "",
) -> VEvent:
    vevent = VEvent()
    vevent.add("uid", uid)
    vevent.add("sequence", sequence)
    vevent.add("dtstamp", stamp)
    vevent.add("created", item.created_at.astimezone(dt.UTC))
    vevent.add("last-modified", last_modified.astimezone(dt.UTC))
    vevent.add("dtstart", _local(item.starts_at, event))
    vevent.add("dtend", _local(item.ends_at, event))
    vevent.add("summary", item.title)
    vevent.add("description", description)
    if location:
        vevent.add("location", location)
    vevent.add("url", vUri(url))
    vevent.add("organizer", _organizer(event))
    vevent.add("categories", [str(item.get_kind_display())])
    vevent.add("status", "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    vevent.add("class", "PUBLIC")
    if join_url:
        _add_conference(vevent, join_url)
    return vevent


def _public_vevent(
    item: AgendaItem, *, event: Event, stamp: dt.datetime, room: Room | None
) -> VEvent:
    """An item as everyone sees it: the public UID, the room or plenary as place, no link to
    join."""
    return _item_vevent(
        item,
        event=event,
        stamp=stamp,
        uid=item_uid(item),
        sequence=item.sequence,
        location=item_location(item, event=event, room=room),
        url=absolute_url(event.get_absolute_url()),
        description=_item_description(item, event=event),
        last_modified=item.updated_at,
    )


def _add_conference(vevent: VEvent, url: str) -> None:
    """RFC 7986 CONFERENCE, which clients show as a join button."""
    vevent.add(
        "conference",
        vUri(url),
        parameters={"value": "URI", "feature": "AUDIO,VIDEO", "label": _("Join online")},
    )


def _calendar(*, event: Event, name: str, description: str, method: str = "PUBLISH") -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if method == "PUBLISH":
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-caldesc", description)
        calendar.add("x-wr-timezone", event.timezone)
        calendar.add("refresh-interval", REFRESH, parameters={"value": "DURATION"})
        calendar.add("x-published-ttl", vDuration(REFRESH))
    calendar.add_component(_event_vtimezone(event))
    return calendar


def _event_vtimezone(event: Event) -> Timezone:
    first = _local(event.starts_at, event).date()
    last = _local(event.ends_at, event).date()
    return vtimezone(
        event.timezone, first=dt.date(first.year, 1, 1), last=dt.date(last.year, 12, 31)
    )


def _stamp() -> dt.datetime:
    return timezone.now().astimezone(dt.UTC).replace(microsecond=0)


def _public_feed(*, programme: Programme, name: str, items, room: Room | None = None) -> bytes:
    event = programme.event
    subtitle = event.subtitle or event.title
    calendar = _calendar(event=event, name=name, description=subtitle)
    stamp = _stamp()
    for item in items:
        calendar.add_component(_public_vevent(item, event=event, stamp=stamp, room=room))
    return calendar.to_ical()


# --- The public exports ---------------------------------------------------------------------


def programme_calendar(*, programme: Programme) -> bytes:
    """Every agenda item of the event (no join links: this feed is public)."""
    return _public_feed(programme=programme, name=programme.event.title, items=programme.items)


def room_calendar(*, programme: Programme, room: Room) -> bytes:
    """The plenary items and the deep dive of one room (no join links: this feed is public)."""
    name = f"{programme.event.title} – {room}"
    return _public_feed(
        programme=programme, name=name, items=programme.items_for_room(room), room=room
    )


# --- The personal exports -------------------------------------------------------------------

# The path of a person's own join link for the plenary (None) or a room: in practice
# `lambda room: registrations.joining.join_path(registration, room)`.
JoinPath = Callable[[Room | None], str]


def personal_uid(item: AgendaItem, *, registration) -> str:
    """The UID of `item` in one person's calendar: the same on every call, never the item's
    public UID (so that a public and the personal feed live side by side instead of
    overwriting each other), and derived from the secret token without revealing it."""
    secret = f"koki-personal-item:{registration.token}:{item.uid}"
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return f"personal-{digest[:32]}@{site_host()}"


def personal_sequence(item: AgendaItem, *, registration) -> int:
    """Grows when the item changes (events.services) and when the person's room changes or the
    registration is cancelled (registrations.services): both counters only grow."""
    return item.sequence + registration.calendar_sequence


def _registration_room(programme: Programme, registration) -> Room:
    for room in programme.rooms:
        if room.pk == registration.room_id:
            return room
    return registration.room


def _in_room(item: AgendaItem) -> bool:
    """Held in the break-out rooms (one room's own item or a deep dive in every room), not in
    the plenary."""
    return item.room_id is not None or item.is_all_rooms


def _personal_vevents(
    programme: Programme, registration, *, join_path: JoinPath, stamp: dt.datetime
) -> list[VEvent]:
    """One VEVENT per item the person attends (the plenary and their room), each placed at
    their own join link."""
    event = programme.event
    room = _registration_room(programme, registration)
    vevents = []
    for item in programme.items_for_room(room):
        link = absolute_url(join_path(room if _in_room(item) else None))
        lead = [_("Join: %(url)s") % {"url": link}]
        if _in_room(item):
            lead.append(_("Your break-out room: %(room)s") % {"room": room})
        vevents.append(
            _item_vevent(
                item,
                event=event,
                stamp=stamp,
                uid=personal_uid(item, registration=registration),
                sequence=personal_sequence(item, registration=registration),
                location=link,
                url=link,
                description=_item_description(item, event=event, lead=tuple(lead)),
                last_modified=max(item.updated_at, registration.updated_at),
                join_url=link,
            )
        )
    return vevents


def personal_calendar(*, programme: Programme, registration, join_path: JoinPath) -> bytes:
    """The attendee's own programme (METHOD:PUBLISH): the plenary and their room, each item at
    their personal join link."""
    name = _("%(event)s – my programme") % {"event": programme.event.title}
    event = programme.event
    calendar = _calendar(event=event, name=name, description=event.subtitle or event.title)
    for vevent in _personal_vevents(programme, registration, join_path=join_path, stamp=_stamp()):
        calendar.add_component(vevent)
    return calendar.to_ical()


def _attendee(registration) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{registration.email}")
    if registration.email_confirmed_at:  # only then is the name the address owner's own
        attendee.params["cn"] = vText(registration.full_name)
    attendee.params.update(
        {
            "cutype": "INDIVIDUAL",
            "role": "REQ-PARTICIPANT",
            "partstat": "ACCEPTED",
            "rsvp": "FALSE",
        }
    )
    return attendee


def personal_invitation(*, registration, join_path: JoinPath) -> bytes:
    """A METHOD:REQUEST invitation for a confirmed registration, to attach to the e-mail: the
    personal feed's entries (same UIDs, SEQUENCEs and times), addressed to the attendee, with a
    reminder before the first. Empty when the programme holds nothing for them yet.

    Written in the registration's language. Sent again after a change of room, it updates the
    same entries: same UIDs, SEQUENCE one higher, the deep dive at the new room's link.
    """
    with translation.override(registration.language):
        event = registration.event
        programme = programme_for(event=event)
        vevents = _personal_vevents(programme, registration, join_path=join_path, stamp=_stamp())
        if not vevents:
            return b""
        calendar = _calendar(event=event, name=event.title, description="", method="REQUEST")
        for vevent in vevents:
            vevent.add("attendee", _attendee(registration))
            calendar.add_component(vevent)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.title)
        alarm.add("trigger", dt.timedelta(minutes=-15))
        vevents[0].add_component(alarm)
        return calendar.to_ical()


def personal_cancellation(*, registration) -> bytes:
    """A METHOD:CANCEL message that removes every entry of the invitation from the attendee's
    calendar (their SEQUENCE raised by the cancellation). Empty when there is nothing to
    remove."""
    with translation.override(registration.language):
        event = registration.event
        programme = programme_for(event=event)
        room = _registration_room(programme, registration)
        items = programme.items_for_room(room)
        if not items:
            return b""
        calendar = _calendar(event=event, name=event.title, description="", method="CANCEL")
        stamp = _stamp()
        for item in items:
            vevent = VEvent()
            vevent.add("uid", personal_uid(item, registration=registration))
            vevent.add("sequence", personal_sequence(item, registration=registration))
            vevent.add("dtstamp", stamp)
            vevent.add("dtstart", _local(item.starts_at, event))
            vevent.add("dtend", _local(item.ends_at, event))
            vevent.add("summary", item.title)
            vevent.add("description", _("Your registration has been cancelled."))
            vevent.add("organizer", _organizer(event))
            vevent.add("attendee", _attendee(registration))
            vevent.add("status", "CANCELLED")
            calendar.add_component(vevent)
        return calendar.to_ical()
