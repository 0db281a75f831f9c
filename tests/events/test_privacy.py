import datetime as dt

import pytest

from tests.factories import EventFactory, OrganiserFactory

# The language switcher's cookie chooses English; the browser's Accept-Language does not.
ENGLISH = {"cookie": "django_language=en"}
pytestmark = pytest.mark.django_db


def test_privacy_page_shows_the_default_notice_in_german(client, settings):
    settings.KOKI_PURGE_AFTER_DAYS = 30
    settings.KOKI_PRIVACY_CONTACT = (
        "Co:Lab e.V., Musterstraße 1, 10115 Berlin, datenschutz@colab.example"
    )
    organiser = OrganiserFactory(
        privacy_notice_version=3,
        privacy_notice_date=dt.date(2026, 3, 1),
        postal_address="Musterstraße 1\n10115 Berlin",
    )
    event = EventFactory(slug="tag", title="Abschlusstag", organiser=organiser)

    response = client.get("/events/tag/privacy/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1>") == 1
    assert "<h1>Datenschutzhinweise</h1>" in html
    assert "Version 3 vom 1. März 2026" in html
    assert (
        '<a href="https://colab.example/">Co:Lab e.V.</a><br>Musterstraße 1<br>10115 Berlin' in html
    )
    assert '<a href="mailto:kontakt@colab.example">kontakt@colab.example</a>' in html
    assert (
        "Kontakt für den Datenschutz: Co:Lab e.V., Musterstraße 1, 10115 Berlin, "
        "datenschutz@colab.example" in html
    )
    assert "die Veranstaltung „Abschlusstag“ durchzuführen" in html
    assert "Art. 6 Abs. 1 lit. a DSGVO" in html
    assert "30 Tage nach dem Ende der Veranstaltung" in html
    assert "Art. 77 DSGVO" in html
    assert "Art. 28 DSGVO" in html
    assert f'href="{event.get_absolute_url()}"' in html


def test_privacy_page_shows_the_default_notice_in_english(client, settings):
    settings.KOKI_PURGE_AFTER_DAYS = 1
    settings.KOKI_PRIVACY_CONTACT = ""
    EventFactory(slug="tag", title="Closing day")

    response = client.get("/events/tag/privacy/", headers=ENGLISH, follow=True)

    assert response.redirect_chain == [("/en/events/tag/privacy/", 302)]
    html = response.content.decode()
    assert html.count("<h1>") == 1
    assert "<h1>Privacy notice</h1>" in html
    assert "Version 1 of " in html
    assert "to run the event “Closing day”" in html
    assert "Art. 6(1)(a) GDPR" in html
    assert "1 day after the end of the event" in html
    assert (
        'contact details in the <a href="/en/impressum/colab/">legal notice (Impressum)</a>' in html
    )
    assert "Datenschutzhinweise" not in html


def test_privacy_page_shows_the_events_own_notice_instead_of_the_default(client):
    organiser = OrganiserFactory(
        privacy_notice_de="Verantwortlich: Stadt Musterstadt.\n\nWir löschen alles <sofort>.",
        privacy_notice_version=2,
    )
    EventFactory(slug="tag", organiser=organiser)

    response = client.get("/events/tag/privacy/")

    html = response.content.decode()
    assert "<p>Verantwortlich: Stadt Musterstadt.</p>" in html
    assert "<p>Wir löschen alles &lt;sofort&gt;.</p>" in html
    assert "Version 2" in html
    assert "Art. 6 Abs. 1 lit. a DSGVO" not in html


def test_privacy_page_of_an_unpublished_event_is_not_found(client):
    EventFactory(slug="geheim", is_published=False)

    response = client.get("/events/geheim/privacy/")

    assert response.status_code == 404


def test_privacy_page_query_count(client, django_assert_num_queries):
    EventFactory(slug="tag")

    with django_assert_num_queries(2):  # the event's key, then the event
        response = client.get("/events/tag/privacy/")

    assert response.status_code == 200
