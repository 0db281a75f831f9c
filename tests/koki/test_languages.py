"""The language in the address: German at /…, English at /en/… (koki/urls.py, koki/middleware.py,
koki/languages.py); a chosen English leads German addresses on to the English ones."""

import re

import pytest

from tests.factories import RegistrationFactory

pytestmark = pytest.mark.django_db

SLUG = "koki-abschluss"


def public_paths(token: str) -> list[str]:
    return [
        f"/events/{SLUG}/",
        f"/events/{SLUG}/register/",
        f"/events/{SLUG}/register/done/",
        f"/events/{SLUG}/resend/",
        f"/events/{SLUG}/privacy/",
        f"/events/{SLUG}/embed/",
        f"/r/{token}/",
        f"/r/{token}/cancel/",
    ]


@pytest.fixture
def token(demo_event) -> str:
    return RegistrationFactory(room=demo_event.rooms.get(number=1)).token


def test_every_page_in_german_at_its_address_and_in_english_under_en(client, token):
    for path in public_paths(token):
        german = client.get(path)
        english = client.get(f"/en{path}")

        assert (german.status_code, english.status_code) == (200, 200), path
        assert '<html lang="de">' in german.content.decode(), path
        assert '<html lang="en">' in english.content.decode(), path
        assert (german["Content-Language"], english["Content-Language"]) == ("de", "en")


def test_the_event_list_in_both_languages(client, demo_event):
    assert client.get("/").url == f"/events/{SLUG}/"  # the one upcoming event
    assert client.get("/en/").url == f"/en/events/{SLUG}/"


def test_english_links_stay_english(client, demo_event):
    page = client.get(f"/en/events/{SLUG}/").content.decode()

    assert f'href="/en/events/{SLUG}/register/"' in page
    assert f'href="/events/{SLUG}/register/"' not in page


def test_hreflang_names_the_page_in_each_language(client, demo_event, settings):
    settings.SITE_URL = "https://anmeldung.example.org"
    for path in (f"/events/{SLUG}/", f"/en/events/{SLUG}/"):
        page = client.get(path).content.decode()

        assert re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page) == [
            ("de", f"https://anmeldung.example.org/events/{SLUG}/"),
            ("en", f"https://anmeldung.example.org/en/events/{SLUG}/"),
            ("x-default", f"https://anmeldung.example.org/events/{SLUG}/"),
        ]


def test_no_hreflang_on_personal_pages(client, token):
    page = client.get(f"/en/r/{token}/").content.decode()

    assert 'rel="alternate"' not in page
    assert token not in page.split("</head>")[0]


def test_switcher_goes_to_the_same_page_in_the_other_language(client, demo_event):
    page = client.get(f"/en/events/{SLUG}/").content.decode()
    link = f"/language/de/?next=/en/events/{SLUG}/"
    assert f'href="{link}"' in page

    response = client.get(link)

    assert response.status_code == 302
    assert response["Location"] == f"/events/{SLUG}/"
    assert response.cookies["django_language"].value == "de"
    german = client.get(f"/events/{SLUG}/")  # the cookie says German: no redirect
    assert german.status_code == 200
    assert '<html lang="de">' in german.content.decode()


def test_chosen_english_leads_german_addresses_to_english(client, demo_event):
    client.cookies["django_language"] = "en"

    response = client.get(f"/events/{SLUG}/programme.ics?lang=en")

    assert response.status_code == 302
    assert response["Location"] == f"/en/events/{SLUG}/programme.ics?lang=en"
    assert response["Vary"] == "Cookie"
    assert "private" in response["Cache-Control"]


def test_without_a_choice_german_addresses_stay_german(client, demo_event):
    response = client.get(f"/events/{SLUG}/", headers={"accept-language": "en"})

    assert response.status_code == 200
    assert '<html lang="de">' in response.content.decode()


def test_a_form_sent_to_a_german_address_answers_in_the_language_chosen(client, demo_event):
    client.cookies["django_language"] = "en"

    response = client.post(f"/events/{SLUG}/register/", {"email": "not an address"})

    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/en/gibt-es-nicht/",
        "/en/events/gibt-es-nicht/",
        "/en/events/%00/",
        "/en/r/kurz/",
        "/en/en/",
        "/en/admin/",
        "/en/api/events",
        "/en/language/de/",
        "/en/events/koki-abschluss/rooms/99.ics",
        "/de/events/koki-abschluss/",
        "/fr/",
    ],
)
def test_unknown_english_addresses_are_404_pages_in_english(client, demo_event, path):
    response = client.get(path)

    assert response.status_code == 404
    if path.startswith("/en/"):
        assert '<html lang="en">' in response.content.decode()


def test_addresses_without_a_language_stay_as_they_are(client, demo_event):
    client.cookies["django_language"] = "en"

    assert client.get("/api/events").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/admin/login/").status_code == 200
    assert 'lang="en"' in client.get("/admin/login/").content.decode()


def test_chosen_english_and_a_german_address_without_its_slash(client, demo_event):
    client.cookies["django_language"] = "en"

    response = client.get(f"/events/{SLUG}", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/en/events/{SLUG}/"
    assert '<html lang="en">' in response.content.decode()


def test_a_personal_link_without_a_language_opens_in_the_registrations_language(client, demo_event):
    english = RegistrationFactory(room=demo_event.rooms.get(number=1), language="en")
    german = RegistrationFactory(room=demo_event.rooms.get(number=1), language="de")

    response = client.get(f"/r/{english.token}/cancel/")

    assert response.status_code == 302
    assert response["Location"] == f"/en/r/{english.token}/cancel/"
    assert client.get(f"/r/{german.token}/").status_code == 200
    assert client.get(f"/en/r/{german.token}/").status_code == 200  # the address decides
    client.cookies["django_language"] = "de"  # chosen with the switcher: stays German
    page = client.get(f"/r/{english.token}/")
    assert page.status_code == 200
    assert '<html lang="de">' in page.content.decode()
