"""The registrations list in the admin: columns, filters, search, waiting list, attendance,
permissions."""

import datetime as dt
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from registrations.attendance import attendance_mark
from registrations.models import Attendance, Registration
from tests.factories import EventFactory, RegistrationFactory, RoomFactory
from tests.registrations.admin_helpers import (
    bulk_registrations,
    make_staff_outside_group,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.room(number=1, name="Bildung & Lernen", capacity=2),
]
CHANGELIST = "/admin/registrations/registration/"
# An event that began an hour ago (import time): the list shows attendance only from then on.
BEGUN = timezone.now() - dt.timedelta(hours=1)


def text(cell: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


def row_cells(html: str) -> list[list[str]]:
    """The list's rows as the text of their cells (without the checkbox)."""
    body = html.split('<table id="result_list">')[1].split("</table>")[0].split("<tbody>")[1]
    return [
        [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)][1:]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def head_cells(html: str) -> list[str]:
    head = html.split('<table id="result_list">')[1].split("</thead>")[0]
    return [text(cell) for cell in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)][1:]


def local(moment, event) -> str:
    moment = timezone.localtime(moment, event.tzinfo)
    return f"{moment:%d.%m.%Y} {moment:%H:%M}"


def waiting(room, last_name, seconds):
    return RegistrationFactory(
        room=room,
        status=Registration.Status.WAITING,
        last_name=last_name,
        waiting_since=timezone.now() + dt.timedelta(seconds=seconds),
    )


def test_changelist_shows_the_organisers_columns(organiser_client, room):
    person = RegistrationFactory(
        room=room,
        first_name="Jürgen",
        last_name="Weiß",
        email="juergen@example.org",
        organisation="Stadt Köln",
    )
    in_line = waiting(room, "Wartend", 1)
    response = organiser_client.get(CHANGELIST, {"o": "1"})
    html = response.content.decode()
    # Before the event: no attendance column, no e-mail column (search finds addresses).
    assert head_cells(html) == [
        "Name",
        "Organisation",
        "Raum",
        "Status",
        "Platz auf der Warteliste",
        "Angemeldet am",
    ]
    assert row_cells(html) == [
        [
            "Wartend, Erika",
            "-",
            "Raum 1: Bildung &amp; Lernen",
            "Warteliste",
            "1",
            local(in_line.created_at, room.event),
        ],
        [
            "Weiß, Jürgen",
            "Stadt Köln",
            "Raum 1: Bildung &amp; Lernen",
            "Bestätigt",
            "-",
            local(person.created_at, room.event),
        ],
    ]
    assert "juergen@example.org" not in html
    assert "None" not in html


@pytest.mark.event(starts_at=BEGUN)
def test_attended_column_appears_once_the_event_has_begun(organiser_client, room):
    came = RegistrationFactory(room=room, last_name="Dabei")
    attendance_mark(registrations=Registration.objects.filter(pk=came.pk))
    RegistrationFactory(room=room, last_name="Fehlt")
    later = RoomFactory(event=EventFactory(), number=1)
    RegistrationFactory(room=later, last_name="Später")

    html = organiser_client.get(CHANGELIST, {"o": "1"}).content.decode()
    assert head_cells(html)[-1] == "Teilgenommen"
    # Who came, who did not; nothing yet for the event still to come.
    assert [(row[0].split(",")[0], row[-1]) for row in row_cells(html)] == [
        ("Dabei", "Raum 1"),
        ("Fehlt", "nein"),
        ("Später", "-"),
    ]
    upcoming = organiser_client.get(CHANGELIST, {"event__id__exact": later.event_id})
    assert head_cells(upcoming.content.decode())[-1] == "Angemeldet am"


