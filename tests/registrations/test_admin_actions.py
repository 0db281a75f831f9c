"""Admin actions: they go through the registration services and land in the admin log."""

import datetime as dt

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from registrations.models import Attendance, Registration
from registrations.occupancy import holds_seat
from tests.factories import RegistrationFactory, RoomFactory
from tests.registrations.admin_helpers import occupancy_rows

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.rooms(
        {"number": 1, "name": "Bildung & Lernen", "capacity": 3},
        {"number": 2, "name": "Politik & Verwaltung", "capacity": 1},
    ),
]
CHANGELIST = "/admin/registrations/registration/"


def run_action(client, action, registrations, **extra):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [r.pk for r in registrations], "index": 0, **extra},
    )


def test_move_asks_for_the_room_then_moves_and_logs(organiser_client, organiser, rooms):
    room1, room2 = rooms
    person = RegistrationFactory(room=room1, first_name="Jürgen", last_name="Weiß")

    page = run_action(organiser_client, "move_to_room", [person])
    assert page.status_code == 200
    html = page.content.decode()
    assert "1 Person von „" in html
    assert "Jürgen Weiß – Raum 1: Bildung &amp; Lernen (bestätigt)" in html
    assert "Raum 2: Politik &amp; Verwaltung (1 Platz frei)" in html
    assert person.status == "confirmed"  # nothing changed yet
    assert Registration.objects.get(pk=person.pk).room == room1

    response = organiser_client.post(
        reverse("admin:registrations_registration_move"),
        {"event": room1.event_id, "registrations": [person.pk], "room": room2.pk},
        follow=True,
    )
    person.refresh_from_db()
    assert (person.room, person.status) == (room2, "confirmed")
    assert "1 Person nach Raum 2: Politik &amp; Verwaltung verschoben." in (
        response.content.decode()
    )
    entry = LogEntry.objects.get(object_id=str(person.pk))
    assert (entry.user, entry.action_flag) == (organiser, CHANGE)
    assert entry.change_message == (
        "Von Raum 1: Bildung & Lernen nach Raum 2: Politik & Verwaltung verschoben."
    )
    # The service's mail: the person learns the new room.
    assert [m.to for m in mail.outbox] == [[person.email]]
    assert "Raum 2: Politik & Verwaltung" in mail.outbox[0].body


def test_move_stays_within_capacity_and_reports_who_was_not_moved(organiser_client, rooms):
    room1, room2 = rooms
    first = RegistrationFactory(room=room1, first_name="Anna", last_name="Alt")
    second = RegistrationFactory(room=room1, first_name="Bert", last_name="Berg")
    response = organiser_client.post(
        reverse("admin:registrations_registration_move"),
        {"event": room1.event_id, "registrations": [first.pk, second.pk], "room": room2.pk},
        follow=True,
    )
    html = response.content.decode()
    rooms_now = dict(Registration.objects.values_list("last_name", "room__number"))
    assert rooms_now == {"Alt": 2, "Berg": 1}
    assert "1 Person nach Raum 2: Politik &amp; Verwaltung verschoben." in html
    assert "Nicht verschoben: Bert Berg (der Raum ist voll)." in html
    assert LogEntry.objects.filter(object_id=str(second.pk)).count() == 0
    assert room2.registrations.filter(holds_seat(timezone.now())).count() == room2.capacity


def test_move_refuses_registrations_of_two_events(organiser_client, rooms):
    a = RegistrationFactory(room=rooms[0])
    b = RegistrationFactory(room=RoomFactory())
    response = run_action(organiser_client, "move_to_room", [a, b])
    assert response.status_code == 302
    follow = organiser_client.get(response["Location"]).content.decode()
    assert "Bitte wählen Sie nur Anmeldungen einer Veranstaltung aus." in follow


def test_move_works_from_the_registration_page(organiser_client, rooms):
    room1, _room2 = rooms
    person = RegistrationFactory(room=room1)
    response = organiser_client.post(
        f"{CHANGELIST}{person.pk}/change/",
        {"CHANGE_FORM-action": "move_to_room", "_selected_action": [person.pk]},
    )
    assert response.status_code == 200
    assert 'name="room"' in response.content.decode()


