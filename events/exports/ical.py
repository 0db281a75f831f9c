"""iCalendar (RFC 5545) exports of the programme.

Feeds (METHOD:PUBLISH): the whole programme, one room (the plenary plus that room), and the
personal feed of a confirmed attendee (the plenary plus their own room, with the join links).
Invitations (METHOD:REQUEST, RFC 5546) for the confirmation e-mail: one VEVENT for the whole
event, addressed to the attendee.

Every item keeps its UID for life (a stored UUID plus the site's host), its SEQUENCE grows when
its time or place changes (events.services), and every time carries its TZID with an embedded
VTIMEZONE covering only the years of the event.
"""

import datetime as dt
import hashlib
import zoneinfo
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
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
    organizer.params["cn"] = vText(event.organiser)
    return organizer


def _local(moment: dt.datetime, event: Event) -> dt.datetime:
    return timezone.localtime(moment, event.tzinfo)


def _online_or_venue(event: Event) -> str:
    return _("Online") if event.is_online else event.venue


def _room_place(room: Room, event: Event) -> str:
    where = _online_or_venue(event)
    return f"{room} ({where})" if where else str(room)


def item_location(item: AgendaItem, *, event: Event, room: Room | None = None) -> str:
    """The room, or where the plenary is; `room` is the reader's room (room and personal feeds)."""
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


def item_join_url(item: AgendaItem, *, event: Event, room: Room) -> str:
    """The link to join `item` for someone registered in `room`."""
    if item.room_id is not None or item.is_all_rooms:
        return room.join_url
    return event.plenary_join_url


