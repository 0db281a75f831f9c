"""Calendar links (events/calendar_links.py): the exact URLs, on the event page and in the mails."""

import datetime as dt
import html

import pytest
from django.utils import translation

from events.calendar_links import calendar_links, webcal_url
from registrations.emails import render
from registrations.models import Registration
from tests.factories import BERLIN, EventFactory, RegistrationFactory, RoomFactory

pytestmark = pytest.mark.django_db

PAGE = "http%3A%2F%2F127.0.0.1%3A8000%2Fevents%2Ftag%2F"


@pytest.fixture
def event():
    """Online, 16 March 2027 10:00–12:45 in Berlin (winter time: 09:00–11:45 UTC)."""
    return EventFactory(
        slug="tag",
        title="KI & Kommune: Tag 1",
        subtitle="Ergebnisse",
        starts_at=dt.datetime(2027, 3, 16, 10, 0, tzinfo=BERLIN),
        ends_at=dt.datetime(2027, 3, 16, 12, 45, tzinfo=BERLIN),
        plenary_join_url="https://meet.example.org/plenum-geheim",
    )


@pytest.fixture
def rooms(event):
    return [
        RoomFactory(event=event, number=number, join_url=f"https://meet.example.org/{number}")
        for number in (1, 2)
    ]


def test_the_exact_urls(event, rooms):
    links = calendar_links(event=event, rooms=rooms)

    assert links.google == (
        "https://calendar.google.com/calendar/render?action=TEMPLATE"
        "&text=KI%20%26%20Kommune%3A%20Tag%201"
        "&dates=20270316T090000Z%2F20270316T114500Z"
        f"&details=Ergebnisse%0A%0A{PAGE}"
    )
    assert links.outlook == (
        "https://outlook.live.com/calendar/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose"
        "&rru=addevent&subject=KI%20%26%20Kommune%3A%20Tag%201"
        "&startdt=2027-03-16T09%3A00%3A00Z&enddt=2027-03-16T11%3A45%3A00Z"
        f"&body=Ergebnisse%0A%0A{PAGE}"
    )
    assert links.programme == "webcal://127.0.0.1:8000/events/tag/programme.ics"
    assert links.rooms == (
        (rooms[0], "webcal://127.0.0.1:8000/events/tag/rooms/1.ics"),
        (rooms[1], "webcal://127.0.0.1:8000/events/tag/rooms/2.ics"),
    )


def test_an_event_on_site_in_summer_time_names_its_venue(event):
    event.is_online = False
    event.venue = "Rathaus, Saal 2"
    event.subtitle = ""
    event.starts_at = dt.datetime(2027, 7, 1, 10, 0, tzinfo=BERLIN)
    event.ends_at = dt.datetime(2027, 7, 1, 16, 0, tzinfo=BERLIN)

    links = calendar_links(event=event)

    assert links.google == (
        "https://calendar.google.com/calendar/render?action=TEMPLATE"
        "&text=KI%20%26%20Kommune%3A%20Tag%201"
        "&dates=20270701T080000Z%2F20270701T140000Z"
        f"&details={PAGE}&location=Rathaus%2C%20Saal%202"
    )
    assert links.outlook.endswith(
        "&startdt=2027-07-01T08%3A00%3A00Z&enddt=2027-07-01T14%3A00%3A00Z"
        f"&body={PAGE}&location=Rathaus%2C%20Saal%202"
    )


def test_the_feeds_keep_a_language_other_than_the_default(event, rooms):
    english = calendar_links(event=event, rooms=rooms[:1], language="en")
    german = calendar_links(event=event, rooms=rooms[:1], language="de")

    assert english.programme == "webcal://127.0.0.1:8000/events/tag/programme.ics?lang=en"
    assert english.rooms[0][1] == "webcal://127.0.0.1:8000/events/tag/rooms/1.ics?lang=en"
    assert german.programme == "webcal://127.0.0.1:8000/events/tag/programme.ics"


def test_webcal_uses_the_sites_host_never_the_requests(settings):
    settings.SITE_URL = "https://anmeldung.example.org"

    assert webcal_url("/events/tag/programme.ics") == (
        "webcal://anmeldung.example.org/events/tag/programme.ics"
    )


def test_the_event_page_shows_every_link_and_no_join_link(client, event, rooms):
    links = calendar_links(event=event, rooms=rooms)

    page = client.get("/events/tag/").content.decode()

    assert f'href="{html.escape(links.google)}"' in page
    assert f'href="{html.escape(links.outlook)}"' in page
    assert f'href="{links.programme}"' in page
    for _room, subscribe in links.rooms:
        assert f'href="{subscribe}"' in page
    assert "meet.example.org" not in page


def test_the_cached_event_page_follows_a_new_title(client, event, rooms):
    client.get("/events/tag/")
    event.title = "Neuer Titel"
    event.save()

    page = client.get("/events/tag/").content.decode()

    assert "text=Neuer%20Titel&amp;" in page
    assert "subject=Neuer%20Titel&amp;" in page


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("kind", ["received", "confirmed", "link"])
def test_registration_mails_carry_the_links_without_join_links(event, rooms, kind, language):
    registration = RegistrationFactory(room=rooms[1], language=language)
    with translation.override(language):  # the links of the page in the mail's language
        links = calendar_links(event=event, rooms=[rooms[1]], language=language)

    mail = render(registration, kind)

    for part, escape in ((mail["text"], str), (mail["html"], html.escape)):
        assert escape(links.programme) in part
        assert escape(links.rooms[0][1]) in part
        assert escape(links.google) in part
        assert escape(links.outlook) in part
        assert "rooms/1.ics" not in part  # only the person's own room
        calendar_part = part[part.index(escape(links.programme)) :]
        assert "meet.example.org" not in calendar_part


def test_a_cancellation_carries_no_calendar_links(event, rooms):
    registration = RegistrationFactory(
        room=rooms[0], status=Registration.Status.CANCELLED, cancelled_at=event.starts_at
    )

    mail = render(registration, "cancelled")

    assert "webcal://" not in mail["text"]
    assert "calendar.google.com" not in mail["html"]
