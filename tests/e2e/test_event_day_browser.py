"""The event day in Chromium, as an attendee lives it: the reminder's join link, the waiting page
with its countdown, the way into the plenary, switching rooms live, and the certificate after.

The server's clock is set by replacing django.utils.timezone.now (the live server runs in this
process); the browser's clock is set with Playwright's clock where a page script reads it. The
meeting platform (konferenz.example.org) is answered by the browser itself: there is no network.
Every page on the way is scanned with axe-core (WCAG 2.0/2.1 A and AA).
"""

import base64
import datetime as dt
import re
import subprocess
import zoneinfo
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from registrations import reminders
from registrations.models import Attendance, Registration
from tests.e2e.browser import PHONE, axe_violations
from tests.factories import RegistrationFactory

pytestmark = pytest.mark.e2e

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
PLATFORM = "https://konferenz.example.org"


def at(hhmm: str) -> dt.datetime:
    """A time on the demo event's day (16 March 2027), Berlin."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime(2027, 3, 16, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def clock(monkeypatch):
    """Set the time every view and service reads, also in the live server's threads."""

    def set_to(hhmm: str) -> dt.datetime:
        moment = at(hhmm)
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return set_to


@pytest.fixture
def platform():
    """Answer the meeting platform's addresses inside the browser; returns the paths asked for.

    Through Chromium's own request interception (DevTools "Fetch"): Playwright's page.route
    never sees a request that follows a redirect, and a join link is exactly such a redirect.
    """
    visited: list[str] = []

    def attach(page):
        session = page.context.new_cdp_session(page)

        def answer(event):
            path = urlsplit(event["request"]["url"]).path
            visited.append(path)
            title = {"/koki-plenum": "Plenum", "/koki-raum-5": "Raum 5"}.get(path, "Unbekannt")
            html = (
                '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">'
                f'<title>{title}</title><link rel="icon" href="data:,"></head>'
                f"<body><main><h1>{title} (Testkonferenz)</h1></main></body></html>"
            )
            session.send(
                "Fetch.fulfillRequest",
                {
                    "requestId": event["requestId"],
                    "responseCode": 200,
                    "responseHeaders": [
                        {"name": "Content-Type", "value": "text/html; charset=utf-8"}
                    ],
                    "body": base64.b64encode(html.encode()).decode(),
                },
            )

        session.on("Fetch.requestPaused", answer)
        session.send("Fetch.enable", {"patterns": [{"urlPattern": f"{PLATFORM}/*"}]})
        return visited

    return attach


@pytest.fixture
def attendee(demo_event):
    return RegistrationFactory(
        room=demo_event.rooms.get(number=3),
        first_name="Erika",
        last_name="Mustermann",
        email="erika.mustermann@example.org",
        email_confirmed_at=dt.datetime(2027, 3, 1, 12, 0, tzinfo=BERLIN),
    )


def plenary_link_in(message) -> str:
    """The path of the plenary join link in a reminder's text."""
    links = re.findall(r"^- Plenum <(\S+)> \(ab 09:45 Uhr\)$", message.body, flags=re.MULTILINE)
    assert len(links) == 1, message.body
    return urlsplit(links[0]).path


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "bescheinigung.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(text.split())


