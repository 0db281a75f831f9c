"""The error pages: translated, inside the site's layout, and safe to render without a request."""

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_not_found_page_in_german(client):
    response = client.get("/events/gibt-es-nicht/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="de">' in html
    assert "<title>Seite nicht gefunden – koki</title>" in html
    assert "<h1>Seite nicht gefunden</h1>" in html
    assert 'action="/i18n/setlang/"' in html
    assert '<input type="hidden" name="next" value="/events/gibt-es-nicht/">' in html


def test_not_found_page_in_english(client):
    client.cookies["django_language"] = "en"
    response = client.get("/r/AAAAAAAAAAAAAAAAAAAAAAAA/")
    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="en">' in html
    assert "<h1>Page not found</h1>" in html
    assert "To the upcoming events" in html


def test_server_error_page_renders_without_a_request():
    with translation.override("de"):
        html = render_to_string("500.html")
    assert "<h1>Bei uns ist etwas schiefgegangen</h1>" in html
    assert 'href="/"' in html
    # No language switcher: it needs the request (CSRF token, current path).
    assert "setlang" not in html


def test_expired_form_gets_the_translated_csrf_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Das Formular ist abgelaufen</h1>" in html
    assert '<html lang="de">' in html
