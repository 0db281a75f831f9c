"""check --deploy, security headers, the Content Security Policy and CSP-clean templates."""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.factories import EventFactory

# The `event` fixture here (with its `room`): the pages below are the ones of /events/tag/.
pytestmark = pytest.mark.event(slug="tag", title="Abschlusstag")

BASE_DIR = Path(django_settings.BASE_DIR)
CSP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)
# The production settings docs/deploy.md documents.
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x8Kq2vN7pL0sT4wZ9cR3mB6yH1jF5dG8aE2uI7oP4tS0nV9bX3kW6",
    "DJANGO_ALLOWED_HOSTS": "anmeldung.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://anmeldung.example.org",
    "DJANGO_BEHIND_PROXY": "1",
    "DJANGO_SECURE_HSTS_PRELOAD": "1",
    "KOKI_SITE_URL": "https://anmeldung.example.org",
}


def run_check_deploy(**overrides) -> subprocess.CompletedProcess:
    env = {**os.environ, **PRODUCTION_ENV, **overrides}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_deploy_is_clean_under_the_documented_production_settings():
    result = run_check_deploy()

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_check_deploy_notices_insecure_cookies():
    """The check above would notice a weaker configuration."""
    result = run_check_deploy(DJANGO_SECURE_COOKIES="0")

    assert result.returncode == 1
    assert "security.W012" in result.stderr  # SESSION_COOKIE_SECURE
    assert "security.W016" in result.stderr  # CSRF_COOKIE_SECURE


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = run_check_deploy(DJANGO_SECRET_KEY="")

    assert result.returncode == 1
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off." in result.stderr


@pytest.mark.usefixtures("room")
@pytest.mark.parametrize("path", ["/events/tag/", "/events/tag/privacy/", "/admin/login/"])
def test_pages_send_the_security_headers(client, settings, event, path):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = client.get(path, secure=True)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CSP_POLICY
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_error_pages_send_the_csp_header(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Security-Policy"] == CSP_POLICY


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP blocks: inline scripts, <style>, style="" and on…= handlers."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script" and "src" not in dict(attrs):
            self.problems.append("<script> without src")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f'style="{value}" on <{tag}>')
            if name.startswith("on"):
                self.problems.append(f"{name}= handler on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name} on <{tag}>")


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.problems


TEMPLATE_PATTERNS = {
    "<script> without src": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "<style> element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "on… handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_contains_inline_script_or_style():
    # E-mails and the PDF are no web pages: the CSP never applies to them.
    templates = sorted((BASE_DIR / "templates").rglob("*.html"))
    found = [
        f"{path.relative_to(BASE_DIR)}: {name}"
        for path in templates
        if path.relative_to(BASE_DIR / "templates").parts[0] not in {"emails", "pdf"}
        for name, pattern in TEMPLATE_PATTERNS.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]

    assert len(templates) >= 10
    assert found == []


def test_the_scanner_finds_what_it_looks_for():
    html = (
        '<p style="color:red" onclick="x()">a</p><script>alert(1)</script>'
        '<script src="/static/a.js"></script><style>p{}</style><a href="javascript:void(0)">b</a>'
    )

    assert inline_code(html) == [
        'style="color:red" on <p>',
        "onclick= handler on <p>",
        "<script> without src",
        "<style> element",
        "javascript: URL in href on <a>",
    ]
    assert [name for name, p in TEMPLATE_PATTERNS.items() if p.search(html)] == list(
        TEMPLATE_PATTERNS
    )


@pytest.mark.usefixtures("room")
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/events/tag/", 200),
        ("/events/tag/privacy/", 200),
        ("/admin/login/", 200),
        ("/no-such-page/", 404),
    ],
)
def test_rendered_pages_contain_no_inline_code(client, event, path, status):
    response = client.get(path)

    assert response.status_code == status
    assert inline_code(response.content.decode()) == []


@pytest.mark.django_db
@pytest.mark.usefixtures("room")
def test_admin_change_forms_contain_no_inline_code(admin_client, event):
    pages = [
        f"/admin/events/event/{event.pk}/change/",
        "/admin/events/speaker/add/",
        "/admin/events/agendaitem/add/",
        "/admin/",
    ]
    problems = {}
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        problems[page] = inline_code(response.content.decode())

    assert problems == {page: [] for page in pages}


@pytest.mark.django_db
def test_pages_vary_with_the_language_cookie_not_with_accept_language(client):
    event = EventFactory()

    german = client.get(event.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    english = client.get(event.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de", follow=True)

    assert (german["Content-Language"], english["Content-Language"]) == ("de", "en")
    assert german["Vary"] == english["Vary"] == "Cookie"
