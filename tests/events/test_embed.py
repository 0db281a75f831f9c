"""The embeddable programme /events/<slug>/embed/: its page, its framing headers, the origins an
event allows, and the snippet in the admin."""

import datetime as dt
import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from events.models import AgendaItem, embed_origin_list, validate_embed_origins
from tests.events.test_exports_admin import admin_form
from tests.factories import AgendaItemFactory, AgendaItemSpeakerFactory, RoomFactory, SpeakerFactory
from tests.koki.test_security_headers import CSP_POLICY, inline_code

pytestmark = [pytest.mark.django_db, pytest.mark.event(slug="tag", title="Abschlusstag")]

EMBED = "/events/tag/embed/"


def policy_with(frame_ancestors: str) -> str:
    return CSP_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {frame_ancestors}")


@pytest.fixture
def programme(event):
    room = RoomFactory(event=event, number=1, name="Ethik", join_url="https://meet.example.org/x")
    AgendaItemFactory(event=event, title="Begrüßung", kind=AgendaItem.Kind.WELCOME)
    dive = AgendaItemFactory(
        event=event, room=room, title="Ethik der KI", starts_at=event.starts_at.replace(minute=30)
    )
    AgendaItemSpeakerFactory(agenda_item=dive, speaker=SpeakerFactory(name="Ada Beispiel"))
    return event


# --- Headers -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("programme")
def test_embed_may_be_framed_by_the_events_origins_only(client, event):
    event.embed_origins = "https://www.example.org\nhttps://blog.example.net:8443/\n"
    event.save()

    response = client.get(EMBED)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == policy_with(
        "https://www.example.org https://blog.example.net:8443"
    )
    assert "X-Frame-Options" not in response


@pytest.mark.usefixtures("programme")
def test_embed_without_origins_may_not_be_framed(client):
    response = client.get(EMBED)

    assert response["Content-Security-Policy"] == CSP_POLICY  # frame-ancestors 'none'
    assert "X-Frame-Options" not in response


@pytest.mark.usefixtures("programme")
@pytest.mark.parametrize("path", ["/events/tag/", "/events/tag/register/", "/events/tag/privacy/"])
def test_other_pages_keep_frame_ancestors_none_and_deny(client, event, path):
    event.embed_origins = "https://www.example.org"
    event.save()

    response = client.get(path)

    assert response["Content-Security-Policy"] == CSP_POLICY
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.usefixtures("programme")
def test_a_new_origin_applies_at_once_and_the_cached_page_keeps_its_header(
    client, event, django_assert_num_queries
):
    client.get(EMBED)
    event.embed_origins = "https://www.example.org"
    event.save()

    first = client.get(EMBED)
    with django_assert_num_queries(0):
        second = client.get(EMBED)

    expected = policy_with("https://www.example.org")
    assert first["Content-Security-Policy"] == second["Content-Security-Policy"] == expected
    assert second.content == first.content


def test_an_unpublished_event_has_no_embed(client, event):
    event.is_published = False
    event.save()

    response = client.get(EMBED)

    assert response.status_code == 404
    assert response["X-Frame-Options"] == "DENY"


# --- The page ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("programme")
def test_embed_shows_the_agenda_with_times_and_rooms_and_nothing_else(client):
    page = client.get(EMBED).content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(page)).split())

    assert "10:00 – 10:15 Begrüßung Begrüßung Plenum" in text
    assert "10:30 – 10:45 Vortrag Ethik der KI Ada Beispiel Raum 1: Ethik" in text
    assert '<h1 class="h4 mb-1">Abschlusstag</h1>' in page
    assert len(re.findall(r"<h1[\s>]", page)) == 1
    assert "site-header" not in page
    assert "site-footer" not in page
    assert "meet.example.org" not in page
    assert "<form" not in page
    assert inline_code(page) == []


@pytest.mark.usefixtures("programme")
def test_every_link_opens_koki_in_a_new_tab_and_says_so(client, event):
    page = client.get(f"/en{EMBED}").content.decode()
    links = re.findall(r"<a [^>]*>", page)

    assert links == [
        '<a class="btn btn-primary" href="/en/events/tag/register/" target="_blank" rel="noopener">'
    ]
    assert 'Register now<span class="visually-hidden"> (opens in a new tab)</span></a>' in page


