import os

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connection
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

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
def _clear_cache():
    from django.core.cache import cache

    from events.caching import forget_occupancy

    cache.clear()
    forget_occupancy()
    yield
    cache.clear()
    forget_occupancy()


def pytest_configure(config):
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
