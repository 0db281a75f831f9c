"""Two requests for the same registration at the same moment (PostgreSQL, live server).

Each person's two requests come from two browsers of their own, read the personal page first
(for the CSRF token) and are released together by one barrier across all requests.
"""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import timezone

from events.models import Room
from registrations.models import MailingRecipient, Registration
from registrations.occupancy import holds_seat
from tests.factories import EventFactory, RegistrationFactory, RoomFactory
from tests.live import Answer, Visitor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PEOPLE = 40
CANCELLED = "Ihre Anmeldung ist storniert."
DELETED = "Ihre Anmeldung und alle Ihre Daten sind gelöscht."


def room_full(room: Room) -> str:
    return (
        f"Raum {room.number} ist ausgebucht. Sie können sich auf die Warteliste setzen "
        "lassen oder einen anderen Raum wählen."
    )


def room_changed(room: Room) -> str:
    return f"Ihr Raum ist jetzt Raum {room.number}: {room.name}."


def race(base_url: str, requests: list[tuple[str, str, dict[str, str]]]) -> list[Answer]:
    """Send every (token, action path, form data) from its own browser, all at one moment."""
    barrier = threading.Barrier(len(requests))

    def send(token: str, action: str, data: dict[str, str]) -> Answer:
        visitor = Visitor(base_url)
        page = visitor.get(f"/r/{token}/")
        barrier.wait(timeout=60)
        if page.status != 200:  # after the barrier, so that the others are not kept waiting
            return page
        return visitor.post(f"/r/{token}/{action}/", data)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(lambda request: send(*request), requests))


def race_with_a_room_change(base_url: str, action: str):
    """PEOPLE confirmed registrations in room A; each sends `action` and a change to room B at
    the same moment. Returns the event, room B, the registrations and the answers (in pairs)."""
    event = EventFactory()
    room_a = RoomFactory(event=event, capacity=PEOPLE)
    room_b = RoomFactory(event=event, capacity=PEOPLE)
    registrations = RegistrationFactory.create_batch(PEOPLE, room=room_a)
    requests = [
        request
        for registration in registrations
        for request in (
            (registration.token, action, {}),
            (registration.token, "room", {"room": str(room_b.pk)}),
        )
    ]
    return event, room_a, room_b, registrations, race(base_url, requests)


def test_cancel_and_room_change_at_once_never_resurrect_a_registration(
    require_postgres, live_server
):
    event, room_a, room_b, registrations, answers = race_with_a_room_change(
        live_server.url, "cancel"
    )

    statuses = [answer.status for answer in answers]
    assert statuses == [200] * 2 * PEOPLE, statuses
    cancel_answers = dict(zip(registrations, answers[0::2], strict=True))
    said_cancelled = {r.pk for r, answer in cancel_answers.items() if CANCELLED in answer.body}
    rows = Registration.objects.filter(event=event)
    assert rows.count() == PEOPLE
    # No resurrection: a registration marked as cancelled is cancelled.
    resurrected = rows.filter(cancelled_at__isnull=False).exclude(status="cancelled")
    assert list(resurrected.values_list("pk", "status", "room__number")) == []
    # Whoever was told "cancelled" is cancelled, and nobody else is.
    assert set(rows.filter(status="cancelled").values_list("pk", flat=True)) == said_cancelled
    assert (
        not room_b.registrations.filter(holds_seat(timezone.now()))
        .filter(cancelled_at__isnull=False)
        .exists()
    )
    seats_held = rows.filter(room__in=[room_a, room_b]).filter(holds_seat(timezone.now())).count()
    assert seats_held == rows.active().count()
    assert not rows.filter(status="waiting").exists()


