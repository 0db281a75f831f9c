"""Attendance per room for the organisers: the occupancy figures (room, plenary, no-shows) and
the certificates action on the registrations list."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from registrations.attendance import attendance_mark
from registrations.models import Attendance, Registration
from registrations.roster import event_occupancy
from tests.factories import RegistrationFactory, RoomFactory, joined
from tests.registrations.admin_helpers import bulk_registrations, occupancy_rows

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.rooms(
        {"number": 1, "name": "Bildung & Lernen", "capacity": 5},
        {"number": 2, "name": "Politik & Verwaltung", "capacity": 5},
    ),
]
CHANGELIST = "/admin/registrations/registration/"
BEGUN = timezone.now() - dt.timedelta(hours=1)


def figures(occupancy):
    return {row.number: (row.confirmed, row.attended, row.no_shows) for row in occupancy.rooms}, (
        occupancy.attended,
        occupancy.no_shows,
        occupancy.plenary_attended,
    )


def test_occupancy_counts_attendance_by_place_from_links_and_marks(rooms):
    room1, room2 = rooms
    by_link = RegistrationFactory(room=room1)
    marked = RegistrationFactory(room=room1)
    plenary_only = RegistrationFactory(room=room2)
    RegistrationFactory(room=room2)  # stayed away
    RegistrationFactory(room=room2, status="waiting", waiting_since=timezone.now())
    joined(registration=by_link, room=room1)
    joined(registration=by_link, room=None)
    attendance_mark(registrations=Registration.objects.filter(pk=marked.pk))
    joined(registration=plenary_only, room=None)

    rooms_figures, totals = figures(event_occupancy(event=room1.event))

    # Room: (confirmed, attended, no-shows); the plenary-only one is no no-show.
    assert rooms_figures == {1: (2, 2, 0), 2: (2, 0, 1)}
    assert totals == (2, 1, 2)


def test_occupancy_counts_someone_who_moved_on_in_the_room_they_joined(rooms):
    room1, room2 = rooms
    person = RegistrationFactory(room=room1)
    joined(registration=person, room=room1)
    Registration.objects.filter(pk=person.pk).update(room=room2)  # moved during the event

    rooms_figures, totals = figures(event_occupancy(event=room1.event))

    assert rooms_figures == {1: (0, 1, 0), 2: (1, 0, 0)}
    assert totals == (1, 0, 0)


def test_occupancy_leaves_out_cancelled_registrations_and_other_events(rooms):
    room1, _room2 = rooms
    now = timezone.now()
    cancelled = RegistrationFactory(room=room1, status="cancelled", cancelled_at=now)
    Attendance.objects.create(registration=cancelled, room=room1, joined_at=now, source="link")
    Attendance.objects.create(registration=cancelled, room=None, joined_at=now, source="link")
    elsewhere = RegistrationFactory(room=RoomFactory())
    joined(registration=elsewhere, room=None, now=now)
    joined(registration=elsewhere, room=elsewhere.room, now=now)

    rooms_figures, totals = figures(event_occupancy(event=room1.event))

    assert rooms_figures == {1: (0, 0, 0), 2: (0, 0, 0)}
    assert totals == (0, 0, 0)


@pytest.mark.event(starts_at=BEGUN)  # attendance shows once the event has begun
def test_unmarking_takes_the_person_back_to_the_no_shows(organiser_client, rooms):
    room1, _room2 = rooms
    person = RegistrationFactory(room=room1)
    joined(registration=person, room=None)
    joined(registration=person, room=room1)
    url = reverse("admin:registrations_registration_occupancy")
    before = occupancy_rows(organiser_client.get(url).content.decode())
    assert (before["1"]["attended"], before["1"]["noshows"], before["plenary"]) == (
        1,
        0,
        {"attended": 1},
    )

    organiser_client.post(
        CHANGELIST,
        {"action": "unmark_attended", "_selected_action": [person.pk], "index": 0},
    )

    after = occupancy_rows(organiser_client.get(url).content.decode())
    assert (after["1"]["attended"], after["1"]["noshows"], after["plenary"]) == (
        0,
        1,
        {"attended": 0},
    )


@pytest.mark.event(starts_at=BEGUN)  # attendance shows once the event has begun
def test_occupancy_page_shows_the_plenary_and_the_no_shows(organiser_client, rooms):
    room1, room2 = rooms
    people = bulk_registrations(room1, 3)
    bulk_registrations(room2, 2, start=10)
    joined(registration=people[0], room=room1)
    joined(registration=people[1], room=None)

    response = organiser_client.get(reverse("admin:registrations_registration_occupancy"))

    html = response.content.decode()
    seats = {"capacity": 5, "pending": 0, "waiting": 0}
    assert occupancy_rows(html) == {
        "1": {**seats, "confirmed": 3, "free": 2, "attended": 1, "noshows": 1},
        "2": {**seats, "confirmed": 2, "free": 3, "attended": 0, "noshows": 2},
        "total": {
            "capacity": 10,
            "confirmed": 5,
            "pending": 0,
            "waiting": 0,
            "free": 5,
            "attended": 1,
            "noshows": 3,
        },
        "plenary": {"attended": 1},
    }
    assert '<th scope="row">Plenum</th>' in html
    section = html.split('id="koki-occupancy-heading"')[1].split("</section>")[0]
    assert 'style="' not in section


@pytest.mark.parametrize("room_count", [1, 30])
def test_event_occupancy_is_one_query_whatever_the_number_of_rooms(
    event, django_assert_num_queries, room_count
):
    rooms = [RoomFactory(event=event, number=n, capacity=10) for n in range(1, room_count + 1)]
    now = timezone.now()
    for index, room in enumerate(rooms):
        people = bulk_registrations(room, 4, start=index * 10, attended_at=now)
        Attendance.objects.bulk_create(
            [
                *(
                    Attendance(registration=p, room=room, joined_at=now, source="link")
                    for p in people[:3]
                ),
                Attendance(registration=people[3], room=None, joined_at=now, source="link"),
            ]
        )
        bulk_registrations(room, 2, start=index * 10 + 4)  # no-shows

    with django_assert_num_queries(1):
        occupancy = event_occupancy(event=event)

    assert [(r.number, r.confirmed, r.attended, r.no_shows) for r in occupancy.rooms] == [
        (n, 6, 3, 2) for n in range(1, room_count + 1)
    ]
    assert occupancy.plenary_attended == room_count


@pytest.mark.event(starts_at=BEGUN)  # attendance shows once the event has begun
@pytest.mark.parametrize("room_count", [1, 30])
def test_occupancy_page_query_count_does_not_grow_with_rooms(
    organiser_client, event, django_assert_num_queries, room_count
):
    url = reverse("admin:registrations_registration_occupancy")
    now = timezone.now()
    for number in range(1, room_count + 1):
        room = RoomFactory(event=event, number=number, capacity=10)
        people = bulk_registrations(room, 3, start=number * 10, attended_at=now)
        Attendance.objects.bulk_create(
            [
                Attendance(registration=p, room=room, joined_at=now, source="link")
                for p in people[:2]
            ]
            + [Attendance(registration=people[2], room=None, joined_at=now, source="link")]
        )
    organiser_client.get(url)  # warm the session and content type caches
    # session, user, Organisers group, user and group permissions, the events, their occupancy,
    # the event in the header.
    with django_assert_num_queries(8):
        response = organiser_client.get(url)
    rows = occupancy_rows(response.content.decode())
    assert rows["total"]["attended"] == 2 * room_count
    assert rows["total"]["noshows"] == 0
    assert rows["plenary"] == {"attended": room_count}


def test_certificates_action_is_offered_on_the_list(organiser_client, rooms):
    RegistrationFactory(room=rooms[0])
    response = organiser_client.get(CHANGELIST)
    choices = [value for value, _label in response.context["action_form"].fields["action"].choices]
    assert "download_certificates" in choices


@pytest.mark.event(starts_at=timezone.now() - dt.timedelta(hours=1))
def test_a_mark_in_the_admin_shows_in_the_list_and_on_the_page(organiser_client, rooms):
    room1, _room2 = rooms
    person = RegistrationFactory(room=room1, last_name="Anwesend")

    organiser_client.post(
        CHANGELIST,
        {"action": "mark_attended", "_selected_action": [person.pk], "index": 0},
    )

    listed = organiser_client.get(CHANGELIST).content.decode()
    assert '<td class="field-attended">Raum 1</td>' in listed
    page = organiser_client.get(f"{CHANGELIST}{person.pk}/change/").content.decode()
    table = page.split('<table class="koki-attendance">')[1].split("</table>")[0]
    assert "<td>Raum 1: Bildung &amp; Lernen</td>" in table
    assert "<td>vom Orga-Team vermerkt</td>" in table
