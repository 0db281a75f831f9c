"""Fixtures for the programme exports (PDF and calendars)."""

import shutil

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from events.exports.cache import export_rendered, local_cache, version_memo
from events.models import Event


@pytest.fixture(autouse=True)
def _empty_local_export_cache(settings):
    """The per-process caches sit in front of Django's cache, which conftest empties; the
    version memo is off, so every request sees changes at once (test_exports_cache tests it)."""
    settings.KOKI_EXPORT_VERSION_SECONDS = 0
    local_cache.clear()
    version_memo.clear()
    yield
    local_cache.clear()
    version_memo.clear()


@pytest.fixture
def demo_event(db):
    call_command("load_koki_demo", "--date", "2027-03-16")
    return Event.objects.get(slug="koki-abschluss")


@pytest.fixture
def renders():
    """Every real render of an export (never a cache hit), as (kind, key) in order."""
    seen: list[tuple[str, str]] = []

    def receiver(sender, key, **kwargs):
        seen.append((sender, key))

    export_rendered.connect(receiver)
    yield seen
    export_rendered.disconnect(receiver)


@pytest.fixture
def organiser_client(db, django_user_model):
    """A client logged in as a staff member of the Organisers group (not a superuser)."""
    user = django_user_model.objects.create_user(
        username="orga", password="orga-pass-123", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Organisers"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def poppler():
    if not shutil.which("pdftotext"):
        pytest.fail("poppler-utils (pdftotext) is missing; .ci/run installs it.")