def test_cancel_confirms_first_then_cancels_and_moves_the_waiting_list_up(organiser_client, rooms):
    _room1, room2 = rooms
    seated = RegistrationFactory(room=room2, first_name="Clara", last_name="Sitz")
    waiting = RegistrationFactory(room=room2, status="waiting", waiting_since=timezone.now())

    page = run_action(organiser_client, "cancel_registrations", [seated])
    assert "Diese Anmeldung stornieren?" in page.content.decode()
    seated.refresh_from_db()
    assert seated.status == "confirmed"

    response = organiser_client.post(
        reverse("admin:registrations_registration_cancel"),
        {"registrations": [seated.pk]},
        follow=True,
    )
    assert "1 Anmeldung storniert." in response.content.decode()
    seated.refresh_from_db()
    waiting.refresh_from_db()
    assert (seated.status, waiting.status) == ("cancelled", "confirmed")
    assert LogEntry.objects.get(object_id=str(seated.pk)).change_message == (
        "Vom Veranstaltungsteam storniert."
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([seated.email, waiting.email])


def test_promote_fills_free_seats_from_the_waiting_list(organiser_client, rooms):
    _room1, room2 = rooms
    now = timezone.now()
    # An expired hold left a seat free; nobody has locked the room since.
    expired = RegistrationFactory(
        room=room2, status="pending", expires_at=now - dt.timedelta(minutes=5)
    )
    first = RegistrationFactory(room=room2, status="waiting", waiting_since=now)
    second = RegistrationFactory(
        room=room2, status="waiting", waiting_since=now + dt.timedelta(seconds=1)
    )
    response = run_action(organiser_client, "promote_from_waiting_list", [second])
    html = organiser_client.get(response["Location"]).content.decode()
    assert "Raum 2: Politik &amp; Verwaltung: 1 Person ist von der Warteliste nachgerückt." in html
    statuses = dict(Registration.objects.values_list("pk", "status"))
    assert statuses == {expired.pk: "pending", first.pk: "confirmed", second.pk: "waiting"}
    assert LogEntry.objects.get().object_id == str(first.pk)


def test_promote_button_in_the_occupancy_table(organiser_client, rooms):
    _room1, room2 = rooms
    now = timezone.now()
    RegistrationFactory(room=room2, status="pending", expires_at=now - dt.timedelta(minutes=5))
    waiting = RegistrationFactory(room=room2, status="waiting", waiting_since=now)
    overview = reverse("admin:registrations_registration_occupancy")
    html = organiser_client.get(overview).content.decode()
    promote = reverse("admin:registrations_registration_promote", args=[room2.pk])
    assert f'action="{promote}"' in html
    response = organiser_client.post(promote, {"next": overview})
    assert response["Location"] == overview
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
    elsewhere = organiser_client.post(promote, {"next": "https://evil.example/"})
    assert elsewhere["Location"] == overview
    assert organiser_client.get(promote).status_code == 405


def test_resend_confirmation_sends_the_mail_again_and_logs(organiser_client, rooms):
    person = RegistrationFactory(room=rooms[0])
    cancelled = RegistrationFactory(room=rooms[0], status="cancelled")
    run_action(organiser_client, "resend_confirmation", [person, cancelled])
    assert [m.to for m in mail.outbox] == [[person.email]]
    assert "bestätigt" in mail.outbox[0].subject
    assert LogEntry.objects.get().change_message == "Bestätigungs-E-Mail erneut gesendet."


@pytest.mark.event(starts_at=timezone.now() - dt.timedelta(hours=1))  # attendance columns
def test_mark_and_unmark_attended_with_count_in_the_occupancy(organiser_client, rooms):
    room1, _room2 = rooms
    a = RegistrationFactory(room=room1)
    b = RegistrationFactory(room=room1)
    waiting = RegistrationFactory(room=room1, status="waiting", waiting_since=timezone.now())

    response = run_action(organiser_client, "mark_attended", [a, b, waiting])
    html = organiser_client.get(response["Location"]).content.decode()
    assert "2 Personen als teilgenommen markiert." in html
    assert "1 Anmeldung ist nicht bestätigt und wurde nicht markiert." in html
    assert set(Registration.objects.filter(attended_at__isnull=False)) == {a, b}
    assert LogEntry.objects.filter(change_message="Als teilgenommen markiert.").count() == 2

    occupancy = reverse("admin:registrations_registration_occupancy")
    room_row = occupancy_rows(organiser_client.get(occupancy).content.decode())["1"]
    assert (room_row["attended"], room_row["noshows"]) == (2, 0)
    filtered = organiser_client.get(CHANGELIST, {"attended": "yes"})
    assert {r.pk for r in filtered.context["cl"].result_list} == {a.pk, b.pk}
    assert set(Attendance.objects.values_list("registration", "room", "source")) == {
        (a.pk, room1.pk, "organisers"),
        (b.pk, room1.pk, "organisers"),
    }

    run_action(organiser_client, "unmark_attended", [a])
    assert set(Registration.objects.filter(attended_at__isnull=False)) == {b}
    assert LogEntry.objects.filter(change_message="Teilnahme-Markierung entfernt.").count() == 1
    assert list(Attendance.objects.values_list("registration", flat=True)) == [b.pk]
    room_row = occupancy_rows(organiser_client.get(occupancy).content.decode())["1"]
    assert (room_row["attended"], room_row["noshows"]) == (1, 1)


def test_deleting_in_the_admin_goes_through_the_service(organiser_client, rooms):
    _room1, room2 = rooms
    seated = RegistrationFactory(room=room2)
    waiting = RegistrationFactory(room=room2, status="waiting", waiting_since=timezone.now())
    response = organiser_client.post(f"{CHANGELIST}{seated.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Registration.objects.filter(pk=seated.pk).exists()
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
    assert LogEntry.objects.filter(object_id=str(seated.pk), action_flag=3).count() == 1


def test_staff_outside_the_group_cannot_run_actions(client, rooms):
    from tests.registrations.admin_helpers import make_staff_outside_group

    person = RegistrationFactory(room=rooms[0])
    client.force_login(make_staff_outside_group())
    assert run_action(client, "cancel_registrations", [person]).status_code == 403
    response = client.post(
        reverse("admin:registrations_registration_cancel"), {"registrations": [person.pk]}
    )
    assert response.status_code == 403
    move = client.post(
        reverse("admin:registrations_registration_move"),
        {"event": rooms[0].event_id, "registrations": [person.pk], "room": rooms[1].pk},
    )
    assert move.status_code == 403
    person.refresh_from_db()
    assert (person.status, person.room_id) == ("confirmed", rooms[0].pk)


@pytest.mark.parametrize(
    "event_id", [None, "", "abc", "1\x00", "²", "99999999999999999999", "999999"]
)
def test_move_with_a_bad_event_id_is_not_found_and_moves_nobody(organiser_client, rooms, event_id):
    room1, room2 = rooms
    person = RegistrationFactory(room=room1)
    data = {"registrations": [person.pk], "room": room2.pk}
    if event_id is not None:
        data["event"] = event_id
    response = organiser_client.post(reverse("admin:registrations_registration_move"), data)
    assert response.status_code == 404
    person.refresh_from_db()
    assert (person.status, person.room_id) == ("confirmed", room1.pk)
    assert not LogEntry.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "„abc“ ist kein gültiger Wert."),
        ("1\x00", "Nullzeichen sind nicht erlaubt."),
        ("²", "„²“ ist kein gültiger Wert."),
        ("99999999999999999999", "„99999999999999999999“ ist kein gültiger Wert."),
    ],
)
def test_move_with_bad_registration_ids_shows_the_form_again(
    organiser_client, rooms, value, message
):
    room1, room2 = rooms
    person = RegistrationFactory(room=room1, first_name="Jürgen", last_name="Weiß")
    response = organiser_client.post(
        reverse("admin:registrations_registration_move"),
        {"event": room1.event_id, "registrations": [person.pk, value], "room": room2.pk},
    )
    assert response.status_code == 200
    assert list(response.context["selected"]) == [person]
    assert response.context["form"].errors == {"registrations": [message]}
    person.refresh_from_db()
    assert person.room_id == room1.pk
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize("value", ["abc", "1\x00", "²", "99999999999999999999"])
def test_cancel_with_bad_registration_ids_cancels_nothing(organiser_client, rooms, value):
    person = RegistrationFactory(room=rooms[0])
    response = organiser_client.post(
        reverse("admin:registrations_registration_cancel"),
        {"registrations": [person.pk, value]},
        follow=True,
    )
    assert response.redirect_chain == [(CHANGELIST, 302)]
    assert "Es wurde nichts storniert." in response.content.decode()
    person.refresh_from_db()
    assert person.status == "confirmed"
    assert not LogEntry.objects.exists()
    assert mail.outbox == []
