"""The migration to German and English texts: what was entered before becomes the German text."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("events", "0012_event_logo_accent_colour")]
AFTER = [("events", "0014_content_copy_to_german")]


@pytest.mark.django_db(transaction=True)
def test_existing_texts_become_the_german_ones():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    starts = dt.datetime(2027, 3, 16, 9, tzinfo=dt.UTC)
    event = old.get_model("events", "Event").objects.create(
        slug="alt",
        title="Abschlusstag",
        subtitle="Ergebnisse",
        description="Ein Tag.",
        organiser=old.get_model("events", "Organiser").objects.create(name="Co:Lab", slug="colab"),
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
    )
    old.get_model("events", "Room").objects.create(
        event=event, number=1, name="Ethik", topic="KI und Ethik", capacity=5
    )
    old.get_model("events", "AgendaItem").objects.create(
        event=event, title="Begrüßung", starts_at=starts, ends_at=starts + dt.timedelta(hours=1)
    )
    old.get_model("events", "Speaker").objects.create(name="Ada", role="Forscherin", bio="Bio.")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    try:
        event = new.get_model("events", "Event").objects.get(slug="alt")
        room = new.get_model("events", "Room").objects.get()
        item = new.get_model("events", "AgendaItem").objects.get()
        speaker = new.get_model("events", "Speaker").objects.get()
        assert (event.title_de, event.subtitle_de, event.description_de, event.source_note_de) == (
            "Abschlusstag",
            "Ergebnisse",
            "Ein Tag.",
            "",
        )
        assert (room.name_de, room.topic_de, item.title_de, item.description_de) == (
            "Ethik",
            "KI und Ethik",
            "Begrüßung",
            "",
        )
        assert (speaker.role_de, speaker.affiliation_de, speaker.bio_de) == (
            "Forscherin",
            "",
            "Bio.",
        )
        assert (event.title_en, room.name_en, item.title_en, speaker.bio_en) == (None,) * 4
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
