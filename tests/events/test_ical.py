import datetime as dt
import re
import zoneinfo

import icalendar
import pytest
import vobject
from django.utils import timezone, translation

from events.exports import ical
from events.models import AgendaItem
from registrations import joining, services
from registrations.models import Registration
from tests.factories import (
    BERLIN,
    AgendaItemFactory,
    AgendaItemSpeakerFactory,
    EventFactory,
    RegistrationFactory,
    RoomFactory,
    SpeakerFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def parse_both(content: bytes):
    """The calendar parsed by icalendar and by vobject (an independent implementation)."""
    text = content.decode("utf-8")
    return icalendar.Calendar.from_ical(text), vobject.readOne(text)


def vevents_by_uid(calendar):
    return {str(component["UID"]): component for component in calendar.walk("VEVENT")}


def vobject_events_by_uid(vcal):
    return {vevent.uid.value: vevent for vevent in vcal.vevent_list}


def test_programme_feed_has_every_item_with_stable_uid_and_right_instants(client, demo_event):
    response = client.get("/events/koki-abschluss/programme.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == ('attachment; filename="koki-abschluss-programm.ics"')
    cal, vcal = parse_both(response.content)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["PRODID"]) == "-//Co:Lab e.V.//koki programme export 1.0//EN"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["X-WR-CALNAME"]) == demo_event.title
    assert str(cal["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert vcal.method.value == "PUBLISH"

    items = list(demo_event.agenda_items.order_by("starts_at"))
    events = vevents_by_uid(cal)
    vevents = vobject_events_by_uid(vcal)
    assert set(events) == {f"{item.uid}@127.0.0.1" for item in items}
    assert set(vevents) == set(events)
    for item in items:
        uid = f"{item.uid}@127.0.0.1"
        event = events[uid]
        assert str(event["SUMMARY"]) == item.title
        assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert event.decoded("DTSTART") == item.starts_at
        assert event.decoded("DTEND") == item.ends_at
        assert event.decoded("DTSTART").astimezone(BERLIN).strftime("%H:%M") == (
            item.starts_at.astimezone(BERLIN).strftime("%H:%M")
        )
        assert int(event["SEQUENCE"]) == 0
        assert str(event["URL"]) == "http://127.0.0.1:8000/events/koki-abschluss/"
        assert str(event["ORGANIZER"]) == "mailto:noreply@localhost"
        assert event["ORGANIZER"].params["CN"] == demo_event.organiser.name
        assert event.decoded("LAST-MODIFIED") == item.updated_at.replace(microsecond=0)
        assert event.decoded("DTSTAMP").tzinfo is not None
        assert event.get("CATEGORIES").cats == [str(item.get_kind_display())]
        # vobject resolves the times on its own, from the embedded VTIMEZONE.
        vevent = vevents[uid]
        assert vevent.dtstart.value == item.starts_at
        assert vevent.dtend.value == item.ends_at
        assert vevent.summary.value == item.title
    # Public feed: no join links anywhere.
    assert b"konferenz.example.org" not in response.content


def test_programme_feed_description_names_the_speakers_and_location(client, demo_event):
    response = client.get("/events/koki-abschluss/programme.ics")
    cal, _vcal = parse_both(response.content)
    by_title = {str(event["SUMMARY"]): event for event in cal.walk("VEVENT")}

    panel = by_title["Podiumsdiskussion: Digitalisierung und Nachhaltigkeit"]
    assert str(panel["DESCRIPTION"]).startswith(
        "Sprecher*innen: Christian Mainka (City & Bits); Dr. Anja C. Wagner (FrolleinFlow)\n\n"
        "Digitale Gesellschaft: Welche Rolle spielt die Nachhaltigkeit?"
    )
    assert str(panel["DESCRIPTION"]).endswith(
        "Programm: http://127.0.0.1:8000/events/koki-abschluss/"
    )
    assert str(panel["LOCATION"]) == "Online"
    assert panel.get("CATEGORIES").cats == ["Podiumsdiskussion"]
    deep_dive = by_title["Deep Dives in acht parallelen Break-out-Räumen"]
    assert str(deep_dive["LOCATION"]) == "Break-out-Räume (Online)"


def test_programme_feed_in_english_by_request_language(client, demo_event):
    response = client.get(
        "/events/koki-abschluss/programme.ics",
        headers={"cookie": "django_language=en"},
        follow=True,
    )
    cal, _vcal = parse_both(response.content)
    panel = next(event for event in cal.walk("VEVENT") if str(event["SUMMARY"]).startswith("Panel"))
    assert panel.get("CATEGORIES").cats == ["Panel discussion"]
    assert str(panel["DESCRIPTION"]).startswith("Speakers: Christian Mainka (City & Bits)")
    assert response["Content-Disposition"] == (
        'attachment; filename="koki-abschluss-programme.ics"'
    )
    # ?lang= wins: calendar apps subscribe without an Accept-Language header.
    german = client.get(
        "/events/koki-abschluss/programme.ics?lang=de",
        headers={"cookie": "django_language=en"},
        follow=True,
    )
    assert b"CATEGORIES:Podiumsdiskussion" in german.content


def test_vtimezone_covers_only_the_event_years_with_rfc_onsets(client, demo_event):
    response = client.get("/events/koki-abschluss/programme.ics")
    cal, _vcal = parse_both(response.content)
    (zone,) = cal.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Berlin"
    onsets = [
        (sub.name, sub.decoded("DTSTART"), sub["TZOFFSETFROM"].td, sub["TZOFFSETTO"].td)
        for sub in zone.subcomponents
    ]
    hour = dt.timedelta(hours=1)
    assert onsets == [
        ("STANDARD", dt.datetime(2027, 1, 1, 0, 0), hour, hour),
        # RFC 5545 3.6.5: the onset is local time in the offset before the change.
        ("DAYLIGHT", dt.datetime(2027, 3, 28, 2, 0), hour, 2 * hour),
        ("STANDARD", dt.datetime(2027, 10, 31, 3, 0), 2 * hour, hour),
    ]


@pytest.mark.parametrize(
    ("zone_name", "first", "last"),
    [
        ("Europe/Berlin", dt.date(2027, 1, 1), dt.date(2028, 12, 31)),
        ("America/New_York", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ("Australia/Sydney", dt.date(2027, 1, 1), dt.date(2027, 12, 31)),
        ("UTC", dt.date(2027, 1, 1), dt.date(2027, 12, 31)),
    ],
)
def test_vtimezone_agrees_with_tzdata_at_every_hour(zone_name, first, last):
    component = ical.vtimezone(zone_name, first=first, last=last)
    calendar = icalendar.Calendar.from_ical(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        + component.to_ical()
        + b"END:VCALENDAR\r\n"
    )
    # icalendar builds a time zone from our VTIMEZONE alone (not from the system's tzdata).
    from_component = calendar.walk("VTIMEZONE")[0].to_tz()
    reference = zoneinfo.ZoneInfo(zone_name)
    moment = dt.datetime.combine(first, dt.time(12), tzinfo=UTC)
    end = dt.datetime.combine(last, dt.time(0), tzinfo=UTC)
    while moment < end:
        assert (
            moment.astimezone(from_component).utcoffset()
            == moment.astimezone(reference).utcoffset()
        ), moment
        moment += dt.timedelta(hours=1)


def test_feed_times_across_the_spring_change_in_berlin(client):
    # Saturday 27 March 2027 to Sunday 28 March: clocks go from 02:00 CET to 03:00 CEST.
    event = EventFactory(
        slug="nacht",
        starts_at=dt.datetime(2027, 3, 27, 20, 0, tzinfo=BERLIN),
        ends_at=dt.datetime(2027, 3, 28, 12, 0, tzinfo=BERLIN),
    )
    before = AgendaItemFactory(
        event=event,
        title="Samstagabend",
        starts_at=dt.datetime(2027, 3, 27, 20, 0, tzinfo=BERLIN),
        ends_at=dt.datetime(2027, 3, 27, 21, 0, tzinfo=BERLIN),
    )
    across = AgendaItemFactory(
        event=event,
        title="Über die Umstellung",
        starts_at=dt.datetime(2027, 3, 28, 1, 30, tzinfo=BERLIN),
        ends_at=dt.datetime(2027, 3, 28, 3, 30, tzinfo=BERLIN),
    )
    after = AgendaItemFactory(
        event=event,
        title="Sonntagmorgen",
        starts_at=dt.datetime(2027, 3, 28, 10, 0, tzinfo=BERLIN),
        ends_at=dt.datetime(2027, 3, 28, 11, 0, tzinfo=BERLIN),
    )

    response = client.get("/events/nacht/programme.ics")

    cal, vcal = parse_both(response.content)
    expected = {
        before.uid: (dt.datetime(2027, 3, 27, 19, 0, tzinfo=UTC), "20270327T200000"),
        across.uid: (dt.datetime(2027, 3, 28, 0, 30, tzinfo=UTC), "20270328T013000"),
        after.uid: (dt.datetime(2027, 3, 28, 8, 0, tzinfo=UTC), "20270328T100000"),
    }
    events = vevents_by_uid(cal)
    vevents = vobject_events_by_uid(vcal)
    for uid, (instant, local_text) in expected.items():
        key = f"{uid}@127.0.0.1"
        assert f"DTSTART;TZID=Europe/Berlin:{local_text}".encode() in response.content
        assert events[key].decoded("DTSTART").astimezone(UTC) == instant
        assert vevents[key].dtstart.value.astimezone(UTC) == instant
    # 01:30 CET to 03:30 CEST is one hour of real time, in both parsers.
    assert events[f"{across.uid}@127.0.0.1"].decoded("DTEND").astimezone(UTC) == dt.datetime(
        2027, 3, 28, 1, 30, tzinfo=UTC
    )
    across_v = vevents[f"{across.uid}@127.0.0.1"]
    # (Aware datetimes sharing a tzinfo subtract as wall clocks in Python: compare in UTC.)
    assert across_v.dtend.value.astimezone(UTC) - across_v.dtstart.value.astimezone(
        UTC
    ) == dt.timedelta(hours=1)


def test_room_feed_has_plenary_and_that_rooms_items_only(client):
    event = EventFactory(slug="raeume")
    room_a = RoomFactory(event=event, number=1, name="Ethik")
    room_b = RoomFactory(event=event, number=2, name="Recht")
    plenary = AgendaItemFactory(event=event, title="Plenum")
    all_rooms = AgendaItemFactory(event=event, title="Deep Dives", kind=AgendaItem.Kind.DEEP_DIVE)
    in_a = AgendaItemFactory(event=event, title="Nur Ethik", room=room_a)
    AgendaItemFactory(event=event, title="Nur Recht", room=room_b)

    response = client.get("/events/raeume/rooms/1.ics")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="raeume-raum-1.ics"'
    cal, vcal = parse_both(response.content)
    events = vevents_by_uid(cal)
    assert set(events) == {f"{item.uid}@127.0.0.1" for item in (plenary, all_rooms, in_a)}
    assert {vevent.summary.value for vevent in vcal.vevent_list} == {
        "Plenum",
        "Deep Dives",
        "Nur Ethik",
    }
    assert str(events[f"{all_rooms.uid}@127.0.0.1"]["LOCATION"]) == "Raum 1: Ethik (Online)"
    assert str(events[f"{in_a.uid}@127.0.0.1"]["LOCATION"]) == "Raum 1: Ethik (Online)"
    assert str(cal["X-WR-CALNAME"]) == f"{event.title} – Raum 1: Ethik"
    assert room_a.join_url.encode() not in response.content


def test_room_feed_unknown_room_or_event_is_404(client):
    room = RoomFactory(number=1)
    assert client.get(f"/events/{room.event.slug}/rooms/9.ics").status_code == 404
    assert client.get("/events/gibt-es-nicht/rooms/1.ics").status_code == 404
    assert client.get("/events/gibt-es-nicht/programme.ics").status_code == 404


def test_unpublished_event_has_no_feeds(client):
    room = RoomFactory(event=EventFactory(is_published=False), number=1)
    assert client.get(f"/events/{room.event.slug}/programme.ics").status_code == 404
    assert client.get(f"/events/{room.event.slug}/rooms/1.ics").status_code == 404


def _personal_setup():
    event = EventFactory(slug="persoenlich", plenary_join_url="https://meet.example.org/plenum")
    room = RoomFactory(
        event=event, number=3, name="Pflege", join_url="https://meet.example.org/pflege"
    )
    other = RoomFactory(event=event, number=4, name="Recht", join_url="https://meet.example.org/r")
    plenary = AgendaItemFactory(event=event, title="Begrüßung")
    deep_dive = AgendaItemFactory(
        event=event,
        title="Deep Dives",
        kind=AgendaItem.Kind.DEEP_DIVE,
        starts_at=event.starts_at + dt.timedelta(minutes=30),
    )
    AgendaItemFactory(
        event=event,
        title="Nur Recht",
        room=other,
        starts_at=event.starts_at + dt.timedelta(minutes=60),
    )
    registration = RegistrationFactory(room=room, first_name="Erika", last_name="Muster")
    return event, room, plenary, deep_dive, registration


RAW_URLS = (b"meet.example.org", b"example.org/plenum", b"example.org/pflege")


def _join_link(registration, place: str) -> str:
    prefix = "/en" if translation.get_language() == "en" else ""
    return f"http://127.0.0.1:8000{prefix}/r/{registration.token}/join/{place}/"


def _invitation(registration):
    return ical.personal_invitation(
        registration=registration,
        join_path=lambda room: joining.join_path(registration, room),
    )


def _entries(content: bytes) -> dict[str, tuple]:
    """UID: (SEQUENCE, start, end, LOCATION, URL, CONFERENCE) of every VEVENT."""
    return {
        str(vevent["UID"]): (
            int(vevent["SEQUENCE"]),
            vevent.decoded("DTSTART"),
            vevent.decoded("DTEND"),
            str(vevent["LOCATION"]),
            str(vevent["URL"]),
            str(vevent["CONFERENCE"]),
        )
        for vevent in icalendar.Calendar.from_ical(content).walk("VEVENT")
    }


def test_personal_feed_has_plenary_and_own_room_at_the_personal_join_links(client):
    event, _room, plenary, deep_dive, registration = _personal_setup()

    response = client.get(f"/r/{registration.token}/calendar.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-cache, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    cal, vcal = parse_both(response.content)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == f"{event.title} – mein Programm"
    events = vevents_by_uid(cal)
    plenary_uid = ical.personal_uid(plenary, registration=registration)
    deep_uid = ical.personal_uid(deep_dive, registration=registration)
    assert set(events) == {plenary_uid, deep_uid}
    assert {vevent.summary.value for vevent in vcal.vevent_list} == {"Begrüßung", "Deep Dives"}
    plenary_link, room_link = _join_link(registration, "plenary"), _join_link(registration, "3")
    plenary_event, deep_event = events[plenary_uid], events[deep_uid]
    assert (
        str(plenary_event["LOCATION"]),
        str(plenary_event["URL"]),
        str(plenary_event["CONFERENCE"]),
    ) == (plenary_link, plenary_link, plenary_link)
    assert (str(deep_event["LOCATION"]), str(deep_event["URL"]), str(deep_event["CONFERENCE"])) == (
        room_link,
        room_link,
        room_link,
    )
    assert str(plenary_event["DESCRIPTION"]) == (
        f"Teilnehmen: {plenary_link}\n\nProgramm: http://127.0.0.1:8000/events/persoenlich/"
    )
    assert str(deep_event["DESCRIPTION"]) == (
        f"Teilnehmen: {room_link}\nIhr Break-out-Raum: Raum 3: Pflege\n\n"
        "Programm: http://127.0.0.1:8000/events/persoenlich/"
    )
    assert deep_event.decoded("DTSTART") == deep_dive.starts_at
    assert deep_event.decoded("DTEND") == deep_dive.ends_at
    assert vcal.vevent_list[1].dtstart.value == deep_dive.starts_at
    for raw in RAW_URLS:
        assert raw not in response.content


@pytest.mark.parametrize("status", ["pending", "waiting", "cancelled"])
def test_personal_feed_only_for_confirmed_registrations(client, status):
    *_rest, registration = _personal_setup()
    registration.status = status
    registration.expires_at = timezone.now() + dt.timedelta(hours=1)
    registration.waiting_since = timezone.now()
    registration.save()

    response = client.get(f"/r/{registration.token}/calendar.ics")

    assert response.status_code == 404
    assert b"meet.example.org" not in response.content


@pytest.mark.parametrize(
    "token", ["unbekannt", "x" * 64, "y" * 300, "%00", "' OR 1=1 --", "ä" * 10]
)
def test_personal_feed_unknown_token_is_404(client, token):
    _personal_setup()
    response = client.get(f"/r/{token}/calendar.ics")
    assert response.status_code == 404


def test_public_feeds_keep_public_uids_and_hold_no_join_link(client):
    event, _room, plenary, deep_dive, registration = _personal_setup()
    RegistrationFactory(room=event.rooms.get(number=4))

    only_room_4 = event.agenda_items.get(title="Nur Recht")
    expected = {
        "/events/persoenlich/programme.ics": {plenary, deep_dive, only_room_4},
        "/events/persoenlich/rooms/3.ics": {plenary, deep_dive},
    }
    for url, items in expected.items():
        response = client.get(url)

        assert response.status_code == 200
        events = vevents_by_uid(icalendar.Calendar.from_ical(response.content))
        assert set(events) == {ical.item_uid(item) for item in items}
        for forbidden in (*RAW_URLS, b"/join/", b"CONFERENCE", registration.token.encode()):
            assert forbidden not in response.content
        assert str(events[ical.item_uid(plenary)]["URL"]) == (
            "http://127.0.0.1:8000/events/persoenlich/"
        )


def test_personal_uids_are_stable_their_own_and_keep_the_token_secret():
    _event, room, plenary, deep_dive, registration = _personal_setup()
    neighbour = RegistrationFactory(room=room)

    uids = [ical.personal_uid(item, registration=registration) for item in (plenary, deep_dive)]

    assert uids == [
        ical.personal_uid(item, registration=registration) for item in (plenary, deep_dive)
    ]
    for uid, item in zip(uids, (plenary, deep_dive), strict=True):
        assert re.fullmatch(r"personal-[0-9a-f]{32}@127\.0\.0\.1", uid)
        assert uid != ical.item_uid(item)
        assert str(item.uid) not in uid
        assert registration.token not in uid
        assert uid != ical.personal_uid(item, registration=neighbour)
    assert uids[0] != uids[1]


def test_personal_feed_and_invitation_agree(client):
    _event, _room, plenary, deep_dive, registration = _personal_setup()
    AgendaItem.objects.filter(pk=plenary.pk).update(sequence=2)
    Registration.objects.filter(pk=registration.pk).update(calendar_sequence=5)
    registration.refresh_from_db()

    feed = client.get(f"/r/{registration.token}/calendar.ics").content
    invitation = _invitation(registration)

    plenary_link, room_link = _join_link(registration, "plenary"), _join_link(registration, "3")
    expected = {
        ical.personal_uid(plenary, registration=registration): (
            7,
            plenary.starts_at,
            plenary.ends_at,
            plenary_link,
            plenary_link,
            plenary_link,
        ),
        ical.personal_uid(deep_dive, registration=registration): (
            5,
            deep_dive.starts_at,
            deep_dive.ends_at,
            room_link,
            room_link,
            room_link,
        ),
    }
    assert _entries(feed) == expected
    assert _entries(invitation) == expected
    for raw in RAW_URLS:
        assert raw not in feed
        assert raw not in invitation


def test_personal_invitation_is_a_request_addressed_to_the_attendee():
    *_rest, registration = _personal_setup()

    content = _invitation(registration)

    cal, vcal = parse_both(content)
    assert str(cal["METHOD"]) == "REQUEST"
    assert vcal.method.value == "REQUEST"
    assert len(cal.walk("VTIMEZONE")) == 1
    first, second = cal.walk("VEVENT")
    assert [str(first["SUMMARY"]), str(second["SUMMARY"])] == ["Begrüßung", "Deep Dives"]
    for vevent in (first, second):
        assert str(vevent["ATTENDEE"]) == f"mailto:{registration.email}"
        assert vevent["ATTENDEE"].params["CN"] == "Erika Muster"
        assert vevent["ATTENDEE"].params["RSVP"] == "FALSE"
        assert vevent["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
        assert str(vevent["ORGANIZER"]) == "mailto:noreply@localhost"
        assert str(vevent["STATUS"]) == "CONFIRMED"
    # One reminder, before the day's first entry (the one Outlook shows).
    (alarm,) = first.walk("VALARM")
    assert alarm.decoded("TRIGGER") == dt.timedelta(minutes=-15)
    assert second.walk("VALARM") == []
    assert [vevent.summary.value for vevent in vcal.vevent_list] == ["Begrüßung", "Deep Dives"]
    assert b"Nur Recht" not in content


def test_personal_invitation_names_only_a_confirmed_address():
    *_rest, registration = _personal_setup()
    registration.email_confirmed_at = None
    registration.save()

    cal = icalendar.Calendar.from_ical(_invitation(registration))

    for vevent in cal.walk("VEVENT"):
        assert str(vevent["ATTENDEE"]) == f"mailto:{registration.email}"
        assert "CN" not in vevent["ATTENDEE"].params


def test_personal_room_change_raises_sequence_and_moves_the_deep_dive(client):
    event, _room, plenary, deep_dive, registration = _personal_setup()
    first_feed = client.get(f"/r/{registration.token}/calendar.ics")
    first = _entries(_invitation(registration))

    services.registration_change_room(registration=registration, room=event.rooms.get(number=4))
    registration.refresh_from_db()
    second_feed = client.get(
        f"/r/{registration.token}/calendar.ics", HTTP_IF_NONE_MATCH=first_feed["ETag"]
    )
    second = _entries(_invitation(registration))

    assert second_feed.status_code == 200
    assert _entries(second_feed.content) == second
    plenary_uid = ical.personal_uid(plenary, registration=registration)
    deep_uid = ical.personal_uid(deep_dive, registration=registration)
    assert set(first) == {plenary_uid, deep_uid}
    assert set(second) - set(first) == {
        ical.personal_uid(event.agenda_items.get(title="Nur Recht"), registration=registration)
    }
    assert [second[uid][0] for uid in (plenary_uid, deep_uid)] == [1, 1]
    assert [first[uid][0] for uid in (plenary_uid, deep_uid)] == [0, 0]
    assert first[deep_uid][3] == _join_link(registration, "3")
    assert second[deep_uid][3:] == (_join_link(registration, "4"),) * 3
    assert second[plenary_uid][3:] == first[plenary_uid][3:]


def test_personal_cancellation_withdraws_every_entry():
    _event, _room, plenary, deep_dive, registration = _personal_setup()
    before = _entries(_invitation(registration))
    assert set(before) == {
        ical.personal_uid(item, registration=registration) for item in (plenary, deep_dive)
    }

    services.registration_cancel(registration=registration)
    registration.refresh_from_db()
    content = ical.personal_cancellation(registration=registration)

    cal, vcal = parse_both(content)
    assert str(cal["METHOD"]) == "CANCEL"
    assert vcal.method.value == "CANCEL"
    cancelled = {
        str(vevent["UID"]): (int(vevent["SEQUENCE"]), str(vevent["STATUS"]))
        for vevent in cal.walk("VEVENT")
    }
    assert cancelled == {uid: (entry[0] + 1, "CANCELLED") for uid, entry in before.items()}
    for vevent in cal.walk("VEVENT"):
        assert str(vevent["ATTENDEE"]) == f"mailto:{registration.email}"
        assert str(vevent["DESCRIPTION"]) == "Ihre Anmeldung wurde storniert."
        assert "LOCATION" not in vevent
    assert registration.token not in content.decode()
    for raw in RAW_URLS:
        assert raw not in content


def test_personal_invitation_in_the_registrations_language():
    *_rest, deep_dive, registration = _personal_setup()
    registration.language = "en"
    registration.save()

    cal = icalendar.Calendar.from_ical(_invitation(registration))

    events = vevents_by_uid(cal)
    deep_event = events[ical.personal_uid(deep_dive, registration=registration)]
    with translation.override("en"):  # the links to the English pages
        join_link = _join_link(registration, "3")
    assert str(deep_event["DESCRIPTION"]).startswith(
        f"Join: {join_link}\nYour break-out room: Room 3: Pflege\n\n"
    )
    assert deep_event["CONFERENCE"].params["LABEL"] == "Join online"


def test_personal_invitation_and_cancellation_are_empty_without_a_programme():
    registration = RegistrationFactory()

    assert _invitation(registration) == b""
    assert ical.personal_cancellation(registration=registration) == b""


def test_feed_not_modified_for_the_same_etag_or_date(client, demo_event, renders):
    first = client.get("/events/koki-abschluss/programme.ics")
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('W/"')

    by_etag = client.get("/events/koki-abschluss/programme.ics", HTTP_IF_NONE_MATCH=etag)
    by_date = client.get(
        "/events/koki-abschluss/programme.ics", HTTP_IF_MODIFIED_SINCE=last_modified
    )
    other_language = client.get(
        "/events/koki-abschluss/programme.ics?lang=en", HTTP_IF_NONE_MATCH=etag
    )

    assert (by_etag.status_code, by_etag.content, by_etag["ETag"]) == (304, b"", etag)
    assert (by_date.status_code, by_date.content) == (304, b"")
    assert other_language.status_code == 200
    assert other_language["ETag"] != etag
    assert [kind for kind, _key in renders] == ["ics", "ics"]


def test_feed_after_a_change_is_rendered_again(client, demo_event, renders):
    first = client.get("/events/koki-abschluss/programme.ics")
    speaker = SpeakerFactory(name="Neue Rednerin")
    item = demo_event.agenda_items.first()
    AgendaItemSpeakerFactory(agenda_item=item, speaker=speaker)

    second = client.get("/events/koki-abschluss/programme.ics", HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert "Neue Rednerin" in second.content.decode()
    assert second["ETag"] != first["ETag"]
    assert len(renders) == 2


def test_feed_after_a_deletion_is_rendered_again(client, demo_event):
    first = client.get("/events/koki-abschluss/programme.ics")
    AgendaItem.objects.filter(title="Networking").delete()

    second = client.get("/events/koki-abschluss/programme.ics", HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 200
    assert b"SUMMARY:Networking" in first.content
    assert b"SUMMARY:Networking" not in second.content


def _event_with_items(count: int):
    event = EventFactory(slug=f"menge-{count}")
    rooms = [RoomFactory(event=event, number=number) for number in (1, 2)]
    for index in range(count):
        item = AgendaItemFactory(
            event=event,
            starts_at=event.starts_at + dt.timedelta(minutes=index % 150),
            room=rooms[index % 2] if index % 3 == 0 else None,
        )
        AgendaItemSpeakerFactory(agenda_item=item)
    return event


@pytest.mark.parametrize("count", [1, 40])
@pytest.mark.parametrize("url", ["/events/{slug}/programme.ics", "/events/{slug}/rooms/1.ics"])
def test_feed_query_count_does_not_grow_with_items(client, django_assert_num_queries, count, url):
    event = _event_with_items(count)
    # Miss: the event's key, then the event (2), items (1), speakers (1), rooms (1).
    with django_assert_num_queries(5):
        response = client.get(url.format(slug=event.slug))
    assert response.content.count(b"BEGIN:VEVENT") >= 1
    # Hit: the event and the file from the cache, no query.
    with django_assert_num_queries(0):
        assert client.get(url.format(slug=event.slug)).status_code == 200


@pytest.mark.parametrize("count", [1, 40])
def test_personal_feed_query_count_does_not_grow_with_items(
    client, django_assert_num_queries, count
):
    event = _event_with_items(count)
    registration = RegistrationFactory(room=event.rooms.get(number=1))
    # Miss: the registration's event (1), the registration with its event and room (1), the
    # programme (3).
    with django_assert_num_queries(5):
        client.get(f"/r/{registration.token}/calendar.ics")
    # Hit: the registration's event, then the registration (2); the file from the cache.
    with django_assert_num_queries(2):
        client.get(f"/r/{registration.token}/calendar.ics")
