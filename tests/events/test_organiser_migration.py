"""The migration that turns the events' organiser names into organisers (events 0006)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("events", "0005_organiser")]
AFTER = [("events", "0007_event_organiser_fk")]


@pytest.fixture
def back_to_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_one_organiser_per_name_with_website_and_privacy_notice(back_to_latest):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Event = old.get_model("events", "Event")
    common = {
        "title": "Tag",
        "starts_at": "2030-01-01T10:00Z",
        "ends_at": "2030-01-01T12:00Z",
    }
    Event.objects.create(slug="a", organiser="Co:Lab e.V.", privacy_notice_version=1, **common)
    Event.objects.create(
        slug="b",
        organiser="Co:Lab e.V.",
        organiser_url="https://colab.example/",
        privacy_notice="Eigener Text.",
        privacy_notice_version=3,
        **common,
    )
    Event.objects.create(slug="c", organiser="Stadt X", privacy_notice_version=2, **common)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Organiser = new.get_model("events", "Organiser")
    rows = Organiser.objects.order_by("name").values_list(
        "name", "slug", "website", "privacy_notice_de", "privacy_notice_version"
    )
    events = new.get_model("events", "Event").objects.order_by("slug")

    assert list(rows) == [
        ("Co:Lab e.V.", "colab-ev", "https://colab.example/", "Eigener Text.", 3),
        ("Stadt X", "stadt-x", "", None, 2),
    ]
    assert [(event.slug, event.organiser.name) for event in events] == [
        ("a", "Co:Lab e.V."),
        ("b", "Co:Lab e.V."),
        ("c", "Stadt X"),
    ]