def test_attendee_follows_the_reminder_into_the_plenary_switches_room_and_gets_a_certificate(
    page, live_server, platform, clock, demo_event, attendee, tmp_path
):
    token = attendee.token
    visited = platform(page)

    # 09:00: the reminder an hour before the start brings the personal join links.
    clock("09:00")
    reminders.reminder_send(reminder=demo_event.reminders.get(minutes_before=60))
    assert [(message.to, message.subject) for message in mail.outbox] == [
        (["erika.mustermann@example.org"], f"Erinnerung: {demo_event.title}")
    ]
    link = plenary_link_in(mail.outbox[0])
    assert link == f"/r/{token}/join/plenary/"

    # 09:30: the link waits, with the opening time; the page says so once when the time comes.
    clock("09:30")
    page.clock.install(time=at("09:30"))
    response = page.goto(link)
    assert response.status == 200
    assert page.url == live_server.url + link
    assert page.get_by_role("heading", level=1).inner_text() == "Plenum"
    status = page.locator(".status-box")
    assert status.locator("strong").inner_text() == (
        "Dieser Link öffnet am 16. März 2027 um 09:45 Uhr."
    )
    opening = page.get_by_role("status")
    expect(opening).to_have_text("Öffnet in 15 Minuten.")
    page.clock.run_for(60_000)
    expect(opening).to_have_text("Öffnet in 15 Minuten.")  # no ticking text
    page.clock.run_for(14 * 60_000)
    expect(opening).to_have_text("Der Link ist jetzt geöffnet.")
    expect(page.get_by_role("link", name="Jetzt teilnehmen")).to_have_attribute("href", link)
    assert page.url == live_server.url + link  # nobody is taken into the meeting unasked
    assert "konferenz.example.org" not in page.content()
    assert axe_violations(page) == []
    page.set_viewport_size(PHONE)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(page) == []
    assert Attendance.objects.count() == 0
    assert visited == []

    # 09:50: the same link leads into the plenary, and the first click counts as attendance.
    clock("09:50")
    page.goto(link)
    assert page.url == f"{PLATFORM}/koki-plenum"
    assert page.get_by_role("heading", level=1).inner_text() == "Plenum (Testkonferenz)"
    assert list(Attendance.objects.values_list("room__number", "joined_at", "source")) == [
        (None, at("09:50"), "link")
    ]
    assert Registration.objects.get(pk=attendee.pk).attended_at == at("09:50")

    # 11:10, the deep dives: switch to room 5 on the personal page and join it from there.
    clock("11:10")
    page.goto(f"/r/{token}/")
    day = page.get_by_role("region", name="Jetzt und als Nächstes")
    assert day.locator("li").first.inner_text() == (
        "Jetzt (11:05–11:55): Deep Dives in acht parallelen Break-out-Räumen "
        "Raum 3: Pflege betreten"
    )
    switch = page.get_by_role("region", name="Jetzt den Raum wechseln")
    assert switch.get_by_role("radio", name=re.compile(r"^Raum 3: Pflege")).is_checked()
    assert switch.locator('[name="join_waitlist"]').count() == 0
    assert axe_violations(page) == []
    mail.outbox.clear()
    switch.get_by_role("radio", name=re.compile(r"^Raum 5: Recht")).check()
    switch.get_by_role("button", name="Raum ändern").click()
    assert page.locator(".messages").inner_text() == "Ihr Raum ist jetzt Raum 5: Recht."
    assert axe_violations(page) == []
    registration = Registration.objects.select_related("room").get(pk=attendee.pk)
    assert (registration.room.number, registration.status) == (5, "confirmed")
    assert [message.to for message in mail.outbox] == [["erika.mustermann@example.org"]]
    page.get_by_role("link", name="Raum 5: Recht betreten", exact=True).click()
    page.wait_for_url(f"{PLATFORM}/koki-raum-5")
    assert page.get_by_role("heading", level=1).inner_text() == "Raum 5 (Testkonferenz)"
    assert list(
        Attendance.objects.order_by("joined_at").values_list("room__number", "joined_at")
    ) == [(None, at("09:50")), (5, at("11:10"))]
    assert visited == ["/koki-plenum", "/koki-raum-5"]

    # 12:50, after the event: the certificate of attendance from the personal page.
    clock("12:50")
    page.goto(f"/r/{token}/")
    assert page.get_by_role("region", name="Ihre Teilnahmelinks").locator("p").inner_text() == (
        "Die Veranstaltung ist vorbei. Vielen Dank für Ihre Teilnahme."
    )
    downloads = page.get_by_role("region", name="Ihre Teilnahmebescheinigung")
    certificate = downloads.get_by_role(
        "link", name="Ihre Teilnahmebescheinigung herunterladen (PDF-Dokument, A4)", exact=True
    )
    assert certificate.get_attribute("href") == f"/r/{token}/certificate.pdf"
    with page.expect_download() as download:
        certificate.click()
    assert download.value.suggested_filename == "teilnahmebescheinigung-koki-abschluss.pdf"
    content = download.value.path().read_bytes()
    assert content.startswith(b"%PDF-")
    text = pdf_text(content, tmp_path)
    assert "Erika Mustermann" in text
    assert "Raum 5: Recht" in text
    assert "Raum 3" not in text  # never joined
    assert axe_violations(page) == []


def test_join_links_that_lead_nowhere_explain_why(
    new_page, live_server, clock, demo_event, attendee
):
    room = demo_event.rooms.get(number=1)
    pending = RegistrationFactory(
        room=room, status="pending", email_confirmed_at=None, expires_at=at("12:00")
    )
    waiting = RegistrationFactory(
        room=room, status="waiting", email_confirmed_at=None, waiting_since=at("08:00")
    )
    page = new_page()
    cases = [
        ("10:00", pending, "plenary", "Ihre Anmeldung ist noch nicht bestätigt."),
        ("10:00", waiting, "plenary", "Sie stehen auf der Warteliste, Platz 1."),
        ("11:10", attendee, "5", "Ihr Break-out-Raum ist Raum 3: Pflege."),
        ("12:50", attendee, "plenary", "Die Veranstaltung ist vorbei."),
    ]
    for hhmm, registration, place, message in cases:
        clock(hhmm)
        path = f"/r/{registration.token}/join/{place}/"
        response = page.goto(path)
        assert (response.status, page.url) == (200, live_server.url + path)
        assert page.locator(".status-box strong").inner_text() == message
        assert "konferenz.example.org" not in page.content()
        assert axe_violations(page) == [], (hhmm, place, message)
    assert Attendance.objects.count() == 0