def _item_description(item: AgendaItem, *, event: Event, join_url: str = "") -> str:
    parts = []
    if join_url:
        parts.append(_("Join: %(url)s") % {"url": join_url})
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
    room: Room | None = None,
    join_url: str = "",
) -> VEvent:
    vevent = VEvent()
    vevent.add("uid", item_uid(item))
    vevent.add("sequence", item.sequence)
    vevent.add("dtstamp", stamp)
    vevent.add("created", item.created_at.astimezone(dt.UTC))
    vevent.add("last-modified", item.updated_at.astimezone(dt.UTC))
    vevent.add("dtstart", _local(item.starts_at, event))
    vevent.add("dtend", _local(item.ends_at, event))
    vevent.add("summary", item.title)
    vevent.add("description", _item_description(item, event=event, join_url=join_url))
    location = item_location(item, event=event, room=room)
    if location:
        vevent.add("location", location)
    vevent.add("url", vUri(absolute_url(event.get_absolute_url())))
    vevent.add("organizer", _organizer(event))
    vevent.add("categories", [str(item.get_kind_display())])
    vevent.add("status", "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    vevent.add("class", "PUBLIC")
    if join_url:
        _add_conference(vevent, join_url)
    return vevent


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


def _feed(*, programme: Programme, name: str, items, room=None, join_for=None) -> bytes:
    event = programme.event
    subtitle = event.subtitle or event.title
    calendar = _calendar(event=event, name=name, description=subtitle)
    stamp = _stamp()
    for item in items:
        join_url = item_join_url(item, event=event, room=join_for) if join_for else ""
        calendar.add_component(
            _item_vevent(item, event=event, stamp=stamp, room=room, join_url=join_url)
        )
    return calendar.to_ical()


# --- The exports ----------------------------------------------------------------------------


def programme_calendar(*, programme: Programme) -> bytes:
    """Every agenda item of the event (no join links: this feed is public)."""
    return _feed(programme=programme, name=programme.event.title, items=programme.items)


def room_calendar(*, programme: Programme, room: Room) -> bytes:
    """The plenary items and the deep dive of one room (no join links: this feed is public)."""
    name = f"{programme.event.title} – {room}"
    return _feed(programme=programme, name=name, items=programme.items_for_room(room), room=room)


def personal_calendar(*, programme: Programme, registration) -> bytes:
    """The attendee's own programme: the plenary and their room, with the join links."""
    room = _registration_room(programme, registration)
    name = _("%(event)s – my programme") % {"event": programme.event.title}
    return _feed(
        programme=programme,
        name=name,
        items=programme.items_for_room(room),
        room=room,
        join_for=room,
    )


def _registration_room(programme: Programme, registration) -> Room:
    for room in programme.rooms:
        if room.pk == registration.room_id:
            return room
    return registration.room


def registration_uid(registration) -> str:
    """A UID for the invitation that never changes and does not reveal the secret token."""
    digest = hashlib.sha256(f"koki-registration:{registration.token}".encode()).hexdigest()
    return f"registration-{digest[:32]}@{site_host()}"


def _invitation_sequence(registration, event: Event, room: Room) -> int:
    """Seconds since the registration was made until the latest change: grows with each change
    and fits the 32-bit integer clients expect for decades."""
    latest = max(registration.updated_at, event.updated_at, room.updated_at)
    return max(0, int((latest - registration.created_at).total_seconds()))


def _invitation(registration, *, method: str) -> bytes:
    event = registration.event
    programme = programme_for(event=event)
    room = _registration_room(programme, registration)
    calendar = _calendar(event=event, name=event.title, description=event.title, method=method)
    vevent = VEvent()
    vevent.add("uid", registration_uid(registration))
    vevent.add("sequence", _invitation_sequence(registration, event, room))
    vevent.add("dtstamp", _stamp())
    vevent.add("last-modified", max(registration.updated_at, event.updated_at).astimezone(dt.UTC))
    vevent.add("dtstart", _local(event.starts_at, event))
    vevent.add("dtend", _local(event.ends_at, event))
    vevent.add("summary", event.title)
    vevent.add("url", vUri(absolute_url(event.get_absolute_url())))
    vevent.add("organizer", _organizer(event))
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
    vevent.add("attendee", attendee)
    if method == "CANCEL":
        vevent.add("status", "CANCELLED")
        vevent.add("description", _("Your registration has been cancelled."))
    else:
        vevent.add("status", "CONFIRMED")
        vevent.add("location", _online_or_venue(event) or event.title)
        vevent.add("description", _invitation_text(programme, room))
        if event.plenary_join_url:
            _add_conference(vevent, event.plenary_join_url)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.title)
        alarm.add("trigger", dt.timedelta(minutes=-15))
        vevent.add_component(alarm)
    vevent.add("transp", "OPAQUE")
    calendar.add_component(vevent)
    return calendar.to_ical()


def _invitation_text(programme: Programme, room: Room) -> str:
    event = programme.event
    lines = [
        _("Your break-out room: %(room)s") % {"room": room},
    ]
    if event.plenary_join_url:
        lines.append(_("Plenary: %(url)s") % {"url": event.plenary_join_url})
    if room.join_url:
        lines.append(_("Your room: %(url)s") % {"url": room.join_url})
    lines.append("")
    lines.append(_("Programme (%(zone)s):") % {"zone": event.timezone})
    for item in programme.items_for_room(room):
        start = date_format(_local(item.starts_at, event), "TIME_FORMAT")
        end = date_format(_local(item.ends_at, event), "TIME_FORMAT")
        lines.append(f"{start}–{end} {item.title}")
    lines.append("")
    lines.append(absolute_url(event.get_absolute_url()))
    return "\n".join(lines)


def personal_invitation(*, registration) -> bytes:
    """A METHOD:REQUEST invitation for a confirmed registration, to attach to the e-mail.

    Written in the registration's language. Sending it again after a change of room (or of the
    event) updates the same calendar entry: same UID, higher SEQUENCE.
    """
    with translation.override(registration.language):
        return _invitation(registration, method="REQUEST")


def personal_cancellation(*, registration) -> bytes:
    """A METHOD:CANCEL message that removes the invitation's entry from the attendee's calendar."""
    with translation.override(registration.language):
        return _invitation(registration, method="CANCEL")
