"""An attendee's whole way through, in Chromium: with the mouse, and with the keyboard alone.

Every page and state on the way is scanned with axe-core (WCAG 2.0/2.1 A and AA).
"""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from registrations.models import Registration
from tests.e2e.browser import PHONE, ZOOM_200, axe_violations, horizontal_overflow
from tests.factories import future_day

# The demo 60 days ahead, so that its registration stays open.
pytestmark = [pytest.mark.e2e, pytest.mark.demo_event(day=future_day(60))]

FIELDS = {"first_name", "last_name", "email", "room", "consent"}


def link_in_mail(message, kind: str) -> str:
    """The path of the confirm ("confirm") or personal ("manage") link in a mail's text."""
    pattern = r"https?://\S+/r/[\w-]+/confirm/" if kind == "confirm" else r"https?://\S+/r/[\w-]+/"
    urls = [
        url
        for url in re.findall(pattern, message.body)
        if kind == "confirm" or "/confirm/" not in url
    ]
    assert urls, message.body
    return urlsplit(urls[0]).path


def active(page) -> dict:
    """What has the keyboard focus: id, name, tag, type and text."""
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {id: e.id, name: e.getAttribute('name'), tag: e.tagName.toLowerCase(),
                           type: e.type || null, text: e.textContent.trim().slice(0, 60)}; }"""
    )


def tab_until(page, test, limit: int = 60) -> dict:
    """Press Tab until the focused element passes `test`; fail when it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = active(page)
        if test(element):
            return element
    raise AssertionError(f"Tab never reached the element (last: {active(page)})")


