"""The event day: personal join links (waiting, redirecting, refusing), attendance by click,
switching rooms live, and the personal page's "now and next". Times against a set clock on the
demo event (16 March 2027, 10:00–12:45 Berlin; deep dives in every room from 11:05)."""

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from events.demo import demo_event_move
from events.models import Room
from registrations import joining, services
from registrations.models import Attendance, Registration
from tests.factories import EventFactory, RegistrationFactory, RoomFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
PLATFORM = "https://konferenz.example.org/koki-plenum"


def at(hhmm: str, day=dt.date(2027, 3, 16)) -> dt.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN)


@pytest.fixture
def clock(monkeypatch):
    """Set the time every view and service reads: `clock("09:44")`."""

    def set_to(moment):
        moment = at(moment) if isinstance(moment, str) else moment
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return set_to


@pytest.fixture
def attendee(demo_event):
    room = demo_event.rooms.get(number=3)
    return RegistrationFactory(room=room, email_confirmed_at=at("09:00", dt.date(2027, 3, 1)))


def join_url(registration, place) -> str:
    return f"/r/{registration.token}/join/{place}/"


# --- Release times ------------------------------------------------------------------------------


def test_places_open_fifteen_minutes_before_their_first_item(attendee):
    plenary, room = joining.places_of(attendee)
    assert (plenary.room, plenary.opens_at, plenary.starts_at) == (None, at("09:45"), at("10:00"))
    assert (room.room, room.opens_at, room.starts_at) == (attendee.room, at("10:50"), at("11:05"))


def test_a_room_with_its_own_earlier_item_opens_for_that_item(attendee):
    attendee.event.agenda_items.create(
        starts_at=at("10:00"), ends_at=at("10:30"), title="Ankommen", room=attendee.room
    )
    _plenary, room = joining.places_of(attendee)
    assert room.opens_at == at("09:45")


def test_the_opening_follows_the_event_when_it_moves(attendee):
    demo_event_move(event=attendee.event, day=None, start=dt.time(14, 0))
    attendee.refresh_from_db()
    plenary, room = joining.places_of(attendee)
    assert (plenary.opens_at, room.opens_at) == (at("13:45"), at("14:50"))


def test_countdown_reads_the_two_largest_units():
    assert joining.countdown(30) == "1 Minute"
    assert joining.countdown(14 * 60 + 1) == "15 Minuten"
    assert joining.countdown(3600 + 5 * 60) == "1 Stunde, 5 Minuten"
    assert joining.countdown(2 * 86400 + 3 * 3600 + 59) == "2 Tagen, 3 Stunden"


# --- The join link ------------------------------------------------------------------------------