@pytest.mark.usefixtures("programme")
def test_after_registration_closes_the_link_leads_to_the_event(client, event):
    event.registration_closes_at = timezone.now() - dt.timedelta(hours=1)
    event.save()

    page = client.get(EMBED).content.decode()

    assert re.findall(r"<a [^>]*>", page) == [
        '<a href="/events/tag/" target="_blank" rel="noopener">'
    ]


@pytest.mark.usefixtures("programme")
def test_embed_sets_no_cookie(client):
    response = client.get(EMBED)

    assert response.cookies == {}


# --- The allowed origins -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "",
        "https://www.example.org",
        "https://www.example.org/",
        "  https://Example.ORG:8443  \n\nhttps://b.example.net",
    ],
)
def test_origins_that_are_accepted(value):
    validate_embed_origins(value)


NOT_HTTPS = "“{}” does not start with https://: only secure websites may show the programme."
HAS_PATH = "“{}” has a path: enter the website's address only, such as https://www.example.org."
NO_ORIGIN = "“{}” is not a website address such as https://www.example.org."


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://www.example.org", NOT_HTTPS),
        ("www.example.org", NOT_HTTPS),
        ("javascript:alert(1)", NOT_HTTPS),
        ("https://www.example.org/programm", HAS_PATH),
        ("https://www.example.org/?a=1", HAS_PATH),
        ("https://www.example.org#x", HAS_PATH),
        ("https://*.example.org", NO_ORIGIN),
        ("https://user@example.org", NO_ORIGIN),
        ("https://exa mple.org", NO_ORIGIN),
        ("https://example.org:99999", NO_ORIGIN),
        ("https://example.org;script-src", NO_ORIGIN),
    ],
)
def test_origins_that_are_refused_with_a_clear_message(value, message):
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            validate_embed_origins(f"https://ok.example.org\n{value}")
        messages = refused.value.messages

    assert messages == [message.format(value)]


def test_each_wrong_line_gets_its_own_message():
    with pytest.raises(ValidationError) as refused:
        validate_embed_origins("http://a.example.org\nhttps://b.example.org/x")

    assert len(refused.value.messages) == 2


def test_the_header_names_each_origin_once_and_nothing_that_is_no_origin():
    value = "https://A.example.org/\nhttps://a.example.org\n\nhttps://x.org/p\nhttps://y.org;x\n"

    assert embed_origin_list(value) == ["https://a.example.org"]


def test_the_event_form_refuses_a_wrong_origin(event):
    event.embed_origins = "https://www.example.org/programm"

    with pytest.raises(ValidationError) as refused:
        event.full_clean()

    assert list(refused.value.message_dict) == ["embed_origins"]


# --- The admin -----------------------------------------------------------------------------------


def test_admin_shows_the_snippet_to_copy(organiser_client, event, settings):
    settings.SITE_URL = "https://anmeldung.example.org"
    organiser_client.cookies["django_language"] = "en"

    page = organiser_client.get(f"/admin/events/event/{event.pk}/change/").content.decode()

    snippet = (
        "&lt;iframe src=&quot;https://anmeldung.example.org/events/tag/embed/&quot; "
        "title=&quot;Programme: Abschlusstag&quot; width=&quot;100%&quot; height=&quot;720&quot; "
        "loading=&quot;lazy&quot;&gt;&lt;/iframe&gt;"
    )
    assert re.search(r"<textarea[^>]*readonly[^>]*>" + re.escape(snippet) + "</textarea>", page)
    assert 'name="embed_origins"' in page


def test_admin_saves_origins_and_shows_the_error_next_to_the_field(organiser_client, event):
    organiser_client.cookies["django_language"] = "en"
    url = f"/admin/events/event/{event.pk}/change/"
    data = admin_form(organiser_client, url)

    refused = organiser_client.post(url, {**data, "embed_origins": "http://www.example.org"})
    saved = organiser_client.post(url, {**data, "embed_origins": "https://www.example.org"})

    assert refused.status_code == 200
    assert html.escape(NOT_HTTPS.format("http://www.example.org")) in refused.content.decode()
    assert saved.status_code == 302
    event.refresh_from_db()
    assert event.embed_origins == "https://www.example.org"
