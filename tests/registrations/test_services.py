import datetime as dt

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from events.models import Room
from registrations import services
from registrations.models import Registration
from tests.factories import AgendaItemFactory, EventFactory, RegistrationFactory, RoomFactory

pytestmark = pytest.mark.django_db


def register(room, email="erika@example.org", **kwargs):
    defaults = {
        "event": room.event,
        "room": room,
        "first_name": "Erika",
        "last_name": "Mustermann",
        "email": email,
        "consent": True,
    }
    return services.registration_create(**{**defaults, **kwargs})


def test_create_with_double_opt_in_holds_a_seat_and_mails_the_confirm_link():
    room = RoomFactory(capacity=2)
    registration = register(room, language="de")
    assert registration.status == Registration.Status.PENDING
    expected = registration.consent_at + dt.timedelta(minutes=60)
    assert registration.expires_at == expected
    assert registration.privacy_notice_version == room.event.organiser.privacy_notice_version
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["erika@example.org"]
    assert message.subject == f"Ihre Anmeldung: {room.event.title}"
    assert f"/r/{registration.token}/confirm/" in message.body
    assert f"/r/{registration.token}/" in message.body
    assert message.alternatives[0].mimetype == "text/html"
    # No join links before confirmation.
    assert room.join_url not in message.body
    assert "/join/" not in message.body


def test_create_without_double_opt_in_confirms_at_once():
    room = RoomFactory(event=EventFactory(double_opt_in=False))
    registration = register(room, language="en")
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.expires_at is None
    assert mail.outbox[0].subject == f"Your registration: {room.event.title}"
    # The address is not confirmed: nothing the person typed goes into the mail.
    assert "(Europe/Berlin)\n\nGood day,\n" in mail.outbox[0].body
    assert "Erika" not in mail.outbox[0].body
    assert "is confirmed.\n\nYour break-out room: " in mail.outbox[0].body
    # The personal join links, never the platform's address.
    assert f"/r/{registration.token}/join/plenary/" in mail.outbox[0].body
    assert f"/r/{registration.token}/join/{room.number}/" in mail.outbox[0].body
    assert room.join_url not in mail.outbox[0].body


def test_create_requires_consent():
    room = RoomFactory()
    with pytest.raises(services.RegistrationError) as excinfo:
        register(room, consent=False)
    assert excinfo.value.code == "consent"
    assert not Registration.objects.exists()


def test_create_rejects_room_of_another_event():
    room = RoomFactory()
    with pytest.raises(services.RegistrationError) as excinfo:
        register(room, event=EventFactory())
    assert excinfo.value.code == "room"


def test_full_room_refuses_or_waitlists():
    room = RoomFactory(capacity=1, waiting_list_size=1)
    register(room, email="a@example.org")
    with pytest.raises(services.RegistrationError) as excinfo:
        register(room, email="b@example.org")
    assert excinfo.value.code == "full"
    waiting = register(room, email="b@example.org", join_waitlist=True)
    assert waiting.status == Registration.Status.WAITING
    with pytest.raises(services.RegistrationError) as excinfo:
        register(room, email="c@example.org", join_waitlist=True)
    assert excinfo.value.code == "waitlist_full"
    assert Registration.objects.count() == 2


def test_duplicate_email_case_insensitive_is_already_registered():
    room = RoomFactory()
    first = register(room, email="Erika@Example.org")
    with pytest.raises(services.AlreadyRegistered) as excinfo:
        register(room, email="erika@example.ORG")
    assert excinfo.value.registration == first


def test_database_enforces_one_registration_per_email_per_event():
    room = RoomFactory()
    RegistrationFactory(room=room, email="x@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        RegistrationFactory(room=room, email="X@EXAMPLE.org")


def test_cancelled_registration_allows_registering_again():
    room = RoomFactory()
    first = register(room)
    services.registration_cancel(registration=first)
    second = register(room)
    assert second.pk != first.pk
    assert second.status == Registration.Status.PENDING


@pytest.mark.parametrize(
    ("opens", "closes", "starts_in", "code_message"),
    [
        (
            dt.timedelta(days=1),
            None,
            dt.timedelta(days=5),
            "Die Anmeldung ist noch nicht geöffnet.",
        ),
        (None, -dt.timedelta(hours=1), dt.timedelta(days=5), "Die Anmeldung ist geschlossen."),
        (None, None, -dt.timedelta(hours=1), "Die Anmeldung ist geschlossen."),
    ],
)
def test_registration_window(opens, closes, starts_in, code_message):
    now = timezone.now()
    starts_at = now + starts_in
    event = EventFactory(
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=3),
        registration_opens_at=now + opens if opens else None,
        registration_closes_at=now + closes if closes else None,
    )
    room = RoomFactory(event=event)
    with pytest.raises(services.RegistrationError) as excinfo:
        register(room)
    assert str(excinfo.value.message) == code_message


