"""The calendar a person gets by mail and the one they subscribe to stay the same: confirmed,
moved to another room, cancelled."""

import datetime as dt

import icalendar
import pytest
from django.core import mail

from events.exports import ical
from events.models import AgendaItem
from registrations import emails, services
from registrations.models import Registration
from tests.factories import AgendaItemFactory, EventFactory, RoomFactory

pytestmark = pytest.mark.django_db

PLENARY_URL = "https://meet.example.org/plenum-geheim"


@pytest.fixture
def setup():
    event = EventFactory(slug="kalender", double_opt_in=True, plenary_join_url=PLENARY_URL)
    first = RoomFactory(event=event, number=1, name="Ethik", join_url="https://meet.example.org/1")
    second = RoomFactory(event=event, number=2, name="Recht", join_url="https://meet.example.org/2")
    items = {
        "welcome": AgendaItemFactory(event=event, title="Begrüßung"),
        "deep_dive": AgendaItemFactory(
            event=event,
            title="Deep Dives",
            kind=AgendaItem.Kind.DEEP_DIVE,
            starts_at=event.starts_at + dt.timedelta(minutes=30),
        ),
        "only_second": AgendaItemFactory(
            event=event,
            title="Nur Recht",
            room=second,
            starts_at=event.starts_at + dt.timedelta(minutes=60),
        ),
    }
    return event, first, second, items


def _register(room) -> Registration:
    return services.registration_create(
        event=room.event,
        room=room,
        first_name="Erika",
        last_name="Muster",
        email="erika@example.org",
        consent=True,
    )


def _calendar_part(message) -> tuple[str, icalendar.Calendar]:
    (attachment,) = message.attachments
    name, content, mimetype = attachment
    assert name == "invite.ics"
    return mimetype, icalendar.Calendar.from_ical(content)


def _entries(calendar) -> dict[str, tuple[int, str]]:
    """UID: (SEQUENCE, LOCATION) of every VEVENT."""
    return {
        str(vevent["UID"]): (int(vevent["SEQUENCE"]), str(vevent.get("LOCATION", "")))
        for vevent in calendar.walk("VEVENT")
    }


def _link(registration, place: str) -> str:
    return f"http://127.0.0.1:8000/r/{registration.token}/join/{place}/"


def _raw_urls(room_a, room_b) -> list[str]:
    return [PLENARY_URL, room_a.join_url, room_b.join_url]


def test_confirm_room_change_and_cancel_mail_the_feeds_entries(client, setup):
    event, first, second, items = setup
    registration = _register(first)
    assert [message.attachments for message in mail.outbox] == [[]]  # not confirmed yet

    # Confirmed: the invitation holds the feed's entries.
    services.registration_confirm(registration=registration)
    registration.refresh_from_db()
    mimetype, invitation = _calendar_part(mail.outbox[1])
    feed = client.get(f"/r/{registration.token}/calendar.ics")
    uid = {name: ical.personal_uid(item, registration=registration) for name, item in items.items()}
    assert mimetype == "text/calendar; method=REQUEST; charset=utf-8"
    assert str(invitation["METHOD"]) == "REQUEST"
    assert _entries(invitation) == {
        uid["welcome"]: (0, _link(registration, "plenary")),
        uid["deep_dive"]: (0, _link(registration, "1")),
    }
    assert _entries(icalendar.Calendar.from_ical(feed.content)) == _entries(invitation)

    # Another room: the same entries, one SEQUENCE higher, the deep dive at the new link.
    services.registration_change_room(registration=registration, room=second)
    registration.refresh_from_db()
    assert mail.outbox[2].subject == f"Ihr Raum wurde geändert: {event.title}"
    mimetype, update = _calendar_part(mail.outbox[2])
    feed = client.get(f"/r/{registration.token}/calendar.ics", HTTP_IF_NONE_MATCH=feed["ETag"])
    assert mimetype == "text/calendar; method=REQUEST; charset=utf-8"
    assert _entries(update) == {
        uid["welcome"]: (1, _link(registration, "plenary")),
        uid["deep_dive"]: (1, _link(registration, "2")),
        uid["only_second"]: (1, _link(registration, "2")),
    }
    assert feed.status_code == 200
    assert _entries(icalendar.Calendar.from_ical(feed.content)) == _entries(update)

    # Cancelled: every entry withdrawn, one SEQUENCE higher again.
    services.registration_cancel(registration=registration)
    assert mail.outbox[3].subject == f"Anmeldung storniert: {event.title}"
    mimetype, cancel = _calendar_part(mail.outbox[3])
    assert mimetype == "text/calendar; method=CANCEL; charset=utf-8"
    assert str(cancel["METHOD"]) == "CANCEL"
    assert {
        str(vevent["UID"]): (int(vevent["SEQUENCE"]), str(vevent["STATUS"]))
        for vevent in cancel.walk("VEVENT")
    } == {
        uid["welcome"]: (2, "CANCELLED"),
        uid["deep_dive"]: (2, "CANCELLED"),
        uid["only_second"]: (2, "CANCELLED"),
    }
    assert len(mail.outbox) == 4

    # The platform addresses behind the links never reach a mailbox.
    for message in mail.outbox:
        for raw in _raw_urls(first, second):
            assert raw not in message.body
            assert all(raw not in str(attachment[1]) for attachment in message.attachments)


def test_no_calendar_for_a_waiting_place_or_an_unconfirmed_cancellation(setup):
    _event, first, _second, _items = setup
    first.capacity = 0
    first.save()
    registration = services.registration_create(
        event=first.event,
        room=first,
        first_name="Erika",
        last_name="Muster",
        email="erika@example.org",
        consent=True,
        join_waitlist=True,
    )
    assert registration.status == Registration.Status.WAITING

    assert emails.calendar_attachment(registration, "received") == {}
    registration.email_confirmed_at = None
    registration.status = Registration.Status.CANCELLED
    assert emails.calendar_attachment(registration, "cancelled") == {}


def test_no_calendar_part_while_the_programme_is_empty():
    room = RoomFactory(event=EventFactory(double_opt_in=False))

    registration = _register(room)

    assert registration.status == Registration.Status.CONFIRMED
    assert [message.attachments for message in mail.outbox] == [[]]
    assert emails.calendar_attachment(registration, "confirmed") == {}
