"""Every public page has the site's frame: language, one h1, the main landmark, the switcher."""

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.utils import timezone

from registrations.models import Registration
from tests.factories import AgendaItemFactory, EventFactory, RegistrationFactory, RoomFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def registration():
    event = EventFactory(slug="tag-der-ki")
    EventFactory(slug="zweiter-tag")  # two events: "/" lists them instead of redirecting
    AgendaItemFactory(event=event)
    room = RoomFactory(event=event)
    return RegistrationFactory(
        room=room,
        status=Registration.Status.PENDING,
        email_confirmed_at=None,
        expires_at=timezone.now() + dt.timedelta(minutes=60),
    )


def public_paths(registration) -> list[str]:
    slug = registration.event.slug
    token = registration.token
    return [
        "/",
        f"/events/{slug}/",
        f"/events/{slug}/privacy/",
        f"/events/{slug}/register/",
        f"/events/{slug}/register/done/",
        f"/events/{slug}/resend/",
        f"/r/{token}/",
        f"/r/{token}/confirm/",
        f"/r/{token}/cancel/",
        f"/r/{token}/delete/",
        "/events/gibt-es-nicht/",
    ]


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_public_page_has_the_frame_and_the_language_switcher(client, registration, language):
    client.cookies["django_language"] = language
    other = {"de": "English", "en": "Deutsch"}[language]
    for path in public_paths(registration):
        path = path if language == "de" else f"/en{path}"  # each language at its own address
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code in {200, 404}, path
        assert f'<html lang="{language}">' in html, path
        assert len(re.findall(r"<h1[\s>]", html)) == 1, path
        assert '<main id="main"' in html, path
        switch = "en" if language == "de" else "de"
        link = f'href="/language/{switch}/?next={quote(path, safe="/")}"'
        assert (
            f'<a {link} hreflang="{switch}" lang="{switch}" rel="nofollow">{other}</a>' in html
        ), path
        assert 'style="' not in html, path
