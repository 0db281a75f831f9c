"""schedule.xml and schedule.json: the c3voc/frab format, checked against the published schemas
(tests/events/schemas/, copied from voc/schedule) and field by field."""

import datetime as dt
import itertools
import json
import re
import uuid
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from events.exports import schedule
from events.models import AgendaItem, Room
from events.services import agenda_item_save
from tests.factories import (
    AgendaItemFactory,
    AgendaItemSpeakerFactory,
    EventFactory,
    RegistrationFactory,
    RoomFactory,
)

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "schemas"
XML_URL = "/events/koki-abschluss/schedule.xml"
JSON_URL = "/events/koki-abschluss/schedule.json"
EVENT_PAGE = "http://127.0.0.1:8000/events/koki-abschluss/"

# The patterns the schemas ask for (JSON: acronym, duration, slug; XSD: dateTimeTZ, start, uuid).
ACRONYM = re.compile(r"^[a-z0-9_-][a-z0-9_]{3,}(-2[0-9]{3}-[a-z]+)?$")
DATE_TIME_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
HOURS_MINUTES = re.compile(r"^\d{2}:[0-5]\d$")
SLUG = re.compile(r"^[a-z0-9_-]+[a-z0-9]$")
UUID = re.compile(r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def xsd():
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "schedule.xml.xsd")))


@pytest.fixture(scope="module")
def json_validator():
    # Upstream's schema.json has two `// TODO` lines (schemas/README.md): dropped to parse it.
    text = (SCHEMAS / "schema.json").read_text()
    schema = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.MULTILINE))
    checker = jsonschema.FormatChecker()
    # Without their optional libraries these formats would pass unchecked.
    assert {"date", "date-time", "uri", "uuid"} <= set(checker.checkers)
    return jsonschema.Draft6Validator(schema, format_checker=checker)


def schema_errors(validator, document) -> list[str]:
    """What the JSON schema finds, less one known disagreement: it gives an event's `start` the
    format date-time, while frab, pretalx, the schema's own examples and every reader use the
    time of day (HH:MM), as the XSD does. Those `start` values are checked to be HH:MM."""
    errors = []
    for error in validator.iter_errors(document):
        is_start = list(error.path)[-1:] == ["start"] and error.validator == "format"
        if is_start and HOURS_MINUTES.match(error.instance):
            continue
        errors.append(f"{list(error.path)}: {error.message}")
    return errors


def xml_sessions(root) -> list[dict]:
    return [
        {
            "id": int(element.get("id")),
            "guid": element.get("guid"),
            **{child.tag: child.text or "" for child in element if child.tag != "persons"},
            "persons": [
                {"id": int(person.get("id")), "name": person.text}
                for person in element.find("persons")
            ],
            "day": element.getparent().getparent().get("date"),
            "room_element": element.getparent().get("name"),
        }
        for element in root.iter("event")
    ]


def json_sessions(document) -> list[dict]:
    return [
        {**session, "day": day["date"], "room_key": name}
        for day in document["schedule"]["conference"]["days"]
        for name, sessions in day["rooms"].items()
        for session in sessions
    ]


def by_title_and_room(sessions) -> dict[tuple[str, str], dict]:
    return {(session["title"], session["room"]): session for session in sessions}


# --- Valid against the published schemas --------------------------------------------------


