"""The legal pages (Impressum, privacy notice, accessibility statement) per organiser, in German
and English, their admin, and the footer links on every public page."""

import datetime as dt

import pytest
from django.db import IntegrityError
from django.urls import reverse

from events.demo_organiser import demo_organiser
from events.models import SCHLICHTUNGSSTELLE_URL, Organiser
from tests.factories import EventFactory, OrganiserFactory, RoomFactory
from tests.registrations.admin_helpers import form_data

pytestmark = pytest.mark.django_db
ENGLISH = {"cookie": "django_language=en"}


@pytest.fixture
def stadt():
    return OrganiserFactory(
        slug="stadt",
        name="Stadt Musterstadt",
        website="https://musterstadt.example/",
        contact_email="info@musterstadt.example",
        phone="+49 30 123456",
        postal_address="Rathausplatz 1\n12345 Musterstadt",
        represented_by="die Oberbürgermeisterin",
        vat_id="DE123456789",
        content_responsible="Amt für Digitales, Rathausplatz 1, 12345 Musterstadt",
        imprint_extra_de="Aufsicht: Land Musterland.",
        imprint_extra_en="Supervision: State of Musterland.",
        privacy_contact="Datenschutzbeauftragte, datenschutz@musterstadt.example",
        privacy_notice_version=4,
        privacy_notice_date=dt.date(2026, 2, 1),
        accessibility_date=dt.date(2026, 1, 15),
        accessibility_phone="+49 30 654321",
    )


