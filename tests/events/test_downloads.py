import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from tests.factories import RegistrationFactory

pytestmark = pytest.mark.django_db


def test_event_page_links_to_pdf_and_every_calendar(client, demo_event):
    html = client.get("/events/koki-abschluss/").content.decode()

    assert '<h2 id="downloads-heading">Programm zum Ausdrucken und für Ihren Kalender</h2>' in html
    assert '<a href="/events/koki-abschluss/programme.pdf" type="application/pdf">' in html
    assert '<span class="file-hint">(PDF-Dokument, A4)</span></a>' in html
    assert '<a href="/events/koki-abschluss/programme.ics" type="text/calendar" download>' in html
    assert 'href="webcal://127.0.0.1:8000/events/koki-abschluss/programme.ics"' in html
    for number in range(1, 9):
        assert f'href="/events/koki-abschluss/rooms/{number}.ics"' in html
    assert "Kalender für Raum 3: Pflege" in html
    assert "konferenz.example.org" not in html


def test_event_page_shows_sizes_once_known(client, demo_event):
    pdf = client.get("/events/koki-abschluss/programme.pdf")
    ics = client.get("/events/koki-abschluss/programme.ics")

    html = client.get("/events/koki-abschluss/").content.decode()

    from django.template.defaultfilters import filesizeformat
    from django.utils import translation

    with translation.override("de"):
        pdf_size, ics_size = filesizeformat(len(pdf.content)), filesizeformat(len(ics.content))
    assert f"(PDF-Dokument, A4, etwa {pdf_size})" in html
    assert f"(iCalendar-Datei (.ics), etwa {ics_size})" in html


def test_event_page_in_english_links_keep_the_language(client, demo_event):
    html = client.get("/en/events/koki-abschluss/").content.decode()

    assert 'href="/en/events/koki-abschluss/programme.pdf?lang=en"' in html
    assert 'href="/en/events/koki-abschluss/programme.ics?lang=en"' in html
    assert 'href="/en/events/koki-abschluss/rooms/8.ics?lang=en"' in html
    assert "Whole programme for your calendar" in html


def test_personal_downloads_for_the_manage_page():
    registration = RegistrationFactory()
    request = RequestFactory().get("/")

    html = render_to_string(
        "registrations/includes/personal_downloads.html", {"registration": registration}, request
    )

    assert f'href="/r/{registration.token}/calendar.ics"' in html
    assert f'href="webcal://127.0.0.1:8000/r/{registration.token}/calendar.ics"' in html
    registration.status = "waiting"
    assert "calendar.ics" not in render_to_string(
        "registrations/includes/personal_downloads.html", {"registration": registration}, request
    )
