"""The public pages in a real browser: content, language switcher, axe-core, zoom, phone width."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.e2e.browser import DESKTOP, PHONE, ZOOM_200, axe_violations, horizontal_overflow
from tests.factories import EventFactory, future_day

# The demo 60 days ahead, so that its registration stays open.
pytestmark = [pytest.mark.e2e, pytest.mark.demo_event(day=future_day(60))]

DEMO_URL = "/events/koki-abschluss/"
AP_MONTHS = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct."]
AP_MONTHS += ["Nov.", "Dec."]


def test_event_page_shows_the_facts_first_and_the_programme(page, demo_event):
    page.goto(DEMO_URL)

    assert page.locator("html").get_attribute("lang") == "de"
    assert page.title() == f"{demo_event.title} – koki"
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == demo_event.title
    facts = page.locator(".event-facts")
    assert facts.locator("dt").all_inner_texts() == ["WANN", "WO", "KOSTEN"]
    start = timezone.localtime(demo_event.starts_at, demo_event.tzinfo)
    months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August"]
    months += ["September", "Oktober", "November", "Dezember"]
    expected_day = f"{start.day}. {months[start.month - 1]} {start.year}, 10:00–12:45 Uhr"
    assert facts.locator("dd").first.inner_text() == f"{expected_day} (Europe/Berlin)"
    # The facts come before the description and the programme.
    order = page.evaluate(
        """() => [...document.querySelectorAll('.event-facts, #about-heading, #programme-heading')]
                 .map(e => e.id || e.className)"""
    )
    assert order == ["event-facts", "about-heading", "programme-heading"]

    programme = page.locator("section[aria-labelledby=programme-heading] li.timeline-item")
    titles = programme.locator("h3").all_inner_texts()
    assert titles == list(
        demo_event.agenda_items.order_by("starts_at").values_list("title", flat=True)
    )
    first_time = programme.first.locator("time").first
    assert first_time.inner_text() == "10:00"
    assert first_time.get_attribute("datetime").startswith(f"{start:%Y-%m-%d}T10:00:00+0")

    rooms = page.locator("section[aria-labelledby=rooms-heading] h3").all_text_contents()
    assert rooms[:2] == ["Raum 1: Bildung & Lernen", "Raum 2: Politik & Verwaltung"]
    assert len(rooms) == 8
    assert page.get_by_role("heading", name="Henning Lühr").is_visible()
    assert axe_violations(page) == []


def test_language_switcher_keeps_the_page_and_formats_dates_in_english(new_page, demo_event):
    page = new_page(expect_http_errors=True)  # it visits the 404 page on purpose
    page.goto(DEMO_URL + "#programme-heading")
    nav = page.get_by_role("navigation", name="Sprache")
    assert nav.locator("[aria-current=true]").inner_text() == "Deutsch"

    nav.get_by_role("link", name="English").click()
    page.wait_for_load_state()

    assert page.url.endswith("/en" + DEMO_URL)  # the same page at its English address
    assert page.locator("html").get_attribute("lang") == "en"
    start = timezone.localtime(demo_event.starts_at, demo_event.tzinfo)
    when = page.locator(".event-facts dd").first.inner_text()
    month = AP_MONTHS[start.month - 1]  # Django's English DATE_FORMAT "N j, Y"
    assert when == f"{month} {start.day}, {start.year}, 10:00–12:45 (Europe/Berlin)"  # 24 hours
    assert page.get_by_role("heading", name="Programme", exact=True).is_visible()
    assert page.locator(".event-facts dt").all_inner_texts() == ["WHEN", "WHERE", "COST"]
    assert axe_violations(page) == []

    # The choice sticks for the next page, and the switcher leads back.
    page.goto("/does-not-exist/")
    assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Deutsch").click()
    page.wait_for_load_state()
    assert page.url.endswith("/does-not-exist/")
    assert page.get_by_role("heading", level=1).inner_text() == "Seite nicht gefunden"


def test_start_page_goes_straight_to_the_only_event(page, demo_event):
    page.goto("/")
    assert page.url.endswith(DEMO_URL)
    assert page.get_by_role("heading", level=1).inner_text() == demo_event.title


def test_start_page_lists_several_events(page, transactional_db):
    first = EventFactory(title="Auftakt Nachhaltig Digital")
    second = EventFactory(
        title="Werkstatt KI-Ethik", starts_at=first.starts_at + dt.timedelta(days=7)
    )
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Kommende Veranstaltungen"
    links = page.locator(".event-list h2 a")
    assert links.all_inner_texts() == [first.title, second.title]
    assert axe_violations(page) == []
    links.nth(1).click()
    assert page.get_by_role("heading", level=1).inner_text() == second.title


def test_start_page_without_events(page, transactional_db):
    page.goto("/")
    assert page.locator("main p").inner_text() == "Derzeit sind keine Veranstaltungen geplant."
    assert axe_violations(page) == []


def test_not_found_page_is_translated_and_accessible(new_page, transactional_db):
    page = new_page(expect_http_errors=True)
    response = page.goto("/events/gibt-es-nicht/")
    assert response.status == 404
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.title() == "Seite nicht gefunden – koki"
    assert page.get_by_role("heading", level=1).inner_text() == "Seite nicht gefunden"
    assert page.get_by_role("navigation", name="Sprache").is_visible()
    assert axe_violations(page) == []


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, demo_event):
    page.goto(DEMO_URL)
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Zum Inhalt springen"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


@pytest.mark.parametrize(
    ("viewport", "scale"),
    [pytest.param(PHONE, 2, id="375px"), pytest.param(ZOOM_200, 2, id="1280px-at-200%")],
)
def test_no_sideways_scrolling_on_a_phone_or_at_200_percent_zoom(
    new_page, demo_event, viewport, scale
):
    EventFactory(title="Zweite Veranstaltung")  # so that "/" shows the list
    page = new_page(viewport=viewport, scale=scale, expect_http_errors=True)
    for path in [DEMO_URL, "/", "/events/gibt-es-nicht/", f"{DEMO_URL}privacy/"]:
        page.goto(path)
        assert (path, horizontal_overflow(page)) == (path, 0)
        # Nothing is cut off either: every text block fits inside the viewport.
        too_wide = page.evaluate(
            """(width) => [...document.querySelectorAll('h1, h2, h3, .btn, dd, p, li')]
                   .filter(e => e.getBoundingClientRect().right > width + 0.5)
                   .map(e => e.textContent.trim().slice(0, 40))""",
            viewport["width"],
        )
        assert (path, too_wide) == (path, [])


def test_event_page_uses_the_desktop_width_and_calls_to_register(new_page, demo_event):
    page = new_page()
    page.goto(DEMO_URL)
    card = page.locator(".registration-card")
    content = page.locator(".event-content")
    card_box, content_box = card.bounding_box(), content.bounding_box()
    assert card_box["x"] > content_box["x"] + content_box["width"]  # side by side
    assert card_box["y"] < 900  # in the first screen
    register = page.get_by_role("link", name="Jetzt anmelden", exact=True, include_hidden=True)
    assert register.count() == 3
    assert [link.is_visible() for link in register.all()] == [True, False, True]
    # The card stays in view while the programme scrolls by.
    page.locator("#rooms-heading").scroll_into_view_if_needed()
    assert 0 <= card.bounding_box()["y"] < 900
    assert register.first.is_visible()

    phone = new_page(viewport=PHONE, scale=2)
    phone.goto(DEMO_URL)
    links = phone.get_by_role("link", name="Jetzt anmelden", exact=True)
    assert [link.is_visible() for link in links.all()] == [True, True, True]
    assert links.first.bounding_box()["y"] + links.first.bounding_box()["height"] < PHONE["height"]
    after_programme, after_rooms = links.nth(1).bounding_box(), links.nth(2).bounding_box()
    assert phone.locator("#programme-heading").bounding_box()["y"] < after_programme["y"]
    assert phone.locator(".rooms").bounding_box()["y"] < after_rooms["y"]
    # The title is larger than a section heading on a phone too.
    sizes = phone.evaluate(
        """() => ['h1', 'h2'].map(tag => parseFloat(
                 getComputedStyle(document.querySelector(tag)).fontSize))"""
    )
    assert sizes[0] > sizes[1]
    assert axe_violations(phone) == []


def test_room_cards_show_their_state_and_lead_to_the_form(page, demo_event):
    from tests.factories import RegistrationFactory

    full = demo_event.rooms.get(number=3)
    RegistrationFactory.create_batch(full.capacity, room=full)
    page.goto(DEMO_URL)
    cards = page.locator(".room-card")
    assert cards.nth(2).get_attribute("class") == "room-card room-waitlist"
    assert cards.nth(2).locator(".seats").inner_text() == "Ausgebucht – Warteliste offen"
    assert cards.nth(0).locator(".seats").inner_text() == "40 Plätze frei"
    colours = [
        cards.nth(n).locator(".seats").evaluate("e => getComputedStyle(e).backgroundColor")
        for n in (0, 2)
    ]
    assert colours[0] != colours[1]
    cards.nth(2).get_by_role("link", name="Diesen Raum wählen").click()
    assert page.get_by_role("radio", name=re.compile(r"^Raum 3: Pflege")).is_checked()
    assert page.get_by_role("checkbox", name=re.compile("^Auf die Warteliste")).is_visible()


@pytest.mark.parametrize(
    ("viewport", "scale"),
    [
        pytest.param(DESKTOP, 1, id="1280px"),
        pytest.param(PHONE, 2, id="375px"),
        pytest.param(ZOOM_200, 2, id="1280px-at-200%"),
    ],
)
def test_every_page_and_state_is_accessible_and_fits(new_page, demo_event, viewport, scale):
    from registrations.models import Registration
    from tests.factories import RegistrationFactory

    rooms = {room.number: room for room in demo_event.rooms.all()}
    RegistrationFactory.create_batch(40, room=rooms[3])  # full, its waiting list open
    rooms[6].waiting_list_size = 0
    rooms[6].save()
    RegistrationFactory.create_batch(40, room=rooms[6])  # full, no place left
    now = timezone.now()
    people = {
        "pending": RegistrationFactory(
            room=rooms[2], status="pending", expires_at=now + dt.timedelta(hours=1)
        ),
        "confirmed": RegistrationFactory(room=rooms[4]),
        "waiting": RegistrationFactory(room=rooms[3], status="waiting", waiting_since=now),
        "cancelled": RegistrationFactory(room=rooms[5], status="cancelled", cancelled_at=now),
    }
    assert Registration.objects.filter(status="waiting").count() == 1
    personal = {name: f"/r/{person.token}/" for name, person in people.items()}
    paths = [
        DEMO_URL,
        DEMO_URL + "register/",
        DEMO_URL + "register/?room=3",
        DEMO_URL + "register/done/",
        DEMO_URL + "resend/",
        DEMO_URL + "privacy/",
        *personal.values(),
        personal["pending"] + "confirm/",
        personal["confirmed"] + "cancel/",
        personal["confirmed"] + "delete/",
        personal["confirmed"] + "join/plenary/",
    ]
    page = new_page(viewport=viewport, scale=scale)
    found = {}
    for path in paths:
        page.goto(path)
        found[path] = (axe_violations(page), horizontal_overflow(page))
    # The form with its errors, and with the full room's waiting list showing.
    page.goto(DEMO_URL + "register/")
    page.get_by_role("button", name="Jetzt anmelden").click()
    page.wait_for_load_state()
    page.get_by_role("radio", name=re.compile(r"^Raum 3: Pflege")).check()
    assert page.locator("#id_join_waitlist").is_visible()
    found["errors"] = (axe_violations(page), horizontal_overflow(page))
    assert found == dict.fromkeys(found, ([], 0))


def test_an_accent_colour_at_the_limit_keeps_every_page_accessible(page, demo_event):
    from events.theme import validate_accent_colour
    from tests.factories import RegistrationFactory

    validate_accent_colour("#6b6b6b")  # 4.68:1 on its light shade: just enough
    demo_event.accent_colour = "#6b6b6b"
    demo_event.save()
    RegistrationFactory.create_batch(40, room=demo_event.rooms.get(number=3))
    cancelled = RegistrationFactory(
        room=demo_event.rooms.get(number=1), status="cancelled", cancelled_at=timezone.now()
    )
    found = {}
    for path in [DEMO_URL, DEMO_URL + "register/?room=3", cancelled.get_absolute_url()]:
        page.goto(path)
        found[path] = axe_violations(page)
    assert found == {path: [] for path in found}
    page.goto(DEMO_URL)
    button = page.locator(".registration-card .btn-primary")
    assert button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(107, 107, 107)"