def test_imprint_in_german_names_provider_contact_and_register(client, stadt):
    response = client.get("/impressum/stadt/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Impressum</h1>" in html
    assert '<h2 id="imprint-provider">Angaben gemäß § 5 DDG</h2>' in html
    assert (
        "<p><strong>Stadt Musterstadt</strong><br>Rathausplatz 1<br>12345 Musterstadt</p>" in html
    )
    assert "<p>Vertreten durch die Oberbürgermeisterin</p>" in html
    assert "Umsatzsteuer-Identifikationsnummer gemäß § 27a UStG: DE123456789" in html
    assert '<h2 id="contact">Kontakt</h2>' in html
    assert 'E-Mail: <a href="mailto:info@musterstadt.example">info@musterstadt.example</a>' in html
    assert "Telefon: +49 30 123456" in html
    assert "Verantwortlich für den Inhalt nach § 18 Abs. 2 MStV" in html
    assert "<p>Aufsicht: Land Musterland.</p>" in html
    assert '<a href="/datenschutz/stadt/">Datenschutzhinweise</a>' in html


def test_imprint_in_english_uses_the_english_texts(client, stadt):
    response = client.get("/impressum/stadt/", headers=ENGLISH, follow=True)

    html = response.content.decode()
    assert "<h1>Legal notice</h1>" in html
    assert "Information under § 5 DDG" in html
    assert "<p>Supervision: State of Musterland.</p>" in html
    assert "Aufsicht" not in html


def test_privacy_notice_names_controller_contact_version_and_date(client, stadt):
    response = client.get("/datenschutz/stadt/")

    html = response.content.decode()
    assert "<h1>Datenschutzhinweise</h1>" in html
    assert "Version 4 vom 1. Februar 2026" in html
    assert (
        '<a href="https://musterstadt.example/">Stadt Musterstadt</a><br>Rathausplatz 1<br>'
        "12345 Musterstadt<br>vertreten durch die Oberbürgermeisterin" in html
    )
    assert "Kontakt für den Datenschutz: Datenschutzbeauftragte, datenschutz@musterstadt" in html
    assert (
        "die Veranstaltungen durchzuführen, zu denen Sie sich über diese Website anmelden" in html
    )


def test_privacy_notice_in_english(client, stadt):
    html = client.get("/datenschutz/stadt/", headers=ENGLISH, follow=True).content.decode()

    assert "Version 4 of Feb. 1, 2026" in html
    assert "to run the events you register for on this website" in html
    assert "Data protection contact: Datenschutzbeauftragte" in html


def test_accessibility_statement_has_status_feedback_and_enforcement(client, stadt):
    html = client.get("/barrierefreiheit/stadt/").content.decode()

    assert "<h1>Erklärung zur Barrierefreiheit</h1>" in html
    assert "Stadt Musterstadt ist bemüht, diese Website barrierefrei zugänglich zu machen." in html
    assert "teilweise mit der BITV 2.0 vereinbar" in html
    assert "Es gibt noch keine Erläuterungen in Deutscher Gebärdensprache" in html
    assert "Diese Erklärung wurde am 15. Januar 2026 erstellt." in html
    assert 'E-Mail: <a href="mailto:info@musterstadt.example">info@musterstadt.example</a>' in html
    assert "Telefon: +49 30 654321" in html
    assert "Schlichtungsstelle nach § 16 BGG" in html
    assert f'<a href="{SCHLICHTUNGSSTELLE_URL}">{SCHLICHTUNGSSTELLE_URL}</a>' in html


def test_accessibility_statement_with_own_texts_in_english(client, stadt):
    stadt.accessibility_status = Organiser.Conformance.FULL
    stadt.enforcement_body_en = "Enforcement body of Musterland, Musterstraße 2."
    stadt.enforcement_url = "https://durchsetzung.musterland.example/"
    stadt.accessibility_email = "barrierefrei@musterstadt.example"
    stadt.save()

    html = client.get("/barrierefreiheit/stadt/", headers=ENGLISH, follow=True).content.decode()

    assert "<h1>Accessibility statement</h1>" in html
    assert "fully compliant with BITV 2.0" in html
    assert "Content that is not accessible" not in html
    assert "<p>Enforcement body of Musterland, Musterstraße 2.</p>" in html
    assert 'href="https://durchsetzung.musterland.example/"' in html
    assert 'href="mailto:barrierefrei@musterstadt.example"' in html


def test_site_pages_show_the_site_operator(client, stadt):
    OrganiserFactory(slug="andere", name="Andere GmbH", is_site_operator=True)

    html = client.get("/impressum/").content.decode()

    assert "<strong>Andere GmbH</strong>" in html
    assert "Stadt Musterstadt" not in html


def test_without_a_marked_operator_the_next_events_organiser(client, stadt):
    EventFactory(organiser=stadt)

    for path in ("/impressum/", "/datenschutz/", "/barrierefreiheit/"):
        assert "Stadt Musterstadt" in client.get(path).content.decode(), path


def test_a_site_without_organisers_still_has_legal_pages(client, settings):
    settings.KOKI_PRIVACY_CONTACT = "Betrieb: it@example.org"

    for path in ("/impressum/", "/datenschutz/", "/barrierefreiheit/"):
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 200, path
        assert "hat ihre Angaben noch nicht eingetragen" in html, path
        assert "Betrieb: it@example.org" in html, path


def test_an_unknown_organiser_is_not_found(client):
    assert client.get("/impressum/gibt-es-nicht/").status_code == 404


def test_one_site_operator_only():
    OrganiserFactory(slug="a", name="A", is_site_operator=True)

    with pytest.raises(IntegrityError):
        OrganiserFactory(slug="b", name="B", is_site_operator=True)


def test_footer_links_of_an_event_page_lead_to_its_organiser(client, stadt):
    EventFactory(slug="tag", organiser=stadt)

    html = client.get("/events/tag/").content.decode()

    assert '<nav class="legal-links" aria-label="Rechtliche Angaben">' in html
    assert '<a href="/impressum/stadt/">Impressum</a>' in html
    assert '<a href="/events/tag/privacy/">Datenschutz</a>' in html
    assert '<a href="/barrierefreiheit/stadt/">Barrierefreiheit</a>' in html
    assert '<a href="mailto:info@musterstadt.example">Kontakt</a>' in html


def test_footer_of_every_public_page_has_the_legal_links(client, stadt):
    event = EventFactory(slug="tag", organiser=stadt)
    room = RoomFactory(event=event)
    from tests.factories import RegistrationFactory

    registration = RegistrationFactory(room=room)
    paths = [
        "/",
        "/events/tag/",
        "/events/tag/register/",
        "/events/tag/privacy/",
        f"/r/{registration.token}/",
        f"/r/{registration.token}/cancel/",
        "/impressum/",
        "/datenschutz/stadt/",
        "/barrierefreiheit/",
        "/events/gibt-es-nicht/",
    ]
    for language, labels in (
        ("de", ("Impressum", "Datenschutz", "Barrierefreiheit", "Kontakt")),
        ("en", ("Legal notice", "Privacy", "Accessibility", "Contact")),
    ):
        client.cookies["django_language"] = language
        for path in paths:
            html = client.get(path, follow=True).content.decode()
            nav = html[html.index('<nav class="legal-links"') :]
            for label in labels:
                assert f">{label}</a></li>" in nav, (path, label)


def test_an_organisers_legal_pages_link_that_organisers_pages(client, stadt):
    OrganiserFactory(slug="betrieb", name="Betrieb GmbH", is_site_operator=True)

    html = client.get("/barrierefreiheit/stadt/").content.decode()

    nav = html[html.index('<nav class="legal-links"') :]
    assert '<a href="/impressum/stadt/">Impressum</a>' in nav
    assert '<a href="/datenschutz/stadt/">Datenschutz</a>' in nav
    assert '<a href="mailto:info@musterstadt.example">Kontakt</a>' in nav


def test_a_page_without_an_event_links_the_contact_section(client):
    html = client.get("/").content.decode()

    assert '<a href="/impressum/">Impressum</a>' in html
    assert '<a href="/impressum/#contact">Kontakt</a>' in html


def test_registration_form_links_privacy_and_accessibility(client, stadt):
    event = EventFactory(slug="tag", organiser=stadt)
    RoomFactory(event=event)

    html = client.get(reverse("registrations:register", kwargs={"slug": "tag"})).content.decode()

    assert '<a href="/events/tag/privacy/">Datenschutzhinweise</a>' in html
    assert '<a href="/barrierefreiheit/stadt/">Erklärung zur Barrierefreiheit</a>' in html


def test_admin_edits_the_organisers_legal_texts(organiser_client, stadt):
    url = f"/admin/events/organiser/{stadt.pk}/change/"
    data = form_data(organiser_client.get(url).content.decode(), "organiser_form")
    data.update(
        imprint_extra_de=["Neue Angaben."],
        imprint_extra_en=["New details."],
        privacy_notice_version=["5"],
        _save=["Sichern"],
    )

    response = organiser_client.post(url, data)

    assert response.status_code == 302
    stadt.refresh_from_db()
    assert (stadt.imprint_extra_de, stadt.imprint_extra_en) == (
        "Neue Angaben.",
        "New details.",
    )
    assert stadt.privacy_notice_version == 5
    page = organiser_client.get(url).content.decode()
    assert 'href="/impressum/stadt/"' in page


def test_the_admin_loads_nothing_from_other_servers(organiser_client, stadt):
    html = organiser_client.get(f"/admin/events/organiser/{stadt.pk}/change/").content.decode()

    assert "jquery-ui" not in html
    assert "cdn" not in html.lower()


def test_a_changed_organiser_shows_on_the_cached_event_page(client, stadt):
    EventFactory(slug="tag", organiser=stadt)
    client.get("/events/tag/")
    stadt.contact_email = "neu@musterstadt.example"
    stadt.save()

    html = client.get("/events/tag/").content.decode()

    assert '<a href="mailto:neu@musterstadt.example">Kontakt</a>' in html


def test_demo_organiser_marks_its_unknown_details_as_examples(client):
    organiser = demo_organiser()

    html = client.get(f"/impressum/{organiser.slug}/").content.decode()

    assert "Beispielangaben: Anschrift, Vertretung, Registereintrag" in html
    assert "Beispielstraße 1 (Beispielangabe)" in html
    assert organiser.is_site_operator
    assert demo_organiser() == organiser  # loaded twice: one organiser


def test_legal_page_query_count(client, stadt, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/impressum/stadt/")

    assert response.status_code == 200