def test_before_the_release_the_link_shows_a_waiting_page(client, clock, attendee):
    clock("09:30")
    response = client.get(join_url(attendee, "plenary"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Dieser Link öffnet am 16. März 2027 um 09:45 Uhr." in html
    assert "Öffnet in 15 Minuten." in html
    assert 'data-opens-at="2027-03-16T09:45:00+01:00"' in html
    assert f'href="/r/{attendee.token}/calendar.ics"' in html  # add to calendar
    assert PLATFORM not in html
    assert "no-store" in response["Cache-Control"]
    assert Attendance.objects.count() == 0


def test_after_the_release_the_link_leads_to_the_meeting_and_counts_once(client, clock, attendee):
    clock("09:45")
    response = client.get(join_url(attendee, "plenary"))
    assert (response.status_code, response["Location"]) == (302, PLATFORM)
    clock("10:20")
    assert client.get(join_url(attendee, "plenary"))["Location"] == PLATFORM
    attendance = Attendance.objects.get()
    assert (attendance.room, attendance.joined_at, attendance.source) == (None, at("09:45"), "link")
    attendee.refresh_from_db()
    assert attendee.attended_at == at("09:45")


def test_the_room_link_records_the_room(client, clock, attendee):
    clock("11:10")
    response = client.get(join_url(attendee, 3))
    assert response["Location"] == "https://konferenz.example.org/koki-raum-3"
    assert list(Attendance.objects.values_list("room__number", "joined_at")) == [(3, at("11:10"))]


def test_a_head_request_is_no_visit(client, clock, attendee):
    clock("10:00")
    assert client.head(join_url(attendee, "plenary")).status_code == 302
    assert Attendance.objects.count() == 0


def test_a_changed_platform_address_applies_to_links_already_sent(client, clock, attendee):
    clock("11:00")
    Room.objects.filter(pk=attendee.room_id).update(join_url="https://bbb.example.org/b/neu")
    assert client.get(join_url(attendee, 3))["Location"] == "https://bbb.example.org/b/neu"


def test_after_the_event_the_link_says_it_is_over(client, clock, attendee):
    clock("12:45")
    response = client.get(join_url(attendee, "plenary"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Die Veranstaltung ist vorbei.</strong> Vielen Dank für Ihr Interesse." in html
    assert "certificate.pdf" not in html  # not attended: no certificate
    assert Attendance.objects.count() == 0


def test_a_missing_platform_address_asks_to_try_again(client, clock, attendee):
    clock("11:00")
    Room.objects.filter(pk=attendee.room_id).update(join_url="")
    html = client.get(join_url(attendee, 3)).content.decode()
    assert "Das Orga-Team hat die Adresse der Videokonferenz noch nicht eingetragen." in html
    assert Attendance.objects.count() == 0


def test_another_room_of_the_event_points_to_the_own_room(client, clock, attendee):
    clock("11:10")
    response = client.get(join_url(attendee, 5))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ihr Break-out-Raum ist Raum 3: Pflege." in html
    assert f'href="/r/{attendee.token}/join/3/"' in html
    assert "koki-raum-5" not in html
    assert Attendance.objects.count() == 0


@pytest.mark.parametrize(
    ("status", "fields", "message"),
    [
        (
            "pending",
            {"expires_at": at("12:00")},
            "Ihre Anmeldung ist noch nicht bestätigt.",
        ),
        (
            "waiting",
            {"waiting_since": at("08:00")},
            "Sie stehen auf der Warteliste, Platz 1.",
        ),
        (
            "cancelled",
            {"cancelled_at": at("08:00")},
            "Ihre Anmeldung ist storniert.",
        ),
    ],
)
def test_who_has_no_seat_learns_why(client, clock, demo_event, status, fields, message):
    registration = RegistrationFactory(room=demo_event.rooms.get(number=1), status=status, **fields)
    clock("10:00")
    response = client.get(join_url(registration, "plenary"))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert PLATFORM not in html
    assert Attendance.objects.count() == 0


def test_forged_tokens_and_foreign_rooms_are_not_found(client, clock, attendee):
    clock("11:10")
    other_event = EventFactory()
    RoomFactory(event=other_event, number=9)
    assert client.get(join_url(attendee, 9)).status_code == 404  # a room of another event
    assert client.get(f"/r/{'x' * 32}/join/plenary/").status_code == 404
    assert client.get(f"/r/{attendee.token}/join/abc/").status_code == 404
    assert client.get(f"/r/{attendee.token}/join/99999/").status_code == 404
    assert client.post(join_url(attendee, "plenary")).status_code == 405
    assert Attendance.objects.count() == 0


def test_the_join_link_answers_in_a_fixed_number_of_queries(
    client, clock, attendee, django_assert_num_queries
):
    clock("11:00")
    client.head(join_url(attendee, "plenary"))  # reads the event's timetable once, for everyone
    # one row for the link; the first attendance and attended_at in one transaction (savepoint)
    with django_assert_num_queries(5):
        assert client.get(join_url(attendee, "plenary")).status_code == 302
    # attended before: the insert alone (it does nothing on a repeat click)
    with django_assert_num_queries(2):
        assert client.get(join_url(attendee, 3)).status_code == 302
    with django_assert_num_queries(2):
        assert client.get(join_url(attendee, 3)).status_code == 302
    assert Attendance.objects.count() == 2


def test_a_changed_timetable_reaches_the_links_at_once(client, clock, attendee):
    clock("09:50")
    assert client.get(join_url(attendee, "plenary")).status_code == 302
    demo_event_move(event=attendee.event, day=None, start=dt.time(11, 0))
    html = client.get(join_url(attendee, "plenary")).content.decode()
    assert "Dieser Link öffnet am 16. März 2027 um 10:45 Uhr." in html
    Room.objects.filter(pk=attendee.room_id).update(join_url="https://bbb.example.org/b/raum-3")
    clock("12:10")
    assert client.get(join_url(attendee, 3))["Location"] == "https://bbb.example.org/b/raum-3"


def test_platform_addresses_must_be_https(demo_event):
    demo_event.plenary_join_url = "http://konferenz.example.org/plenum"
    with pytest.raises(ValidationError) as error:
        demo_event.full_clean()
    assert error.value.message_dict["plenary_join_url"] == [
        "Bitte geben Sie eine Adresse ein, die mit https:// beginnt (verschlüsselte Verbindung)."
    ]
    room = demo_event.rooms.get(number=1)
    room.join_url = "ftp://konferenz.example.org/raum"
    with pytest.raises(ValidationError) as error:
        room.full_clean()
    assert "join_url" in error.value.message_dict


# --- Now and next, switching rooms live ---------------------------------------------------------


def test_the_personal_page_shows_now_and_next_with_join_buttons(client, clock, attendee):
    clock("10:40")
    html = client.get(attendee.get_absolute_url()).content.decode()
    assert "Jetzt und als Nächstes" in html
    assert "Impuls: Künstliche Intelligenz in Kommunen" in html  # now, 10:35–10:50
    assert f'href="/r/{attendee.token}/join/plenary/">Plenum betreten</a>' in html
    assert "Deep Dives in acht parallelen Break-out-Räumen" not in html  # next is 10:50
    assert "Impuls: Algorithmen verantwortlich einsetzen" in html
    # live: the switch form offers free seats only, no waiting list
    assert "Jetzt den Raum wechseln" in html
    assert 'name="join_waitlist"' not in html


def test_before_the_day_the_page_lists_the_links_with_their_times(client, clock, attendee):
    clock(at("12:00", dt.date(2027, 3, 1)))
    html = client.get(attendee.get_absolute_url()).content.decode()
    assert "Ihre Teilnahmelinks" in html
    assert "Jetzt und als Nächstes" not in html
    assert f'<a href="/r/{attendee.token}/join/plenary/">Plenum</a>' in html
    assert "(ab 09:45 Uhr)" in html
    assert "(ab 10:50 Uhr)" in html


def test_switching_live_moves_at_once_and_the_old_seat_goes_to_the_waiting_list(clock, demo_event):
    old, new = demo_event.rooms.get(number=3), demo_event.rooms.get(number=5)
    Room.objects.filter(pk=old.pk).update(capacity=1)
    switcher = RegistrationFactory(room=old)
    waiting = RegistrationFactory(room=old, status="waiting", waiting_since=at("08:00"))
    clock("11:10")
    mail.outbox.clear()
    services.registration_change_room(registration=switcher, room=new)
    switcher.refresh_from_db()
    waiting.refresh_from_db()
    assert (switcher.room, switcher.status, switcher.calendar_sequence) == (new, "confirmed", 1)
    assert waiting.status == "confirmed"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([switcher.email, waiting.email])


def test_switching_live_into_a_full_room_is_refused(clock, demo_event):
    full = demo_event.rooms.get(number=5)
    Room.objects.filter(pk=full.pk).update(capacity=1)
    RegistrationFactory(room=full)
    switcher = RegistrationFactory(room=demo_event.rooms.get(number=3))
    clock("11:10")
    with pytest.raises(services.RegistrationError) as error:
        services.registration_change_room(registration=switcher, room=full, join_waitlist=True)
    assert error.value.message == (
        "Raum 5 hat gerade keinen freien Platz. Bitte wählen Sie einen anderen Raum."
    )
    switcher.refresh_from_db()
    assert (switcher.room.number, switcher.status) == (3, "confirmed")


def test_only_confirmed_attendees_switch_live(clock, demo_event):
    waiting = RegistrationFactory(
        room=demo_event.rooms.get(number=3), status="waiting", waiting_since=at("08:00")
    )
    clock("11:10")
    with pytest.raises(services.RegistrationError) as error:
        services.registration_change_room(registration=waiting, room=demo_event.rooms.get(number=4))
    assert (
        error.value.message
        == "Nur bestätigte Teilnehmende können während der Veranstaltung den Raum wechseln."
    )


def test_after_the_event_nobody_switches(clock, attendee):
    clock("12:45")
    with pytest.raises(services.RegistrationError) as error:
        services.registration_change_room(
            registration=attendee, room=attendee.event.rooms.get(number=4)
        )
    assert error.value.message == "Diese Veranstaltung ist vorbei."


def test_switching_through_the_personal_page(client, clock, attendee):
    clock("11:10")
    new = attendee.event.rooms.get(number=6)
    response = client.post(f"/r/{attendee.token}/room/", {"room": str(new.pk)})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Ihr Raum ist jetzt Raum 6: Ethik." in page
    assert f'href="/r/{attendee.token}/join/6/">Raum 6: Ethik betreten</a>' in page
    assert client.get(join_url(attendee, 6))["Location"] == (
        "https://konferenz.example.org/koki-raum-6"
    )
    assert Registration.objects.get(pk=attendee.pk).room == new


def test_someone_seen_in_the_plenary_can_still_be_marked_in_their_room(client, clock, attendee):
    from registrations.attendance import attendance_mark

    clock("09:50")
    client.get(join_url(attendee, "plenary"))
    clock("11:30")
    changed = attendance_mark(registrations=Registration.objects.filter(pk=attendee.pk))
    assert changed == [attendee]
    rows = Attendance.objects.order_by("joined_at").values_list("room__number", "source")
    assert list(rows) == [(None, "link"), (3, "organisers")]
    attendee.refresh_from_db()
    assert attendee.attended_at == at("09:50")  # the first attendance stays the first
    # Taking the mark back removes what the link recorded too.
    attendance_mark(registrations=Registration.objects.filter(pk=attendee.pk), attended=False)
    assert Attendance.objects.count() == 0
    attendee.refresh_from_db()
    assert attendee.attended_at is None


def test_after_the_event_the_link_offers_the_certificate_to_those_who_came(client, clock, attendee):
    clock("10:00")
    client.get(join_url(attendee, "plenary"))
    clock("13:00")
    html = client.get(join_url(attendee, "plenary")).content.decode()
    assert "Die Veranstaltung ist vorbei." in html
    assert "Vielen Dank für Ihre Teilnahme." in html
    assert f'href="/r/{attendee.token}/certificate.pdf"' in html
    assert client.get(f"/r/{attendee.token}/certificate.pdf")["Content-Type"] == ("application/pdf")


def test_after_the_event_nothing_is_cancelled_and_nobody_moves_up(client, clock, attendee):
    waiting = RegistrationFactory(room=attendee.room, status="waiting", waiting_since=at("08:00"))
    Room.objects.filter(pk=attendee.room_id).update(capacity=1)
    clock("10:00")
    client.get(join_url(attendee, "plenary"))
    clock("12:50")
    mail.outbox.clear()
    page = client.get(attendee.get_absolute_url()).content.decode()
    assert f"/r/{attendee.token}/cancel/" not in page
    assert "Bestätigt.</strong>" in page
    cancel_page = client.get(f"/r/{attendee.token}/cancel/").content.decode()
    assert "Die Veranstaltung ist vorbei: Es gibt nichts mehr zu stornieren." in cancel_page
    assert "Ja, Anmeldung stornieren" not in cancel_page
    response = client.post(f"/r/{attendee.token}/cancel/", follow=True)
    assert "Diese Veranstaltung ist vorbei." in response.content.decode()
    attendee.refresh_from_db()
    waiting.refresh_from_db()
    assert (attendee.status, waiting.status, mail.outbox) == ("confirmed", "waiting", [])
    assert client.get(f"/r/{attendee.token}/certificate.pdf").status_code == 200
    # Deleting (DSGVO) still works, and moves nobody up either.
    client.post(f"/r/{attendee.token}/delete/")
    waiting.refresh_from_db()
    assert (Registration.objects.filter(pk=attendee.pk).exists(), waiting.status) == (
        False,
        "waiting",
    )
    assert mail.outbox == []


def test_switching_live_offers_only_rooms_with_a_free_seat(client, clock, attendee):
    full = attendee.event.rooms.get(number=4)
    Room.objects.filter(pk=full.pk).update(capacity=1)
    RegistrationFactory(room=full)
    clock("11:10")
    html = client.get(attendee.get_absolute_url()).content.decode()
    assert f'value="{full.pk}"' not in html
    assert f'value="{attendee.room_id}"' in html  # the own room stays chosen
    assert html.count('name="csrfmiddlewaretoken"') == 1