def test_schedule_xml_is_valid_against_the_c3voc_xsd(client, demo_event, xsd):
    response = client.get(XML_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="koki-abschluss-schedule.xml"'
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<schedule>")
    root = etree.fromstring(response.content)
    xsd.assertValid(root)  # also: ids, guids, slugs and day indexes unique


def test_schedule_json_is_valid_against_the_c3voc_json_schema(client, demo_event, json_validator):
    response = client.get(JSON_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'inline; filename="koki-abschluss-schedule.json"'
    document = json.loads(response.content)
    assert schema_errors(json_validator, document) == []
    assert document["$schema"] == "https://c3voc.de/schedule/schema.json"
    assert document["generator"] == {"name": "koki"}


def test_the_json_check_finds_what_the_schema_forbids(client, demo_event, json_validator):
    document = json.loads(client.get(JSON_URL).content)
    session = document["schedule"]["conference"]["days"][0]["rooms"]["Plenum"][0]
    session.update(id=0, guid="not-a-uuid", duration="90", date="2027-03-16 10:00")
    document["schedule"]["conference"]["acronym"] = "koki-abschluss"

    errors = schema_errors(json_validator, document)

    assert len(errors) == 5
    assert any("'not-a-uuid' is not a 'uuid'" in error for error in errors)
    assert any("is not a 'date-time'" in error for error in errors)


def test_an_event_without_rooms_or_items_is_valid_too(client, event, xsd, json_validator):
    empty = EventFactory(slug="leer")
    deep_dive = AgendaItemFactory(event=event, kind=AgendaItem.Kind.DEEP_DIVE, room=None)

    for slug in (empty.slug, event.slug):
        xsd.assertValid(etree.fromstring(client.get(f"/events/{slug}/schedule.xml").content))
        document = json.loads(client.get(f"/events/{slug}/schedule.json").content)
        assert schema_errors(json_validator, document) == []
    (session,) = json_sessions(document)  # no rooms: the deep dive is held in the plenary

    assert json_sessions(json.loads(client.get("/events/leer/schedule.json").content)) == []
    assert (session["room"], session["guid"]) == ("Plenum", str(deep_dive.uid))


# --- What is in it --------------------------------------------------------------------------


def test_conference_and_day_of_the_demo(client, demo_event):
    document = json.loads(client.get(JSON_URL).content)
    root = etree.fromstring(client.get(XML_URL).content)

    conference = document["schedule"]["conference"]
    assert ACRONYM.match(conference["acronym"])
    assert {key: conference[key] for key in conference if key not in {"rooms", "days"}} == {
        "acronym": "koki_abschluss",
        "title": demo_event.title,
        "start": "2027-03-16",
        "end": "2027-03-16",
        "daysCount": 1,
        "timeslot_duration": "00:05",
        "time_zone_name": "Europe/Berlin",
        "url": EVENT_PAGE,
    }
    assert document["schedule"]["base_url"] == "http://127.0.0.1:8000/"
    assert re.fullmatch(r"[0-9a-f]{12}", document["schedule"]["version"])
    rooms = ["Plenum", *(str(room) for room in demo_event.rooms.order_by("number"))]
    assert [room["name"] for room in conference["rooms"]] == rooms
    assert conference["rooms"][3] == {
        "name": "Raum 3: Pflege",
        "guid": str(schedule.room_guid(demo_event, demo_event.rooms.get(number=3))),
        "description": (
            "Assistenz, Dokumentation, Planung: Chancen und Grenzen von KI in der Pflege."
        ),
    }
    (day,) = conference["days"]
    assert {key: day[key] for key in ("index", "date", "day_start", "day_end")} == {
        "index": 1,
        "date": "2027-03-16",
        "day_start": "2027-03-16T10:00:00+01:00",
        "day_end": "2027-03-16T12:45:00+01:00",
    }
    assert list(day["rooms"]) == rooms

    assert root.findtext("version") == document["schedule"]["version"]
    assert {child.tag: child.text for child in root.find("conference")} == {
        "title": demo_event.title,
        "acronym": "koki_abschluss",
        "start": "2027-03-16",
        "end": "2027-03-16",
        "days": "1",
        "timeslot_duration": "00:05",
        "base_url": "http://127.0.0.1:8000/",
        "time_zone_name": "Europe/Berlin",
    }
    (xml_day,) = root.findall("day")
    assert dict(xml_day.attrib) == {
        "index": "1",
        "date": "2027-03-16",
        "start": "2027-03-16T10:00:00+01:00",
        "end": "2027-03-16T12:45:00+01:00",
    }
    assert [room.get("name") for room in xml_day.findall("room")] == rooms


def test_every_item_is_a_session_and_the_deep_dive_one_per_room(client, demo_event):
    sessions = json_sessions(json.loads(client.get(JSON_URL).content))
    rooms = list(demo_event.rooms.order_by("number"))
    deep_dive = demo_event.agenda_items.get(kind=AgendaItem.Kind.DEEP_DIVE)
    plenary = demo_event.agenda_items.exclude(pk=deep_dive.pk).order_by("starts_at")

    assert len(sessions) == plenary.count() + len(rooms) == 7 + 8
    assert [s["title"] for s in sessions if s["room"] == "Plenum"] == [i.title for i in plenary]
    copies = [s for s in sessions if s["title"] == deep_dive.title]
    assert [(s["room"], s["room_key"], s["subtitle"]) for s in copies] == [
        (str(room), str(room), room.topic) for room in rooms
    ]
    assert [s["id"] for s in copies] == [schedule.session_id(deep_dive, room) for room in rooms]
    assert [s["guid"] for s in copies] == [
        str(uuid.uuid5(deep_dive.uid, f"room-{room.pk}")) for room in rooms
    ]
    assert str(deep_dive.uid) not in {s["guid"] for s in sessions}


def test_a_session_has_every_field_in_its_form(client, demo_event):
    sessions = json_sessions(json.loads(client.get(JSON_URL).content))
    item = demo_event.agenda_items.get(title="Impuls: Künstliche Intelligenz in Kommunen")
    speaker = item.speakers.get()

    for session in sessions:
        assert type(session["id"]) is int
        assert session["id"] >= 1
        assert UUID.match(session["guid"])
        assert DATE_TIME_WITH_OFFSET.match(session["date"])
        assert HOURS_MINUTES.match(session["start"])
        assert HOURS_MINUTES.match(session["duration"])
        assert SLUG.match(session["slug"])
        assert session["slug"].startswith(f"koki_abschluss-{session['id']}-")
        assert (session["language"], session["url"], session["links"]) == ("de", EVENT_PAGE, [])
    (impulse,) = [s for s in sessions if s["guid"] == str(item.uid)]
    assert impulse == {
        "id": schedule.session_id(item),
        "guid": str(item.uid),
        "date": "2027-03-16T10:35:00+01:00",
        "start": "10:35",
        "duration": "00:15",
        "room": "Plenum",
        "slug": f"koki_abschluss-{impulse['id']}-impuls-kuenstliche-intelligenz-in-kommunen",
        "url": EVENT_PAGE,
        "title": "Impuls: Künstliche Intelligenz in Kommunen",
        "subtitle": "",
        "track": "Impuls",
        "type": "impulse",
        "language": "de",
        "abstract": "",
        "description": "",
        "persons": [{"id": speaker.pk, "name": "Henning Lühr"}],
        "links": [],
        "day": "2027-03-16",
        "room_key": "Plenum",
    }
    assert len({s["id"] for s in sessions}) == len(sessions)
    assert len({s["guid"] for s in sessions}) == len(sessions)
    assert len({s["slug"] for s in sessions}) == len(sessions)


def test_xml_and_json_say_the_same(client, demo_event):
    document = json.loads(client.get(JSON_URL).content)
    from_xml = xml_sessions(etree.fromstring(client.get(XML_URL).content))
    from_json = json_sessions(document)

    fields = ("id", "guid", "date", "start", "duration", "room", "slug", "url", "title")
    fields += ("subtitle", "track", "type", "language", "abstract", "description", "persons")
    assert [{key: s[key] for key in fields} for s in from_xml] == [
        {key: s[key] for key in fields} for s in from_json
    ]
    assert all(s["room_element"] == s["room"] for s in from_xml)


def test_a_description_is_split_into_abstract_and_description(client, event):
    AgendaItemFactory(event=event, title="Lang", description="Erster Absatz.\r\n\r\nZweiter.\n\n")
    AgendaItemFactory(event=event, title="Kurz", description="Nur einer.")

    sessions = json_sessions(json.loads(client.get(f"/events/{event.slug}/schedule.json").content))

    assert [(s["abstract"], s["description"]) for s in sessions] == [
        ("Erster Absatz.", "Zweiter."),
        ("Nur einer.", ""),
    ]


def test_slugs_spell_out_umlauts_and_end_with_a_whole_word(client):
    event = EventFactory(slug="ki")
    titles = ["Begrüßung", "Wort " * 20, "🎉"]
    items = [AgendaItemFactory(event=event, title=title) for title in titles]

    sessions = json_sessions(json.loads(client.get("/events/ki/schedule.json").content))

    ids = [schedule.session_id(item) for item in items]
    assert [s["slug"] for s in sessions] == [
        f"ki__-{ids[0]}-begruessung",
        f"ki__-{ids[1]}-" + "-".join(["wort"] * 12),
        f"ki__-{ids[2]}",
    ]


def test_english_on_request_and_german_by_default(client, demo_event):
    client.cookies["django_language"] = "en"
    default = json.loads(client.get(JSON_URL, follow=True).content)
    english = json.loads(client.get(JSON_URL + "?lang=en", follow=True).content)

    assert list(default["schedule"]["conference"]["days"][0]["rooms"])[:2] == [
        "Plenum",
        "Raum 1: Bildung & Lernen",
    ]
    assert list(english["schedule"]["conference"]["days"][0]["rooms"])[:2] == [
        "Plenary",
        "Room 1: Education & Learning",
    ]
    assert {s["language"] for s in json_sessions(english)} == {"de"}  # the event's language
    assert {s["track"] for s in json_sessions(english)} >= {"Impulse", "Deep dive"}


def test_one_day_per_calendar_day_with_the_offset_of_each(client, xsd):
    # Europe/Berlin moves to summer time in the night to 28 March 2027.
    event = EventFactory(
        slug="zwei-tage",
        starts_at=dt.datetime(2027, 3, 27, 17, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 3, 28, 22, 0, tzinfo=dt.UTC),  # midnight in Berlin
    )
    AgendaItemFactory(
        event=event,
        starts_at=dt.datetime(2027, 3, 28, 8, 30, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 3, 28, 10, 0, tzinfo=dt.UTC),
    )

    document = json.loads(client.get("/events/zwei-tage/schedule.json").content)
    root = etree.fromstring(client.get("/events/zwei-tage/schedule.xml").content)

    conference = document["schedule"]["conference"]
    assert (conference["start"], conference["end"], conference["daysCount"]) == (
        "2027-03-27",
        "2027-03-28",
        2,
    )
    assert [
        (day["index"], day["date"], day["day_start"], day["day_end"]) for day in conference["days"]
    ] == [
        (1, "2027-03-27", "2027-03-27T18:00:00+01:00", "2027-03-28T00:00:00+01:00"),
        (2, "2027-03-28", "2027-03-28T00:00:00+01:00", "2027-03-29T00:00:00+02:00"),
    ]
    (session,) = json_sessions(document)
    assert (session["day"], session["date"], session["start"], session["duration"]) == (
        "2027-03-28",
        "2027-03-28T10:30:00+02:00",
        "10:30",
        "01:30",
    )
    xsd.assertValid(root)
    assert [day.get("date") for day in root.findall("day")] == ["2027-03-27", "2027-03-28"]


def test_text_that_xml_cannot_carry_is_left_out(client, event, xsd):
    # (not NUL: PostgreSQL refuses it in text)
    AgendaItemFactory(event=event, title="Tab\tund\x0bSteuer\x1fzeichen", description="a\x01b")

    root = etree.fromstring(client.get(f"/events/{event.slug}/schedule.xml").content)

    xsd.assertValid(root)
    assert root.findtext("day/room/event/title") == "Tab\tundSteuerzeichen"
    assert root.findtext("day/room/event/abstract") == "ab"


# --- Ids and guids --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "expected"),
    [("koki-abschluss", "koki_abschluss"), ("KI", "ki__"), ("tag_2027-ki", "tag_2027_ki")],
)
def test_acronym_from_the_slug_matches_the_schema(slug, expected):
    assert schedule.acronym(EventFactory.build(slug=slug)) == expected
    assert ACRONYM.match(expected)


def test_session_ids_are_positive_and_never_collide():
    items = [AgendaItem(pk=pk) for pk in range(1, 80)]
    rooms = [None, *(Room(pk=pk) for pk in range(1, 80))]

    ids = [schedule.session_id(item, room) for item, room in itertools.product(items, rooms)]

    assert min(ids) == 1
    assert len(set(ids)) == len(ids)
    assert schedule.session_id(AgendaItem(pk=4)) == 10  # (4 + 0)(4 + 0 + 1) / 2 + 0
    assert schedule.session_id(AgendaItem(pk=4), Room(pk=2)) == 23  # (6 · 7) / 2 + 2


def _ids(client) -> dict[tuple[str, str], tuple[int, str]]:
    sessions = json_sessions(json.loads(client.get(JSON_URL).content))
    return {key: (s["id"], s["guid"]) for key, s in by_title_and_room(sessions).items()}


def test_ids_and_guids_stay_across_exports_and_edits_of_other_items(client, demo_event):
    first = _ids(client)
    again = _ids(client)
    networking = demo_event.agenda_items.get(title="Networking")
    networking.title = "Networking und Kaffee"
    agenda_item_save(item=networking)
    demo_event.agenda_items.get(title="Abschluss und Ausblick").delete()
    AgendaItemFactory(event=demo_event, title="Neu", starts_at=networking.starts_at)
    after = _ids(client)

    assert again == first
    unchanged = {
        key: value
        for key, value in first.items()
        if key[0] not in {"Networking", "Abschluss und Ausblick"}
    }
    assert {key: after[key] for key in unchanged} == unchanged
    assert after[("Networking und Kaffee", "Plenum")] == first[("Networking", "Plenum")]
    assert ("Neu", "Plenum") in after


def test_a_moved_item_keeps_its_id_and_guid(client, demo_event):
    before = _ids(client)
    item = demo_event.agenda_items.get(title="Impuls: Algorithmen verantwortlich einsetzen")
    item.starts_at += dt.timedelta(minutes=5)
    item.ends_at += dt.timedelta(minutes=5)
    item.room = demo_event.rooms.get(number=3)
    agenda_item_save(item=item)
    deep_dive = demo_event.agenda_items.get(kind=AgendaItem.Kind.DEEP_DIVE)
    deep_dive.starts_at += dt.timedelta(minutes=5)
    agenda_item_save(item=deep_dive)

    after = _ids(client)

    assert after[(item.title, "Raum 3: Pflege")] == before[(item.title, "Plenum")]
    assert after[(item.title, "Raum 3: Pflege")][1] == str(item.uid)
    copies = [key for key in before if key[0] == deep_dive.title]
    assert len(copies) == 8
    assert {key: after[key] for key in copies} == {key: before[key] for key in copies}


# --- Nothing private ------------------------------------------------------------------------


def test_no_join_link_and_no_personal_data(client, demo_event):
    demo_event.plenary_join_url = "https://plenum.example.net/geheim-plenum"
    demo_event.save()
    for room in demo_event.rooms.all():
        room.join_url = f"https://meet.example.net/geheim-raum-{room.number}"
        room.moderators = "Mo Derator"
        room.save()
    registration = RegistrationFactory(
        room=demo_event.rooms.get(number=1),
        first_name="Anna",
        last_name="Angemeldet",
        email="anna.angemeldet@example.org",
    )

    for url in (XML_URL, JSON_URL):
        content = client.get(url).content.decode()
        assert "plenum.example.net" not in content
        assert "meet.example.net" not in content
        assert "geheim" not in content
        for private in ("Angemeldet", "anna.angemeldet", str(registration.token), "Mo Derator"):
            assert private not in content


# --- Serving ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [XML_URL, JSON_URL])
def test_unknown_or_unpublished_event_is_404(client, url):
    EventFactory(slug="koki-abschluss", is_published=False)

    assert client.get(url).status_code == 404
    assert client.get(url.replace("koki-abschluss", "gibt-es-nicht")).status_code == 404


@pytest.mark.parametrize("url", [XML_URL, JSON_URL])
def test_not_modified_for_the_same_etag_and_rendered_again_after_a_change(
    client, demo_event, renders, url
):
    first = client.get(url)
    etag = first["ETag"]

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    since = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    post = client.post(url)
    AgendaItemFactory(event=demo_event, title="Nachzügler")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)

    assert etag.startswith('W/"')
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    assert since.status_code == 304
    assert post.status_code == 405
    assert first["Cache-Control"] == "public, no-cache"
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert "Nachzügler" in changed.content.decode()
    assert len(renders) == 2