def test_delete_and_room_change_at_once_always_delete(require_postgres, live_server):
    event, _room_a, _room_b, registrations, answers = race_with_a_room_change(
        live_server.url, "delete"
    )

    statuses = [answer.status for answer in answers]
    assert set(statuses) <= {200, 404}, statuses
    delete_answers = answers[0::2]
    # Every deletion succeeds and says so on the event page it leads back to.
    assert [a.status for a in delete_answers] == [200] * PEOPLE
    assert {a.path for a in delete_answers} == {event.get_absolute_url()}
    assert all(DELETED in a.body for a in delete_answers)
    # Nothing is left: no registration (none put back by a late room change), no recipient row.
    assert list(Registration.objects.filter(event=event).values_list("pk", "status")) == []
    emails = [registration.email for registration in registrations]
    assert not Registration.objects.filter(email__in=emails).exists()
    assert not MailingRecipient.objects.filter(
        registration_id__in=[r.pk for r in registrations]
    ).exists()


def test_twenty_switching_into_a_room_with_five_seats(require_postgres, live_server):
    event = EventFactory()
    room_a = RoomFactory(event=event, capacity=20)
    room_b = RoomFactory(event=event, capacity=5)
    registrations = RegistrationFactory.create_batch(20, room=room_a)
    requests = [(r.token, "room", {"room": str(room_b.pk)}) for r in registrations]

    answers = race(live_server.url, requests)

    assert [answer.status for answer in answers] == [200] * 20
    by_registration = dict(zip(registrations, answers, strict=True))
    moved = {r.pk for r, answer in by_registration.items() if room_changed(room_b) in answer.body}
    refused = {r.pk for r, answer in by_registration.items() if room_full(room_b) in answer.body}
    assert len(moved) == 5
    assert len(refused) == 15
    assert moved | refused == {r.pk for r in registrations}
    in_b = Registration.objects.filter(room=room_b)
    assert set(in_b.values_list("pk", flat=True)) == moved
    assert set(in_b.values_list("status", flat=True)) == {"confirmed"}
    in_a = Registration.objects.filter(room=room_a)
    assert set(in_a.values_list("pk", flat=True)) == refused
    assert set(in_a.values_list("status", flat=True)) == {"confirmed"}


def test_twenty_switching_live_into_a_room_with_five_free_seats(require_postgres, live_server):
    """During the event (registration closed): a free seat or a clear no, never a waiting list;
    each freed seat goes to the next person waiting in the room that was left."""
    now = timezone.now()
    event = EventFactory(
        starts_at=now - dt.timedelta(minutes=30), ends_at=now + dt.timedelta(hours=2)
    )
    room_a = RoomFactory(event=event, capacity=20)
    room_b = RoomFactory(event=event, capacity=10)
    RegistrationFactory.create_batch(5, room=room_b)
    registrations = RegistrationFactory.create_batch(20, room=room_a)
    waiting = [
        RegistrationFactory(
            room=room_a,
            status="waiting",
            waiting_since=now + dt.timedelta(seconds=i),
            email_confirmed_at=now,
        )
        for i in range(3)
    ]
    requests = [
        (r.token, "room", {"room": str(room_b.pk), "join_waitlist": "on"}) for r in registrations
    ]

    answers = race(live_server.url, requests)

    assert [answer.status for answer in answers] == [200] * 20
    no_seat = (
        f"Raum {room_b.number} hat gerade keinen freien Platz. Bitte wählen Sie einen anderen Raum."
    )
    by_registration = dict(zip(registrations, answers, strict=True))
    moved = {r.pk for r, answer in by_registration.items() if room_changed(room_b) in answer.body}
    refused = {r.pk for r, answer in by_registration.items() if no_seat in answer.body}
    assert (len(moved), len(refused)) == (5, 15)
    assert moved | refused == {r.pk for r in registrations}
    assert Registration.objects.filter(room=room_b, status="confirmed").count() == 10
    assert not Registration.objects.filter(room=room_b, status="waiting").exists()
    statuses = [Registration.objects.get(pk=r.pk).status for r in waiting]
    assert statuses == ["confirmed", "confirmed", "confirmed"]  # moved up into the freed seats
