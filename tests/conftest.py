import datetime as dt
import os

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from events.demo import demo_event_load
from tests.factories import EventFactory, RoomFactory
from tests.registrations.admin_helpers import in_every_team, make_organiser

# Property-based tests (hypothesis): modest by default to keep `make test` short;
# HYPOTHESIS_PROFILE=thorough runs ten times as many examples.
_FUZZ = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
hypothesis_settings.register_profile("koki", max_examples=60, **_FUZZ)
hypothesis_settings.register_profile("thorough", max_examples=600, **_FUZZ)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "koki"))

# The live server takes bursts of concurrent connections (the concurrency tests send 50 at
# once); Django's default listen backlog of 10 would reset some of them.
WSGIServer.request_queue_size = 128


# The shared fixtures below take their values from a marker of the same name on the test, its
# class or its module (the closest one wins), e.g. `pytestmark = pytest.mark.room(capacity=5)`.
MARKERS = [
    "event(**fields): EventFactory fields of the `event` fixture",
    "room(**fields): RoomFactory fields of the `room` fixture",
    "rooms(*fields): one dict of RoomFactory fields per room of the `rooms` fixture",
    "demo_event(day): the day of the `demo_event` fixture (default 16 March 2027)",
]


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Rate limits are off unless a test turns one on (tests/koki/test_ratelimit.py).
    settings.KOKI_RATELIMITS = dict.fromkeys(settings.KOKI_RATELIMITS, "off")


@pytest.fixture(autouse=True)
def _german_by_default():
    """Each test starts in German, the default language: a request of an earlier test leaves its
    language active, and content saved with `title=` goes to the active language's field."""
    from django.utils import translation

    translation.activate("de")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from events import cache as event_cache

    cache.clear()
    event_cache.reset()
    yield
    cache.clear()
    event_cache.reset()


def pytest_configure(config):
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    if os.environ.get("KOKI_REQUIRE_POSTGRES") and "postgres" not in os.environ.get(
        "DATABASE_URL", ""
    ):
        raise pytest.UsageError("KOKI_REQUIRE_POSTGRES is set but DATABASE_URL is not PostgreSQL.")


@pytest.fixture
def require_postgres(db):
    """Concurrency tests: skip on SQLite locally, fail in CI's PostgreSQL run."""
    if connection.vendor != "postgresql":
        if os.environ.get("KOKI_REQUIRE_POSTGRES"):
            pytest.fail("This test needs PostgreSQL, and CI asked for it.")
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def _marked(request, name: str) -> tuple[tuple, dict]:
    """The arguments of the closest `name` marker (test, class, module), or none."""
    marker = request.node.get_closest_marker(name)
    return (marker.args, marker.kwargs) if marker else ((), {})


@pytest.fixture
def event(db, request):
    """A published event, open for registration (EventFactory; `pytest.mark.event(**fields)`)."""
    _args, fields = _marked(request, "event")
    return EventFactory(**fields)


@pytest.fixture
def room(event, request):
    """A room of `event`: capacity 10 and the factory's values unless `pytest.mark.room(...)`
    gives others (capacity, name, number, topic...)."""
    _args, fields = _marked(request, "room")
    return RoomFactory(event=event, **fields)


@pytest.fixture
def rooms(event, request):
    """Rooms of `event`, one per dict of fields in `pytest.mark.rooms({...}, {...})`;
    two rooms with the factory's values without the marker."""
    fields, _kwargs = _marked(request, "rooms")
    return [RoomFactory(event=event, **room_fields) for room_fields in fields or ({}, {})]


DEMO_DAY = dt.date(2027, 3, 16)


@pytest.fixture
def demo_event(db, request):
    """The KoKI closing event from the demo loader (`load_koki_demo`): eight rooms of 40 seats,
    on 16 March 2027 unless `pytest.mark.demo_event(day=...)` names another day.

    Transactional where the test uses `live_server` (the browser tests): pytest-django then
    turns `db` into `transactional_db`.
    """
    _args, options = _marked(request, "demo_event")
    event, _created = demo_event_load(day=options.get("day", DEMO_DAY))
    return event


@pytest.fixture
def organiser(db):
    """A staff member of the "Organisers" group (not a superuser), username "orga", in the team
    of every event of the test (those there already and those created later)."""
    user = make_organiser()
    with in_every_team(user):
        yield user


@pytest.fixture
def organiser_client(organiser):
    """A client of its own logged in as `organiser` (the `client` fixture stays anonymous)."""
    client = Client()
    client.force_login(organiser)
    return client


@pytest.fixture
def seats_uncached(monkeypatch):
    """Public pages count the seats on every request instead of showing a count up to
    occupancy.SNAPSHOT_SECONDS old (for tests of what a registration changes on them)."""
    from registrations import occupancy

    monkeypatch.setattr(occupancy, "SNAPSHOT_SECONDS", 0)