@pytest.mark.parametrize("url", [XML_URL, JSON_URL])
@pytest.mark.parametrize("count", [1, 30])
def test_query_count_does_not_grow_with_items(client, django_assert_num_queries, url, count):
    event = EventFactory(slug="koki-abschluss")
    rooms = [RoomFactory(event=event, number=number) for number in (1, 2, 3)]
    for index in range(count):
        item = AgendaItemFactory(
            event=event,
            starts_at=event.starts_at + dt.timedelta(minutes=index),
            room=rooms[index % 3] if index % 2 else None,
            kind=AgendaItem.Kind.DEEP_DIVE if index % 5 == 0 else AgendaItem.Kind.TALK,
        )
        AgendaItemSpeakerFactory(agenda_item=item)

    with django_assert_num_queries(5):  # the event's key and the event, items, speakers, rooms
        miss = client.get(url)
    with django_assert_num_queries(0):  # the event and the file from the cache
        hit = client.get(url)

    assert miss.status_code == 200
    assert hit.content == miss.content
    assert miss.content.count(b"Programmpunkt") >= count


@pytest.mark.django_db
def test_a_zone_name_the_schema_does_not_allow_is_left_out_and_offsets_stay(client):
    event = EventFactory(slug="zone", timezone="US/Eastern")
    AgendaItemFactory(event=event)

    data = client.get("/events/zone/schedule.json").json()["schedule"]
    xml = client.get("/events/zone/schedule.xml").content.decode()

    assert "time_zone_name" not in data["conference"]
    assert "<time_zone_name>" not in xml
    assert data["conference"]["days"][0]["day_start"][-6:] in {"-05:00", "-04:00"}
