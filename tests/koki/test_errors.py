"""Error pages: translated, without the database, without personal data; 503 when the DB is down.

Tests without the `db` fixture run with database access blocked by pytest-django: any query
while a page renders raises, so a passing test proves the page needs no database.
"""

import io
import logging

import pytest
from django.db import OperationalError, connections
from django.test import Client, RequestFactory

from koki.logfilters import RedactPersonalData
from koki.ratelimit import Rate, hit
from koki.views import server_error

EMAIL = "erika.mustermann@example.org"
# The language switcher's cookie chooses English; the browser's Accept-Language does not.
ENGLISH = {"cookie": "django_language=en"}
pytestmark = pytest.mark.urls("tests.koki.urls_errors")


def quiet_client(**defaults) -> Client:
    """A client that gets the 500 page instead of the exception, like a browser would."""
    return Client(raise_request_exception=False, **defaults)


def test_404_page_renders_in_german_without_database(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    content = response.content.decode()
    assert "<h1>Seite nicht gefunden</h1>" in content
    assert '<html lang="de">' in content


def test_404_page_renders_in_english_without_database(client):
    response = client.get("/no-such-page/", headers=ENGLISH)

    assert response.status_code == 404
    content = response.content.decode()
    assert "<h1>Page not found</h1>" in content
    assert '<html lang="en">' in content


def test_400_page_on_a_disallowed_host_without_database(client):
    response = client.get("/", headers={"host": "evil.example"})

    assert response.status_code == 400
    assert "<h1>Ungültige Anfrage</h1>" in response.content.decode()


def test_400_page_on_suspicious_input_shows_no_details(client):
    response = client.get("/test/suspicious/", headers=ENGLISH)

    assert response.status_code == 400
    content = response.content.decode()
    assert "<h1>Bad request</h1>" in content
    assert EMAIL not in content
    assert "tampered" not in content


def test_403_page_without_database(client):
    response = client.get("/test/forbidden/")

    assert response.status_code == 403
    content = response.content.decode()
    assert "<h1>Zugriff verweigert</h1>" in content
    assert "Sie haben keine Berechtigung, diese Seite zu öffnen." in content
    assert EMAIL not in content


def test_csrf_failure_explains_what_to_do_without_database():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    content = response.content.decode()
    assert "<h1>Zugriff verweigert</h1>" in content
    assert "laden Sie die Seite neu und senden Sie das Formular erneut" in content


def test_500_page_shows_no_exception_and_no_personal_data():
    response = quiet_client().get("/test/boom/")

    assert response.status_code == 500
    content = response.content.decode()
    assert "<h1>Etwas ist schiefgelaufen</h1>" in content
    assert EMAIL not in content
    assert "Traceback" not in content
    assert "ValueError" not in content


def test_500_page_in_english():
    response = quiet_client(headers=ENGLISH).get("/test/boom/")

    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.content.decode()


def test_500_is_logged_without_personal_data_or_secret_link():
    """The real console handler from settings.LOGGING, writing into a buffer."""
    handler = next(
        h
        for h in logging.getLogger("django.request").handlers
        if any(isinstance(f, RedactPersonalData) for f in h.filters)
    )
    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    try:
        quiet_client().get("/test/boom/")
        quiet_client().get("/test/r/a8Kd93jfQ0pLx7Zt2cVb5nMw1eRy6uIo/")
    finally:
        handler.setStream(old_stream)

    log = buffer.getvalue()
    assert "Internal Server Error: /test/boom/" in log
    assert "ValueError: Could not register [e-mail] for room 3" in log
    assert EMAIL not in log


def test_redact_removes_addresses_and_tokens_from_messages_and_tracebacks():
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/r/abcDEF123_-xyz/",),
        None,
    )
    try:
        raise ValueError(f"duplicate key (email)=({EMAIL})")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()

    assert RedactPersonalData().filter(record) is True

    assert record.getMessage() == "Not Found: /r/[token]/"
    assert "ValueError: duplicate key (email)=([e-mail])" in record.exc_text
    assert EMAIL not in record.exc_text


def test_operational_error_in_a_view_gives_the_503_page(client):
    response = client.get("/test/database-gone/")

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    content = response.content.decode()
    assert "<h1>Vorübergehend nicht erreichbar</h1>" in content
    assert "5432" not in content


def test_database_error_outside_a_view_gives_the_503_page():
    """Django calls handler500 inside its except block; a database error there becomes 503."""
    request = RequestFactory().get("/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)

    assert response.status_code == 503
    assert "<h1>Vorübergehend nicht erreichbar</h1>" in response.content.decode()


@pytest.fixture
def database_unreachable(django_db_blocker):
    """Replace the default connection by one to a database that cannot be reached."""
    current = connections["default"]
    settings_dict = {**current.settings_dict}
    if current.vendor == "sqlite":
        settings_dict["NAME"] = "/nonexistent-koki-directory/db.sqlite3"
    else:
        settings_dict.update(HOST="127.0.0.1", PORT="9")  # nothing listens on port 9
    broken = type(current)(settings_dict, "default")
    connections["default"] = broken
    try:
        with django_db_blocker.unblock():
            yield broken
    finally:
        broken.close()
        connections["default"] = current


def test_unreachable_database_gives_the_503_page(client, database_unreachable):
    with pytest.raises(OperationalError):
        database_unreachable.ensure_connection()

    response = client.get("/events/koki-abschluss/")

    assert response.status_code == 503
    assert response.templates[0].name == "503.html"
    content = response.content.decode()
    assert "<h1>Vorübergehend nicht erreichbar</h1>" in content
    assert "Traceback" not in content


def test_unreachable_database_gives_the_503_page_in_english(client, database_unreachable):
    response = client.get("/en/events/koki-abschluss/", headers=ENGLISH)

    assert response.status_code == 503
    assert "<h1>Temporarily unavailable</h1>" in response.content.decode()


def test_429_page_renders_without_database(client, settings):
    """Over the limit, the answer comes before the view (and its queries) runs."""
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "register": "1/10m"}
    hit("register", "127.0.0.1", Rate(limit=1, period=600))

    response = client.post("/events/koki-abschluss/register/", {"email": EMAIL})

    assert response.status_code == 429
    content = response.content.decode()
    assert "<h1>Zu viele Versuche</h1>" in content
    assert EMAIL not in content


def test_429_page_in_english_without_database(client, settings):
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "register": "1/10m"}
    hit("register", "127.0.0.1", Rate(limit=1, period=600))

    response = client.post("/events/koki-abschluss/register/", {}, headers=ENGLISH)

    assert response.status_code == 429
    assert "<h1>Too many attempts</h1>" in response.content.decode()


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [
        ("/events/x/", "/en/events/x/"),  # the same page in the language chosen
        ("/en/events/x/", "/en/events/x/"),
        ("/admin/", "/admin/"),  # no language in its address
        ("https://evil.example/", "/en/"),
        ("//evil.example/", "/en/"),
    ],
)
def test_language_link_sets_the_cookie_and_stays_on_this_site(client, next_url, lands_on):
    response = client.get("/language/en/", {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == lands_on
    assert response.cookies["django_language"].value == "en"
    assert "no-store" in response["Cache-Control"]


def test_language_link_refuses_unknown_languages_and_posts(client):
    assert client.get("/language/fr/").status_code == 404
    assert client.post("/language/en/").status_code == 405
    assert "django_language" not in client.cookies