def test_waitlist_position_counts_per_room_in_order_and_survives_search(organiser_client, room):
    other_room = RoomFactory(event=room.event, number=2)
    waiting(room, "Erste", 1)
    waiting(other_room, "Andere", 2)
    waiting(room, "Zweite", 3)
    waiting(room, "Dritte", 4)
    RegistrationFactory(room=room, last_name="Bestätigt")

    response = organiser_client.get(CHANGELIST, {"q": "Dritte"})
    result = list(response.context["cl"].result_list)
    assert [(r.last_name, r.waitlist_position) for r in result] == [("Dritte", 3)]

    response = organiser_client.get(CHANGELIST, {"o": "5"})  # by place on the waiting list
    positions = {r.last_name: r.waitlist_position for r in response.context["cl"].result_list}
    assert positions == {"Erste": 1, "Zweite": 2, "Dritte": 3, "Andere": 1, "Bestätigt": None}


def test_filters_by_event_room_and_status(organiser_client, room):
    other_room = RoomFactory(event=room.event, number=2)
    other_event_room = RoomFactory()
    a = RegistrationFactory(room=room)
    b = RegistrationFactory(
        room=other_room, status=Registration.Status.WAITING, waiting_since=timezone.now()
    )
    RegistrationFactory(room=other_event_room)

    def shown(params):
        response = organiser_client.get(CHANGELIST, params)
        return {r.pk for r in response.context["cl"].result_list}

    assert shown({"event__id__exact": room.event_id}) == {a.pk, b.pk}
    assert shown({"room": other_room.pk}) == {b.pk}
    assert shown({"status__exact": "waiting"}) == {b.pk}
    # With an event chosen, the room filter offers only that event's rooms.
    response = organiser_client.get(CHANGELIST, {"event__id__exact": room.event_id})
    room_filter = next(
        f for f in response.context["cl"].filter_specs if getattr(f, "parameter_name", "") == "room"
    )
    assert [label for _, label in room_filter.lookup_choices] == [str(room), str(other_room)]
    # Without one, rooms of several events name their event.
    response = organiser_client.get(CHANGELIST)
    room_filter = next(
        f for f in response.context["cl"].filter_specs if getattr(f, "parameter_name", "") == "room"
    )
    labels = [label for _, label in room_filter.lookup_choices]
    assert f"{room.event.title} – {room}" in labels
    assert f"{other_event_room.event.title} – {other_event_room}" in labels


def test_search_by_name_email_and_organisation(organiser_client, room):
    a = RegistrationFactory(room=room, last_name="Müller", email="m@example.org")
    b = RegistrationFactory(room=room, organisation="Landkreis Görlitz")
    c = RegistrationFactory(room=room, email="kontakt@stadt-ulm.de")

    def found(q):
        response = organiser_client.get(CHANGELIST, {"q": q})
        return {r.pk for r in response.context["cl"].result_list}

    assert found("müller") == {a.pk}
    assert found("Görlitz") == {b.pk}
    assert found("stadt-ulm") == {c.pk}


