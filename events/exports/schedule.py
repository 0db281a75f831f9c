"""The programme in the c3voc/frab schedule format: schedule.xml and schedule.json.

The format that frab, pretalx and the c3voc tools write and that schedule apps (Giggity,
EventFahrplan, …) read. The schemas are published in the repository voc/schedule
(validator/xsd/schedule.xml.xsd, validator/json/schema.json); tests/events/schemas/ holds copies.
Both files are built from one description of the schedule (`schedule_data`), so they always
say the same.

**Sessions.** Each agenda item is one session in its room (the plenary for items without a
room). An item held in all break-out rooms at once (`AgendaItem.is_all_rooms`) is one session
per room instead, with the room's topic as subtitle.

**Ids and guids** depend only on the item and the room, never on other items or on the order,
so they stay the same from one export to the next and when other items change:

- guid: the item's own `uid` (the UUID its calendar entry carries too); for the copy of an
  all-rooms item in a room, `uuid5(item.uid, "room-<room pk>")`.
- id: the Cantor pairing `(a + b)(a + b + 1) / 2 + b` of a = the item's pk and b = the room's
  pk for a copy in a room, 0 otherwise. The pairing is a bijection of pairs of whole numbers, so
  two sessions never share an id, and a ≥ 1 makes every id positive. Ids stay below 2³¹ (what
  32-bit readers take) while item pk + room pk < 65,535.
- slug: `<acronym>-<id>-<title as a slug>`, unique through the id.

Public data only: no join link (`Event.plenary_join_url`, `Room.join_url`), nothing about
registrations; speakers appear with their pk and name, as on the event page.
"""

import datetime as dt
import hashlib
import json
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from events.models import AgendaItem, Event, Room
from events.selectors import Programme
from koki.site import absolute_url

XML_CONTENT_TYPE = "application/xml; charset=utf-8"
JSON_CONTENT_TYPE = "application/json"
JSON_SCHEMA = "https://c3voc.de/schedule/schema.json"
GENERATOR = "koki"
TIMESLOT = "00:05"
# The JSON schema's pattern for a time zone name.
_ZONE_NAME = re.compile(r"[A-Z][a-z]+/[A-Z][a-z]+|UTC")
SLUG_WORDS = 60  # characters of the title in a session's slug

# slugify() drops ß and reduces umlauts to their vowel; German spells them out.
_GERMAN = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)

# Characters that XML 1.0 does not allow, not even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# --- Names and numbers ----------------------------------------------------------------------


def acronym(event: Event) -> str:
    """The slug in the form the JSON schema asks for (`^[a-z0-9_-][a-z0-9_]{3,}…`):
    koki-abschluss → koki_abschluss."""
    return re.sub(r"[^a-z0-9_]", "_", event.slug.lower()).ljust(4, "_")


def session_id(item: AgendaItem, room: Room | None = None) -> int:
    """The Cantor pairing of the item's pk and the room's (0: not a per-room copy)."""
    a, b = item.pk, room.pk if room is not None else 0
    return (a + b) * (a + b + 1) // 2 + b


def session_guid(item: AgendaItem, room: Room | None = None) -> uuid.UUID:
    """The item's uid, or for its copy in a room a UUID derived from the uid and the room."""
    return item.uid if room is None else uuid.uuid5(item.uid, f"room-{room.pk}")


def room_guid(event: Event, room: Room | None = None) -> uuid.UUID:
    """A UUID for a room (None: the plenary) that lasts as long as the site's address."""
    site = uuid.uuid5(uuid.NAMESPACE_URL, settings.SITE_URL)
    return uuid.uuid5(site, f"event-{event.pk}/" + (f"room-{room.pk}" if room else "plenary"))


def room_name(room: Room | None) -> str:
    return str(room) if room is not None else _("Plenary")


def _local(moment: dt.datetime, event: Event) -> dt.datetime:
    return timezone.localtime(moment, event.tzinfo)


def _timestamp(moment: dt.datetime, event: Event) -> str:
    """ISO 8601 in the event's zone, with its UTC offset: 2027-03-16T10:00:00+01:00."""
    return _local(moment, event).isoformat(timespec="seconds")


