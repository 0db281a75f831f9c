"""In a real browser: the PDF and the calendar download from the event page."""

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_pdf_and_calendar_download_from_the_event_page(browser, live_server, tmp_path):
    """`browser`: the session's Chromium from conftest.py (one Playwright per process)."""
    call_command("load_koki_demo", "--date", "2027-03-16", verbosity=0)
    context = browser.new_context(accept_downloads=True, locale="de-DE")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/events/koki-abschluss/")

        with page.expect_download() as calendar_download:
            page.get_by_role("link", name="Gesamtes Programm für Ihren Kalender").click()
        calendar = tmp_path / calendar_download.value.suggested_filename
        calendar_download.value.save_as(calendar)

        pdf_link = page.get_by_role("link", name="Programm zum Ausdrucken")
        pdf_response = page.request.get(live_server.url + pdf_link.get_attribute("href"))
        pdf_status, pdf_type = pdf_response.status, pdf_response.headers["content-type"]
        pdf_body = pdf_response.body()
        page.get_by_text("Das Plenum und ein Break-out-Raum für Ihren Kalender").click()
        room_link = page.get_by_role("link", name="Kalender für Raum 8: (Offene) Daten")
        with page.expect_download() as room_download:
            room_link.click()
        room_filename = room_download.value.suggested_filename
    finally:
        context.close()

    assert calendar.name == "koki-abschluss-programm.ics"
    content = calendar.read_bytes()
    assert content.startswith(b"BEGIN:VCALENDAR\r\n")
    assert content.count(b"BEGIN:VEVENT") == 8
    assert room_filename == "koki-abschluss-raum-8.ics"
    assert (pdf_status, pdf_type) == (200, "application/pdf")
    assert pdf_body.startswith(b"%PDF-")