@pytest.mark.parametrize("count", [1, 5000])
def test_changelist_query_count_is_constant(organiser_client, django_assert_num_queries, count):
    # 5,000 registrations of one event in 50 rooms: 80 confirmed and 20 waiting per room, the
    # confirmed ones joined the plenary and their room. With 1: one of each in room 1.
    event = EventFactory(starts_at=BEGUN)
    rooms = [RoomFactory(event=event, number=n, capacity=80) for n in range(1, 51)]
    joined = timezone.now()
    for index, room in enumerate(rooms):
        confirmed, waiting = (1, 1) if count == 1 else (80, 20)
        start = index * 100
        people = bulk_registrations(room, confirmed, start=start, attended_at=joined)
        bulk_registrations(room, waiting, status=Registration.Status.WAITING, start=start + 80)
        Attendance.objects.bulk_create(
            Attendance(registration=person, room=place, joined_at=joined, source="link")
            for person in people
            for place in (None, room)
        )
        if count == 1:
            break
    organiser_client.get(CHANGELIST)  # warm the session and content type caches
    # session, user, Organisers group, user and group permissions, whether the listed events
    # have begun and ask for access needs (the columns: one query), the event filter, the room
    # filter, the page count and the full count, the page itself, the page's attendance and
    # answers, the event in the header.
    with django_assert_num_queries(14):
        response = organiser_client.get(CHANGELIST, {"o": "-5", "status__exact": "waiting"})
    assert response.status_code == 200
    waiting_count = 1 if count == 1 else 1000
    assert response.context["cl"].result_count == waiting_count
    assert response.context["cl"].full_result_count == (2 if count == 1 else 5000)
    shown = list(response.context["cl"].result_list)
    assert len(shown) == min(waiting_count, 100)
    assert [r.waitlist_position for r in shown[:3]] == ([1] if count == 1 else [20, 20, 20])
    # A page of people who attended: their places in one query for the whole page.
    with django_assert_num_queries(14):
        response = organiser_client.get(CHANGELIST, {"o": "3", "attended": "yes"})  # by room
    cells = re.findall(r'<td class="field-attended">([^<]*)</td>', response.content.decode())
    assert cells == (
        ["Plenum, Raum 1"] if count == 1 else ["Plenum, Raum 1"] * 80 + ["Plenum, Raum 2"] * 20
    )


@pytest.mark.event(starts_at=BEGUN)
def test_attended_column_lists_the_places_first_joined_first(organiser_client, room):
    room3 = RoomFactory(event=room.event, number=3, name="Gesundheit")
    nine = dt.datetime(2027, 3, 16, 9, 0, tzinfo=dt.UTC)
    both = RegistrationFactory(room=room3, last_name="Beides")
    Attendance.objects.create(registration=both, room=room3, joined_at=nine, source="link")
    Attendance.objects.create(
        registration=both, room=None, joined_at=nine - dt.timedelta(hours=1), source="link"
    )
    moved_on = RegistrationFactory(room=room, last_name="Gewechselt")
    Attendance.objects.create(
        registration=moved_on, room=room3, joined_at=nine, source="organisers"
    )
    Attendance.objects.create(
        registration=moved_on, room=room, joined_at=nine - dt.timedelta(minutes=5), source="link"
    )
    RegistrationFactory(room=room, last_name="Abwesend")
    response = organiser_client.get(CHANGELIST, {"o": "1"})  # by name
    html = response.content.decode()
    cells = re.findall(r'<td class="field-attended">([^<]*)</td>', html)
    # Abwesend, Beides, Gewechselt
    assert cells == ["nein", "Plenum, Raum 3", "Raum 1, Raum 3"]


def test_attended_filter_still_filters_by_attendance(organiser_client, room):
    came = RegistrationFactory(room=room)
    attendance_mark(registrations=Registration.objects.filter(pk=came.pk))
    stayed_away = RegistrationFactory(room=room)

    def shown(value):
        response = organiser_client.get(CHANGELIST, {"attended": value})
        return [r.pk for r in response.context["cl"].result_list]

    assert shown("yes") == [came.pk]
    assert shown("no") == [stayed_away.pk]