def test_expired_hold_frees_the_seat_without_a_job():
    room = RoomFactory(capacity=1)
    now = timezone.now()
    held = register(room, email="a@example.org", now=now)
    later = now + dt.timedelta(minutes=61)
    second = register(room, email="b@example.org", now=later)
    assert second.status == Registration.Status.PENDING
    held.refresh_from_db()
    assert services.hold_expired(held, now=later)


def test_confirm_within_hold():
    room = RoomFactory()
    registration = register(room)
    mail.outbox.clear()
    services.registration_confirm(registration=registration)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.email_confirmed_at is not None
    assert registration.expires_at is None
    assert [m.subject for m in mail.outbox] == [f"Anmeldung bestätigt: {room.event.title}"]
    assert (
        f"http://127.0.0.1:8000/r/{registration.token}/join/{room.number}/" in mail.outbox[0].body
    )
    assert room.join_url not in mail.outbox[0].body
    # Twice changes nothing and sends nothing.
    services.registration_confirm(registration=registration)
    assert len(mail.outbox) == 1


def test_confirm_after_expiry_gets_a_free_seat():
    room = RoomFactory(capacity=1)
    now = timezone.now()
    registration = register(room, now=now)
    services.registration_confirm(registration=registration, now=now + dt.timedelta(hours=2))
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED


def test_confirm_after_expiry_in_full_room_offers_waiting_list():
    room = RoomFactory(capacity=1)
    now = timezone.now()
    late = register(room, email="late@example.org", now=now)
    later = now + dt.timedelta(minutes=90)
    register(room, email="quick@example.org", now=later)
    services.registration_confirm(registration=late, now=later)
    late.refresh_from_db()
    assert late.status == Registration.Status.PENDING
    assert late.email_confirmed_at == later
    assert services.hold_expired(late, now=later)
    moved = services.registration_change_room(
        registration=late, room=room, join_waitlist=True, now=later
    )
    assert moved.status == Registration.Status.WAITING


def test_cancel_promotes_first_waiting_and_mails_them():
    room = RoomFactory(capacity=1)
    event = room.event
    event.double_opt_in = False
    event.save()
    first = register(room, email="first@example.org")
    second = register(room, email="second@example.org", join_waitlist=True)
    third = register(room, email="third@example.org", join_waitlist=True)
    mail.outbox.clear()
    services.registration_cancel(registration=first)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == Registration.Status.CONFIRMED
    assert third.status == Registration.Status.WAITING
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("first@example.org", f"Anmeldung storniert: {event.title}"),
        ("second@example.org", f"Ein Platz ist für Sie frei: {event.title}"),
    ]


def test_promoted_without_confirmed_email_gets_a_new_hold():
    room = RoomFactory(capacity=1)
    first = register(room, email="first@example.org")
    second = register(room, email="second@example.org", join_waitlist=True)
    services.registration_cancel(registration=first)
    second.refresh_from_db()
    assert second.status == Registration.Status.PENDING
    assert second.expires_at > timezone.now()


def test_new_registrant_does_not_jump_the_waiting_list_after_a_hold_expires():
    room = RoomFactory(capacity=1)
    now = timezone.now()
    register(room, email="hold@example.org", now=now)
    waiting = register(room, email="wait@example.org", join_waitlist=True, now=now)
    later = now + dt.timedelta(minutes=61)
    newcomer = register(room, email="new@example.org", join_waitlist=True, now=later)
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.PENDING
    assert newcomer.status == Registration.Status.WAITING


def test_change_room_within_capacity_frees_old_seat_for_waiting_list():
    event = EventFactory(double_opt_in=False)
    one = RoomFactory(event=event, capacity=1)
    two = RoomFactory(event=event, capacity=1)
    mover = register(one, email="mover@example.org")
    waiting = register(one, email="wait@example.org", join_waitlist=True)
    services.registration_change_room(registration=mover, room=two)
    mover.refresh_from_db()
    waiting.refresh_from_db()
    assert (mover.room, mover.status) == (two, Registration.Status.CONFIRMED)
    assert (waiting.room, waiting.status) == (one, Registration.Status.CONFIRMED)


def test_change_room_into_full_room_keeps_old_seat():
    event = EventFactory(double_opt_in=False)
    one = RoomFactory(event=event, capacity=1)
    two = RoomFactory(event=event, capacity=1)
    mover = register(one, email="mover@example.org")
    register(two, email="other@example.org")
    with pytest.raises(services.RegistrationError) as excinfo:
        services.registration_change_room(registration=mover, room=two)
    assert excinfo.value.code == "full"
    mover.refresh_from_db()
    assert (mover.room, mover.status) == (one, Registration.Status.CONFIRMED)