def press_and_load(page, key: str) -> None:
    """Press a key that sends a form or follows a link, and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def assert_errors_announced(page, expected_fields: set[str]) -> None:
    """The error summary has the focus, and each invalid field names its error text."""
    assert page.title().startswith("Fehler: ")
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    assert active(page)["id"] == "error-summary"
    assert summary.get_by_role("heading").inner_text() == "Bitte prüfen Sie Ihre Angaben"
    assert summary.locator("li").count() == len(expected_fields)
    described = page.evaluate(
        """() => [...document.querySelectorAll('[aria-invalid=true]')].map(e => {
                 const holder = e.type === 'radio' ? e.closest('fieldset[aria-describedby]') : e;
                 const ids = (holder.getAttribute('aria-describedby') || '').split(' ');
                 const text = ids.map(id => document.getElementById(id))
                                 .filter(Boolean).map(d => d.textContent.trim()).join(' ');
                 return [e.name, text]; })"""
    )
    invalid = {name for name, _text in described}
    assert invalid == expected_fields
    summary_texts = summary.locator("li").all_inner_texts()
    for name, text in described:
        assert text, f"{name} has no error text tied to it"
        assert any(part in summary_texts for part in [text]) or any(
            summary_text in text for summary_text in summary_texts
        ), (name, text, summary_texts)


def test_attendee_registers_confirms_changes_room_and_cancels(page, demo_event):
    # The event page: facts first, then the programme.
    page.goto(demo_event.get_absolute_url())
    assert page.get_by_role("heading", name="Programm", exact=True).is_visible()
    assert page.locator(".timeline-item").count() == demo_event.agenda_items.count()
    page.get_by_role("link", name="Jetzt anmelden").first.click()

    # The form, and the form after an empty submit.
    assert page.get_by_role("heading", level=1).inner_text() == "Anmeldung"
    assert axe_violations(page) == []
    page.get_by_role("button", name="Jetzt anmelden").click()
    page.wait_for_load_state()
    assert_errors_announced(page, FIELDS)
    assert axe_violations(page) == []
    page.locator("#error-summary").get_by_role("link", name="Bitte wählen Sie").click()
    assert active(page)["id"] == "id_room_0"

    page.get_by_label("Vorname").fill("Erika")
    page.get_by_label("Nachname").fill("Mustermann")
    page.get_by_label("E-Mail-Adresse").fill("erika.mustermann@example.org")
    page.get_by_label("Organisation (optional)").fill("Stadt Musterstadt")
    page.get_by_role("radio", name=re.compile(r"^Raum 2: Politik & Verwaltung")).check()
    page.get_by_role("checkbox", name=re.compile("Datenschutzhinweis")).check()
    page.get_by_role("button", name="Jetzt anmelden").click()

    # Check your inbox, with the room; the mail holds the confirmation link.
    assert page.get_by_role("heading", level=1).inner_text() == "Bitte prüfen Sie Ihr Postfach"
    assert "erika.mustermann@example.org" in page.locator("main").inner_text()
    assert "Raum 2: Politik & Verwaltung" in page.locator(".summary-list").inner_text()
    assert axe_violations(page) == []
    registration = Registration.objects.get(email="erika.mustermann@example.org")
    assert registration.status == Registration.Status.PENDING
    assert registration.room.number == 2
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["erika.mustermann@example.org"]
    page.goto(link_in_mail(mail.outbox[0], "confirm"))

    # Confirm with a button (mail scanners only follow links).
    assert page.get_by_role("heading", level=1).inner_text() == "Anmeldung bestätigen"
    assert axe_violations(page) == []
    page.get_by_role("button", name="Anmeldung bestätigen").click()
    status = page.locator(".messages")
    assert status.inner_text() == "Vielen Dank – Ihre Anmeldung ist bestätigt."
    assert "Bestätigt – Ihr Platz ist reserviert." in page.locator(".status-box").inner_text()
    assert axe_violations(page) == []
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED

    # The personal calendar from the personal page: the plenary and the own room, with links.
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^Ihren Kalender herunterladen")).click()
    calendar = download.value.path().read_bytes().decode()
    unfolded = calendar.replace("\r\n ", "")  # iCalendar folds lines at 75 octets
    assert calendar.startswith("BEGIN:VCALENDAR\r\n")
    assert "Raum 2: Politik & Verwaltung" in unfolded
    assert f"/r/{registration.token}/join/plenary/" in unfolded
    assert demo_event.plenary_join_url not in unfolded  # the personal link, never the address
    assert "Raum 5: Recht" not in unfolded

    # Change room on the personal page: folded away until wanted.
    assert not page.get_by_role("radio", name=re.compile(r"^Raum 5: Recht")).is_visible()
    page.get_by_text("Einen anderen Raum statt Raum 2: Politik & Verwaltung wählen").click()
    page.get_by_role("radio", name=re.compile(r"^Raum 5: Recht")).check()
    page.get_by_role("button", name="Raum ändern").click()
    assert page.locator(".messages").inner_text() == "Ihr Raum ist jetzt Raum 5: Recht."
    registration.refresh_from_db()
    assert (registration.room.number, registration.status) == (5, "confirmed")
    assert axe_violations(page) == []

    # Cancel.
    page.get_by_role("link", name="Anmeldung stornieren").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Anmeldung stornieren"
    assert axe_violations(page) == []
    page.get_by_role("button", name="Ja, Anmeldung stornieren").click()
    assert page.locator(".messages").inner_text() == "Ihre Anmeldung ist storniert."
    status_box = page.locator(".status-box").inner_text()
    assert "Storniert." in status_box
    assert "Raum" not in status_box  # a cancelled registration shows no room
    assert page.get_by_role("link", name="Anmeldung stornieren").count() == 0
    assert axe_violations(page) == []
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert mail.outbox[-1].to == ["erika.mustermann@example.org"]
    assert "storniert" in mail.outbox[-1].body


def test_registration_with_the_keyboard_alone(page, demo_event):
    single, multiple = demo_event.questions.order_by("order").values_list("pk", flat=True)
    asked = [single, multiple, multiple]
    page.goto(demo_event.get_absolute_url())
    tab_until(page, lambda e: e["tag"] == "a" and e["text"] == "Jetzt anmelden")
    press_and_load(page, "Enter")

    # Send the empty form: focus lands on the error summary.
    tab_until(page, lambda e: e["tag"] == "button" and e["text"] == "Jetzt anmelden")
    press_and_load(page, "Enter")
    assert_errors_announced(page, FIELDS)

    # The first link of the summary leads to the first field.
    page.keyboard.press("Tab")
    assert active(page)["text"] == "Bitte geben Sie Ihren Vornamen ein."
    page.keyboard.press("Enter")
    assert active(page)["id"] == "id_first_name"

    # The tab order follows the form, top to bottom, and skips the honeypot.
    page.keyboard.type("Max")
    order = [active(page)["name"]]
    typed = {"last_name": "Muster", "email": "max.muster@example.org", "job_role": "Referent"}
    for _ in range(16):
        page.keyboard.press("Tab")
        element = active(page)
        order.append(element["name"] or element["text"])
        if element["name"] in typed:
            page.keyboard.type(typed[element["name"]])
        elif element["name"] == "room":
            page.keyboard.press("ArrowDown")  # Raum 1 -> Raum 2
            page.keyboard.press("ArrowDown")  # Raum 2 -> Raum 3
        elif element["name"] == "consent":
            page.keyboard.press("Space")
        if element["tag"] == "button":
            break
    assert order == [
        "first_name",
        "last_name",
        "email",
        "organisation",
        "job_role",
        "room",
        # the demo's optional questions: a radio group (one stop) and two checkboxes
        *(f"question_{pk}" for pk in asked),
        "consent",
        "Datenschutzhinweis",
        "Jetzt anmelden",
    ]
    press_and_load(page, "Enter")
    assert page.get_by_role("heading", level=1).inner_text() == "Bitte prüfen Sie Ihr Postfach"
    registration = Registration.objects.get(email="max.muster@example.org")
    assert (registration.first_name, registration.last_name) == ("Max", "Muster")
    assert registration.job_role == "Referent"
    assert registration.room.number == 3
    assert registration.status == Registration.Status.PENDING

    # Confirm: the link from the mail is typed into the address bar, the button needs Enter.
    page.goto(link_in_mail(mail.outbox[0], "confirm"))
    tab_until(page, lambda e: e["tag"] == "button" and e["text"] == "Anmeldung bestätigen")
    press_and_load(page, "Enter")
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED

    # Unfold the room change with Enter, change room with the arrow keys, send with Space.
    tab_until(page, lambda e: e["tag"] == "summary")
    page.keyboard.press("Enter")
    tab_until(page, lambda e: e["name"] == "room")
    page.keyboard.press("ArrowDown")  # Raum 3 -> Raum 4
    tab_until(page, lambda e: e["tag"] == "button" and e["text"] == "Raum ändern")
    press_and_load(page, "Space")
    assert (
        page.locator(".messages").inner_text()
        == "Ihr Raum ist jetzt Raum 4: Stadt- & Regionalplanung."
    )
    registration.refresh_from_db()
    assert registration.room.number == 4

    # Cancel: follow the link with Enter, confirm with Space.
    tab_until(page, lambda e: e["tag"] == "a" and e["text"] == "Anmeldung stornieren")
    press_and_load(page, "Enter")
    tab_until(page, lambda e: e["tag"] == "button" and e["text"] == "Ja, Anmeldung stornieren")
    press_and_load(page, "Space")
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED


def test_resend_link_page_and_its_errors_are_accessible(page, demo_event):
    page.goto(f"/events/{demo_event.slug}/resend/")
    assert axe_violations(page) == []
    page.get_by_label("E-Mail-Adresse").fill("kein-at-zeichen")
    page.get_by_role("button", name="Link senden").click()
    page.wait_for_load_state()
    assert_errors_announced(page, {"email"})
    assert axe_violations(page) == []


def test_privacy_page_is_accessible(page, demo_event):
    page.goto(f"/events/{demo_event.slug}/privacy/")
    assert page.get_by_role("heading", level=1).inner_text() == "Datenschutzhinweise"
    assert axe_violations(page) == []


@pytest.mark.parametrize(
    ("viewport", "scale"),
    [pytest.param(PHONE, 2, id="375px"), pytest.param(ZOOM_200, 2, id="1280px-at-200%")],
)
def test_form_and_personal_page_fit_a_phone_and_200_percent_zoom(
    new_page, demo_event, viewport, scale
):
    from tests.factories import RegistrationFactory

    registration = RegistrationFactory(room=demo_event.rooms.get(number=1))
    page = new_page(viewport=viewport, scale=scale)
    page.goto(f"/events/{demo_event.slug}/register/")
    page.get_by_role("button", name="Jetzt anmelden").click()
    page.wait_for_load_state()
    assert page.locator("#error-summary").is_visible()
    assert horizontal_overflow(page) == 0
    page.goto(registration.get_absolute_url())
    assert page.get_by_role("heading", level=1).inner_text() == "Ihre Anmeldung"
    assert horizontal_overflow(page) == 0


def test_form_in_english_after_switching_language(page, demo_event):
    page.goto(f"/events/{demo_event.slug}/register/")
    page.get_by_role("navigation", name="Sprache").get_by_role("link", name="English").click()
    page.wait_for_url("**/register/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Register"
    page.get_by_role("button", name="Register now").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert active(page)["id"] == "error-summary"
    summary = page.locator("#error-summary")
    assert summary.get_by_role("heading").inner_text() == "Please check your entries"
    assert summary.locator("li").all_inner_texts()[0] == "Please enter your first name."
    assert page.get_by_role("radio", name=re.compile(r"^Room 1: Education & Learning")).is_visible()
    assert axe_violations(page) == []


def test_error_summary_takes_the_focus_without_javascript(new_page, demo_event):
    page = new_page(java_script_enabled=False)
    page.goto(f"/events/{demo_event.slug}/register/")
    page.get_by_role("button", name="Jetzt anmelden").click()
    page.wait_for_load_state()
    assert page.locator("#error-summary").is_visible()
    assert active(page)["id"] == "error-summary"  # `autofocus` alone


def test_a_full_room_offers_its_waiting_list_in_its_card(page, demo_event):
    from tests.factories import RegistrationFactory

    full = demo_event.rooms.get(number=2)
    RegistrationFactory.create_batch(full.capacity, room=full)
    page.goto(f"/events/{demo_event.slug}/register/")
    card = page.locator(".room-option").nth(1)
    assert card.get_attribute("class") == "room-option room-waitlist"
    assert card.locator(".room-choice-seats").inner_text() == (
        "Ausgebucht – Warteliste: 0 Personen warten"
    )
    waitlist = page.locator("#id_join_waitlist")
    assert page.get_by_label(re.compile("^Auf die Warteliste dieses Raums")).count() == 1
    assert not waitlist.is_visible()  # no room chosen yet, and not ticked in advance
    assert not waitlist.is_checked()

    # With the keyboard: the full room, then the waiting list right after it.
    page.get_by_label("Vorname").fill("Lea")
    page.get_by_label("Nachname").fill("Warten")
    page.get_by_label("E-Mail-Adresse").fill("lea.warten@example.org")
    page.get_by_label("Funktion (optional)").focus()
    page.keyboard.press("Tab")
    assert active(page)["id"] == "id_room_0"
    page.keyboard.press("ArrowDown")
    assert active(page)["id"] == "id_room_1"
    assert waitlist.is_visible()
    assert card.locator("[data-waitlist-choice]").count() == 1  # inside the full room's card
    page.keyboard.press("Tab")
    assert active(page)["name"] == "join_waitlist"
    page.keyboard.press("Space")
    assert axe_violations(page) == []
    # Leaving for a room with seats puts the choice away again, unticked.
    page.get_by_role("radio", name=re.compile(r"^Raum 3: Pflege")).check()
    assert not waitlist.is_visible()
    page.get_by_role("radio", name=re.compile(r"^Raum 2: Politik")).check()
    assert not waitlist.is_checked()
    waitlist.check()
    page.get_by_role("checkbox", name=re.compile("Datenschutzhinweis")).check()
    page.get_by_role("button", name="Jetzt anmelden").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Bitte prüfen Sie Ihr Postfach"
    summary = page.locator(".summary-list").inner_text()
    assert "Raum 2: Politik & Verwaltung" in summary
    assert "Auf der Warteliste" in summary
    registration = Registration.objects.get(email="lea.warten@example.org")
    assert (registration.room_id, registration.status) == (full.pk, Registration.Status.WAITING)


def test_form_fields_have_sensible_widths(page, demo_event):
    page.goto(f"/events/{demo_event.slug}/register/")
    widths = page.evaluate(
        """() => Object.fromEntries(['first_name', 'last_name', 'email', 'organisation']
                 .map(n => [n, Math.round(document.querySelector(`[name=${n}]`)
                                          .getBoundingClientRect().width)]))"""
    )
    # 17rem side by side for the names, 30rem for the address and the organisation
    assert widths == {"first_name": 272, "last_name": 272, "email": 480, "organisation": 480}
    first, last = (page.locator(f"[name={n}]").bounding_box() for n in ["first_name", "last_name"])
    assert first["y"] == last["y"]  # one row
