"""Room occupancy on the admin index and the event's admin page; raising a capacity."""

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from registrations.attendance import attendance_mark
from registrations.models import Attendance, Registration
from tests.factories import RegistrationFactory, RoomFactory, future_day, joined
from tests.registrations.admin_helpers import (
    bulk_registrations,
    form_data,
    occupancy_rows,
)

# The occupancy page lists current events only: the demo stays 60 days ahead.
pytestmark = [pytest.mark.django_db, pytest.mark.demo_event(day=future_day(60))]


def fill_demo_rooms(event):
    """Room n: n confirmed, n pending, 8-n waiting, plus one expired hold and one cancellation
    that must not count. Attendance: three joined room 8 by their link (one of them the plenary
    too), one of room 7 joined only the plenary, one of room 5 was marked by the organisers and
    a cancelled one of room 5 had joined before cancelling. The event is under way (attendance
    and no-shows are shown only once it has begun)."""
    now = timezone.now()
    Event.objects.filter(pk=event.pk).update(
        starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=2)
    )
    expected = {}
    for room in event.rooms.order_by("number"):
        n = room.number
        start = n * 100
        bulk_registrations(room, n, start=start)
        bulk_registrations(room, n, status=Registration.Status.PENDING, start=start + 20)
        bulk_registrations(room, 8 - n, status=Registration.Status.WAITING, start=start + 40)
        bulk_registrations(room, 1, status=Registration.Status.CANCELLED, start=start + 60)
        bulk_registrations(
            room,
            1,
            status=Registration.Status.PENDING,
            start=start + 70,
            expires_at=now - dt.timedelta(minutes=1),
        )
        expected[str(n)] = {
            "capacity": 40,
            "confirmed": n,
            "pending": n,
            "waiting": 8 - n,
            "free": 40 - 2 * n,
            "attended": 0,
            "noshows": n,
        }
    room5, room8 = (event.rooms.get(number=n) for n in (5, 8))
    for person in Registration.objects.filter(
        room=room8, status="confirmed", last_name__in=[f"Nachname{800 + i}" for i in range(3)]
    ):
        joined(registration=person, room=room8, now=now)
    joined(registration=Registration.objects.get(last_name="Nachname800"), room=None, now=now)
    joined(registration=Registration.objects.get(last_name="Nachname700"), room=None, now=now)
    attendance_mark(registrations=Registration.objects.filter(last_name="Nachname500"), now=now)
    Attendance.objects.create(
        registration=Registration.objects.get(last_name="Nachname560"),  # cancelled
        room=room5,
        joined_at=now,
        source=Attendance.Source.JOIN_LINK,
    )
    expected["8"].update(attended=3, noshows=5)
    expected["7"].update(noshows=6)
    expected["5"].update(attended=1, noshows=4)
    expected["total"] = {
        "capacity": 320,
        "confirmed": 36,
        "pending": 36,
        "waiting": 28,
        "free": 320 - 72,
        "attended": 4,
        "noshows": 31,
    }
    expected["plenary"] = {"attended": 2}
    return expected