def _hours_minutes(delta: dt.timedelta) -> str:
    """HH:MM, as the schema's pattern allows it (at most 99:59)."""
    minutes = min(int(delta.total_seconds()) // 60, 99 * 60 + 59)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _slug(acronym_: str, id_: int, title: str) -> str:
    """koki_abschluss-6-impuls-kuenstliche-intelligenz-in-kommunen (whole words only)."""
    words = slugify(title.translate(_GERMAN))
    if len(words) > SLUG_WORDS:
        words = words[: SLUG_WORDS + 1].rpartition("-")[0] or words[:SLUG_WORDS]
    words = words.strip("-_")
    return "-".join(part for part in (acronym_, str(id_), words) if part)


def _paragraphs(text: str) -> tuple[str, str]:
    """(abstract, description): the first paragraph, then the others."""
    first, _blank, rest = text.strip().replace("\r\n", "\n").partition("\n\n")
    return first.strip(), rest.strip()


# --- The schedule ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    item: AgendaItem
    room: Room | None  # the room of a per-room copy; else None
    room_name: str

    @property
    def id(self) -> int:
        return session_id(self.item, self.room)

    @property
    def guid(self) -> uuid.UUID:
        return session_guid(self.item, self.room)


def sessions(programme: Programme) -> list[Session]:
    """One session per item, or per room for an item held in all rooms at once (in the
    plenary if the event has no rooms)."""
    found = []
    for item in programme.items:
        if item.is_all_rooms and programme.rooms:
            found.extend(Session(item, room, room_name(room)) for room in programme.rooms)
        else:
            found.append(Session(item, None, room_name(item.room)))
    return found


def _session_data(session: Session, *, event: Event, acronym_: str, url: str) -> dict:
    item = session.item
    abstract, description = _paragraphs(item.description)
    return {
        "id": session.id,
        "guid": str(session.guid),
        "date": _timestamp(item.starts_at, event),
        "start": _local(item.starts_at, event).strftime("%H:%M"),
        "duration": _hours_minutes(item.ends_at - item.starts_at),
        "room": session.room_name,
        "slug": _slug(acronym_, session.id, item.title),
        "url": url,
        "title": item.title,
        "subtitle": session.room.topic if session.room is not None else "",
        "track": str(item.get_kind_display()),
        "type": item.kind,
        "language": settings.LANGUAGE_CODE.split("-")[0],
        "abstract": abstract,
        "description": description,
        "persons": [{"id": speaker.pk, "name": speaker.name} for speaker in item.ordered_speakers],
        "links": [],
    }


def _dates(event: Event, found: list[Session]) -> list[dt.date]:
    """Every calendar day of the event in its zone (an end at midnight ends the day before),
    and the day of any session outside it."""
    first, end = _local(event.starts_at, event), _local(event.ends_at, event)
    last = end.date()
    if end.time() == dt.time(0) and last > first.date():
        last -= dt.timedelta(days=1)
    dates = {first.date() + dt.timedelta(days=n) for n in range((last - first.date()).days + 1)}
    dates.update(_local(session.item.starts_at, event).date() for session in found)
    return sorted(dates)


def _day_data(
    index: int,
    date: dt.date,
    *,
    event: Event,
    on_day: list[Session],
    rooms: list[str],
    data: dict[Session, dict],
) -> dict:
    """A day from the event's start (or midnight) to its end (or the next midnight), widened
    to the sessions that day; every room, in the same order each day."""
    zone = event.tzinfo
    midnight = dt.datetime.combine(date, dt.time(0), tzinfo=zone)
    next_midnight = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    start = min([max(event.starts_at, midnight), *(s.item.starts_at for s in on_day)])
    end = max([min(event.ends_at, next_midnight), *(s.item.ends_at for s in on_day)])
    by_room: dict[str, list[dict]] = {name: [] for name in rooms}
    for session in on_day:
        by_room.setdefault(session.room_name, []).append(data[session])
    return {
        "index": index,
        "date": date.isoformat(),
        "day_start": _timestamp(start, event),
        "day_end": _timestamp(end, event),
        "rooms": by_room,
    }


def schedule_data(programme: Programme) -> dict:
    """The schedule as the JSON format's `schedule` object; the XML says the same.

    `version` is a digest of everything else: it changes exactly when the content does (apps
    such as EventFahrplan compare it to tell their users about changes).
    """
    event = programme.event
    acronym_, url = acronym(event), absolute_url(event.get_absolute_url())
    found = sessions(programme)
    data = {
        session: _session_data(session, event=event, acronym_=acronym_, url=url)
        for session in found
    }
    rooms = [room_name(None), *(room_name(room) for room in programme.rooms)]
    dates = _dates(event, found)
    days = [
        _day_data(
            index,
            date,
            event=event,
            on_day=[s for s in found if _local(s.item.starts_at, event).date() == date],
            rooms=rooms,
            data=data,
        )
        for index, date in enumerate(dates, start=1)
    ]
    conference = {
        "acronym": acronym_,
        "title": event.title,
        "start": dates[0].isoformat(),
        "end": dates[-1].isoformat(),
        "daysCount": len(days),
        "timeslot_duration": TIMESLOT,
        # Only names of the schema's form (Area/City or UTC): the offsets say the rest.
        **({"time_zone_name": event.timezone} if _ZONE_NAME.fullmatch(event.timezone) else {}),
        "url": url,
        "rooms": [
            {"name": room_name(None), "guid": str(room_guid(event)), "description": None},
            *(
                {
                    "name": room_name(room),
                    "guid": str(room_guid(event, room)),
                    "description": room.topic or None,
                }
                for room in programme.rooms
            ),
        ],
        "days": days,
    }
    schedule = {"base_url": absolute_url("/"), "conference": conference}
    canonical = json.dumps(schedule, sort_keys=True, ensure_ascii=False).encode()
    return {"version": hashlib.sha256(canonical).hexdigest()[:12], **schedule}


# --- The two files --------------------------------------------------------------------------


def schedule_json(*, programme: Programme) -> bytes:
    document = {
        "$schema": JSON_SCHEMA,
        "generator": {"name": GENERATOR},
        "schedule": schedule_data(programme),
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def _text(parent: ET.Element, tag: str, value, **attributes) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = _NOT_XML.sub("", str(value))
    return element


_XML_EVENT_FIELDS = (
    "room", "title", "subtitle", "type", "date", "start", "duration", "abstract", "slug", "track",
)  # fmt: skip


def _xml_event(parent: ET.Element, data: dict) -> None:
    event = ET.SubElement(parent, "event", id=str(data["id"]), guid=data["guid"])
    for field in _XML_EVENT_FIELDS:
        _text(event, field, data[field])
    persons = ET.SubElement(event, "persons")
    for person in data["persons"]:
        _text(persons, "person", person["name"], id=str(person["id"]))
    _text(event, "language", data["language"])
    _text(event, "description", data["description"])
    ET.SubElement(event, "links")
    _text(event, "url", data["url"])


def schedule_xml(*, programme: Programme) -> bytes:
    data = schedule_data(programme)
    conference = data["conference"]
    root = ET.Element("schedule")
    ET.SubElement(root, "generator", name=GENERATOR)
    _text(root, "version", data["version"])
    element = ET.SubElement(root, "conference")
    for tag, key in (
        ("title", "title"),
        ("acronym", "acronym"),
        ("start", "start"),
        ("end", "end"),
        ("days", "daysCount"),
        ("timeslot_duration", "timeslot_duration"),
    ):
        _text(element, tag, conference[key])
    _text(element, "base_url", data["base_url"])
    if "time_zone_name" in conference:
        _text(element, "time_zone_name", conference["time_zone_name"])
    for day in conference["days"]:
        day_element = ET.SubElement(
            root,
            "day",
            index=str(day["index"]),
            date=day["date"],
            start=day["day_start"],
            end=day["day_end"],
        )
        for name, events in day["rooms"].items():
            room_element = ET.SubElement(day_element, "room", name=_NOT_XML.sub("", name))
            for event in events:
                _xml_event(room_element, event)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