def test_change_room_to_other_events_room_refused():
    room = RoomFactory()
    registration = register(room)
    with pytest.raises(services.RegistrationError):
        services.registration_change_room(registration=registration, room=RoomFactory())


def test_waitlist_promote_after_capacity_raised():
    room = RoomFactory(capacity=1, event=EventFactory(double_opt_in=False))
    register(room, email="a@example.org")
    waiting = [register(room, email=f"w{i}@example.org", join_waitlist=True) for i in range(3)]
    room.capacity = 3
    room.save()
    promoted = services.waitlist_promote(room=room)
    assert [r.pk for r in promoted] == [waiting[0].pk, waiting[1].pk]
    assert Registration.objects.filter(status="waiting").get().pk == waiting[2].pk


def test_send_link_mails_only_registered_addresses():
    room = RoomFactory()
    registration = register(room, email="known@example.org")
    mail.outbox.clear()
    services.registration_send_link(event=room.event, email="KNOWN@example.org")
    services.registration_send_link(event=room.event, email="unknown@example.org")
    assert [m.to for m in mail.outbox] == [["known@example.org"]]
    assert registration.get_absolute_url() in mail.outbox[0].body


def test_delete_erases_and_promotes():
    room = RoomFactory(capacity=1, event=EventFactory(double_opt_in=False))
    first = register(room, email="a@example.org")
    second = register(room, email="b@example.org", join_waitlist=True)
    services.registration_delete(registration=first)
    assert not Registration.objects.filter(email="a@example.org").exists()
    second.refresh_from_db()
    assert second.status == Registration.Status.CONFIRMED


def test_token_is_long_and_random():
    room = RoomFactory(capacity=20)
    tokens = {register(room, email=f"p{i}@example.org").token for i in range(20)}
    assert len(tokens) == 20
    assert all(len(token) == 32 for token in tokens)


def test_organiser_can_move_after_registration_closed_attendee_cannot():
    now = timezone.now()
    event = EventFactory(
        registration_opens_at=now - dt.timedelta(days=2),
        registration_closes_at=now - dt.timedelta(days=1),
    )
    one = RoomFactory(event=event)
    two = RoomFactory(event=event)
    registration = RegistrationFactory(room=one)
    with pytest.raises(services.RegistrationError) as excinfo:
        services.registration_change_room(registration=registration, room=two)
    assert excinfo.value.code == "closed"
    services.registration_change_room(registration=registration, room=two, by_organiser=True)
    registration.refresh_from_db()
    assert registration.room == two


def test_confirmation_mail_carries_the_calendar_invitation_and_cancel_withdraws_it():
    import icalendar

    room = RoomFactory(event=EventFactory(double_opt_in=True))
    AgendaItemFactory(event=room.event)
    registration = register(room)
    assert mail.outbox[0].attachments == []  # pending: no invitation yet
    services.registration_confirm(registration=registration)
    name, content, mimetype = mail.outbox[1].attachments[0]
    assert name == "invite.ics"
    assert mimetype == "text/calendar; method=REQUEST; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(content)
    assert calendar["METHOD"] == "REQUEST"
    services.registration_cancel(registration=registration)
    _name, content, mimetype = mail.outbox[2].attachments[0]
    assert mimetype == "text/calendar; method=CANCEL; charset=utf-8"
    assert icalendar.Calendar.from_ical(content)["METHOD"] == "CANCEL"


def test_correcting_details_from_a_stale_copy_never_undoes_a_cancellation():
    room = RoomFactory()
    stale = register(room)
    services.registration_cancel(registration=Registration.objects.get(pk=stale.pk))

    stale.first_name = "Erika Maria"
    services.registration_update_details(registration=stale)

    stored = Registration.objects.get(pk=stale.pk)
    assert (stored.first_name, stored.status) == ("Erika Maria", Registration.Status.CANCELLED)
    assert stored.cancelled_at is not None


def test_moving_into_a_room_deleted_meanwhile_is_refused_clearly():
    room = RoomFactory(number=1)
    gone = RoomFactory(event=room.event, number=2)
    registration = register(room)
    Room.objects.filter(pk=gone.pk).delete()

    with pytest.raises(services.RegistrationError) as refused:
        services.registration_change_room(registration=registration, room=gone)

    assert (refused.value.code, str(refused.value.message)) == (
        "room",
        "Bitte wählen Sie einen Raum dieser Veranstaltung.",
    )
    assert Registration.objects.get(pk=registration.pk).room_id == room.pk