@pytest.mark.event(timezone="America/New_York")
def test_change_page_shows_the_attendance_in_the_events_time_zone(organiser_client, room):
    person = RegistrationFactory(room=room)
    joined = dt.datetime(2027, 3, 16, 14, 47, tzinfo=dt.UTC)  # 10:47 in New York
    Attendance.objects.create(registration=person, room=room, joined_at=joined, source="link")
    Attendance.objects.create(
        registration=person,
        room=None,
        joined_at=joined - dt.timedelta(minutes=47),
        source="organisers",
    )
    response = organiser_client.get(f"{CHANGELIST}{person.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    table = html.split('<table class="koki-attendance">')[1].split("</table>")[0]
    head = re.findall(r"<th[^>]*>([^<]*)</th>", table)
    rows = [
        re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    assert head == [gettext("Place"), "Zuerst dabei", "Erfasst durch"]
    assert [row for row in rows if row] == [
        ["Plenum", "16.03.2027 10:00", "vom Orga-Team vermerkt"],
        ["Raum 1: Bildung &amp; Lernen", "16.03.2027 10:47", "Teilnahmelink"],
    ]
    # Read only: no form fields, no inline to add or delete rows.
    assert "attendances-TOTAL_FORMS" not in html
    assert "/admin/registrations/attendance/" not in html


def test_change_page_without_attendance_shows_a_dash(organiser_client, room):
    person = RegistrationFactory(room=room)
    response = organiser_client.get(f"{CHANGELIST}{person.pk}/change/")
    html = response.content.decode()
    assert "koki-attendance" not in html
    assert re.search(
        r'<div class="flex-container">\s*<label>Teilnahme:</label>\s*<div class="readonly">-</div>',
        html,
    )


def test_staff_outside_the_group_see_no_personal_data(client, room):
    RegistrationFactory(room=room, last_name="Geheim", email="geheim@example.org")
    client.force_login(make_staff_outside_group())

    assert client.get(CHANGELIST).status_code == 403
    registration = Registration.objects.get()
    assert client.get(f"{CHANGELIST}{registration.pk}/change/").status_code == 403
    assert client.get("/admin/registrations/mailing/").status_code == 403
    export = reverse("admin:registrations_registration_export", args=[room.event_id, "csv"])
    assert client.get(export).status_code == 403
    assert client.get(reverse("admin:registrations_registration_occupancy")).status_code == 403
    # The index and the event page work for them, without registrations or occupancy.
    index = client.get("/admin/").content.decode()
    assert "Geheim" not in index
    assert "Raumbelegung" not in index
    assert "/admin/registrations/" not in index
    event_page = client.get(f"/admin/events/event/{room.event_id}/change/")
    assert event_page.status_code == 200
    assert "Raumbelegung" not in event_page.content.decode()


def test_organiser_sees_registrations_and_no_user_accounts(organiser_client):
    assert organiser_client.get("/admin/auth/user/").status_code == 403
    index = organiser_client.get("/admin/").content.decode()
    assert "/admin/registrations/registration/" in index
    assert "/admin/registrations/mailing/" in index


def test_status_and_room_cannot_be_edited_directly(organiser_client, room):
    registration = RegistrationFactory(room=room, first_name="Ana")
    other_room = RoomFactory(event=room.event, number=2)
    url = f"{CHANGELIST}{registration.pk}/change/"
    response = organiser_client.post(
        url,
        {
            "first_name": "Anna",
            "last_name": registration.last_name,
            "email": registration.email,
            "organisation": "",
            "job_role": "",
            "language": "de",
            "status": "cancelled",
            "room": other_room.pk,
            "_save": "Sichern",
        },
    )
    assert response.status_code == 302
    registration.refresh_from_db()
    assert (registration.first_name, registration.status, registration.room_id) == (
        "Anna",
        "confirmed",
        room.pk,
    )
    entry = LogEntry.objects.get(object_id=str(registration.pk))
    assert entry.get_change_message() == "Vorname geändert."
    assert organiser_client.get("/admin/registrations/registration/add/").status_code == 403


def test_event_without_rooms_has_an_empty_list(organiser_client):
    event = EventFactory()
    response = organiser_client.get(CHANGELIST, {"event__id__exact": event.pk})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


@pytest.mark.parametrize("value", ["abc", "1\x00", "²", "99999999999999999999"])
def test_bad_room_or_event_in_the_filters_is_no_server_error(organiser_client, room, value):
    person = RegistrationFactory(room=room)
    by_room = organiser_client.get(CHANGELIST, {"room": value})
    assert by_room.status_code == 200
    assert [r.pk for r in by_room.context["cl"].result_list] == [person.pk]
    by_event = organiser_client.get(CHANGELIST, {"event__id__exact": value})
    assert by_event.status_code == 200
    assert [r.pk for r in by_event.context["cl"].result_list] == [person.pk]