def test_admin_index_shows_the_occupancy_of_all_eight_demo_rooms(organiser_client, demo_event):
    expected = fill_demo_rooms(demo_event)
    response = organiser_client.get("/admin/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Raumbelegung" in html
    assert occupancy_rows(html) == expected
    for room in demo_event.rooms.all():
        assert f'<meter min="0" max="40" value="{2 * room.number}"' in html
    assert 'style="' not in html.split('id="koki-occupancy-heading"')[1].split("</section>")[0]


def test_event_admin_page_shows_its_occupancy(organiser_client, demo_event):
    expected = fill_demo_rooms(demo_event)
    response = organiser_client.get(f"/admin/events/event/{demo_event.pk}/change/")
    html = response.content.decode()
    assert occupancy_rows(html) == expected
    # Under way: the note explains the attendance columns.
    assert "Nicht erschienen: für den Raum bestätigt, aber weder in einem Raum" in html
    export = reverse("admin:registrations_registration_export", args=[demo_event.pk, "csv"])
    room1 = demo_event.rooms.get(number=1)
    assert f'href="{export}?room={room1.pk}"' in html
    assert f"/admin/registrations/mailing/add/?event={demo_event.pk}&amp;room={room1.pk}" in html


def test_attendance_columns_wait_for_the_event_to_begin(organiser_client, demo_event):
    bulk_registrations(demo_event.rooms.get(number=1), 2)

    html = organiser_client.get(reverse("admin:registrations_registration_occupancy")).content
    rows = occupancy_rows(html.decode())

    assert rows["1"] == {"capacity": 40, "confirmed": 2, "pending": 0, "waiting": 0, "free": 38}
    assert "plenary" not in rows
    assert "Nicht erschienen" not in html.decode()  # neither a column nor its note


def test_occupancy_page_lists_current_events_only(organiser_client, demo_event):
    fill_demo_rooms(demo_event)
    past_room = RoomFactory(
        event__slug="lange-her",
        event__title="Lange her",
        event__starts_at=timezone.now() - dt.timedelta(days=400),
        event__ends_at=timezone.now() - dt.timedelta(days=400) + dt.timedelta(hours=2),
    )
    RegistrationFactory(room=past_room)
    response = organiser_client.get(reverse("admin:registrations_registration_occupancy"))
    html = response.content.decode()
    assert demo_event.title.split("„")[0] in html
    assert "Lange her" not in html


def test_occupancy_query_count_does_not_grow_with_registrations(
    organiser_client, demo_event, django_assert_num_queries
):
    url = reverse("admin:registrations_registration_occupancy")
    organiser_client.get(url)
    with django_assert_num_queries(8) as few:  # 7, and the event in the header
        organiser_client.get(url)
    fill_demo_rooms(demo_event)
    with django_assert_num_queries(len(few.captured_queries)):
        organiser_client.get(url)


def test_raising_a_room_capacity_promotes_from_its_waiting_list(organiser_client):
    room = RoomFactory(capacity=1, number=3, name="Pflege")
    RegistrationFactory(room=room)
    now = timezone.now()
    first = RegistrationFactory(
        room=room, status="waiting", waiting_since=now, email="erste@example.org"
    )
    second = RegistrationFactory(
        room=room, status="waiting", waiting_since=now + dt.timedelta(seconds=1)
    )
    third = RegistrationFactory(
        room=room, status="waiting", waiting_since=now + dt.timedelta(seconds=2)
    )
    url = f"/admin/events/room/{room.pk}/change/"
    data = {
        "event": room.event_id,
        "number": 3,
        "name_de": "Pflege",
        "topic_de": room.topic,
        "capacity": 3,
        "waiting_list_size": 20,
        "join_url": room.join_url,
        "moderators": "",
        "_save": "Sichern",
    }
    response = organiser_client.post(url, data, follow=True)
    assert response.status_code == 200
    statuses = {r.pk: r.status for r in Registration.objects.filter(room=room)}
    assert statuses[first.pk] == "confirmed"
    assert statuses[second.pk] == "confirmed"
    assert statuses[third.pk] == "waiting"
    assert "2 Personen sind von der Warteliste nachgerückt" in response.content.decode()
    assert {m.to[0] for m in mail.outbox} == {first.email, second.email}
    entries = LogEntry.objects.filter(content_type__model="registration")
    assert sorted(int(e.object_id) for e in entries) == sorted([first.pk, second.pk])


def test_raising_capacity_in_the_event_page_room_inline_promotes(organiser_client, demo_event):
    room = demo_event.rooms.get(number=6)
    Registration.objects.filter(room=room).delete()
    bulk_registrations(room, 40)
    waiting = bulk_registrations(room, 3, status=Registration.Status.WAITING, start=100)
    url = f"/admin/events/event/{demo_event.pk}/change/"
    data = form_data(organiser_client.get(url).content.decode(), "event_form")
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.endswith("-id") and value == [str(room.pk)]
    )
    data[f"rooms-{index}-capacity"] = ["42"]
    data["_save"] = ["Sichern"]
    response = organiser_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "Raum 6: Ethik: 2 Personen sind von der Warteliste nachgerückt." in (
        response.content.decode()
    )
    room.refresh_from_db()
    assert room.capacity == 42
    statuses = [Registration.objects.get(pk=r.pk).status for r in waiting]
    # Not yet confirmed by e-mail (double opt-in): they get a held seat and a mail.
    assert statuses == ["pending", "pending", "waiting"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in waiting[:2])
