import datetime as dt

import pytest

from events import cache, services
from events.models import AgendaItem
from tests.factories import AgendaItemFactory, EventFactory, RoomFactory, SpeakerFactory

pytestmark = pytest.mark.django_db


def test_agenda_item_save_new_item_starts_at_sequence_zero():
    event = EventFactory()
    item = AgendaItem(event=event, title="Neu", starts_at=event.starts_at, ends_at=event.ends_at)
    services.agenda_item_save(item=item)
    assert AgendaItem.objects.get(pk=item.pk).sequence == 0


@pytest.mark.parametrize(
    ("change", "raised"),
    [
        ({"title": "Anderer Titel", "description": "Neu"}, 0),
        ({"starts_at": dt.timedelta(minutes=5)}, 1),
        ({"ends_at": dt.timedelta(minutes=5)}, 1),
        ({"room": "room"}, 1),
    ],
)
def test_agenda_item_save_raises_sequence_only_for_time_or_place(change, raised):
    item = AgendaItemFactory()
    room = RoomFactory(event=item.event)
    for name, value in change.items():
        if name == "room":
            item.room = room
        elif isinstance(value, dt.timedelta):
            setattr(item, name, getattr(item, name) + value)
        else:
            setattr(item, name, value)

    services.agenda_item_save(item=item)

    assert item.sequence == raised
    assert AgendaItem.objects.get(pk=item.pk).sequence == raised


def test_agenda_item_save_two_stale_copies_both_count():
    item = AgendaItemFactory()
    first = AgendaItem.objects.get(pk=item.pk)
    second = AgendaItem.objects.get(pk=item.pk)

    first.starts_at += dt.timedelta(minutes=5)
    services.agenda_item_save(item=first)
    second.ends_at += dt.timedelta(minutes=10)
    services.agenda_item_save(item=second)

    # The second copy never saw sequence 1, but F() counted both moves.
    assert AgendaItem.objects.get(pk=item.pk).sequence == 2


def test_room_save_rename_moves_its_items_only():
    room = RoomFactory(name="Ethik")
    inside = AgendaItemFactory(event=room.event, room=room)
    plenary = AgendaItemFactory(event=room.event)

    room.capacity = 99
    services.room_save(room=room)
    assert AgendaItem.objects.get(pk=inside.pk).sequence == 0
    room.name = "Ethik und Recht"
    services.room_save(room=room)

    assert AgendaItem.objects.get(pk=inside.pk).sequence == 1
    assert AgendaItem.objects.get(pk=plenary.pk).sequence == 0


def test_room_delete_makes_its_items_plenary_with_new_sequence():
    room = RoomFactory()
    item = AgendaItemFactory(event=room.event, room=room)

    services.room_delete(room=room)

    item.refresh_from_db()
    assert (item.room, item.sequence) == (None, 1)


def test_event_save_going_offline_moves_every_item():
    event = EventFactory()
    items = AgendaItemFactory.create_batch(3, event=event)
    event.title = "Neuer Titel"
    services.event_save(event=event)
    assert {item.sequence for item in AgendaItem.objects.filter(event=event)} == {0}

    event.is_online = False
    event.venue = "Rathaus Bremen"
    services.event_save(event=event)

    assert [AgendaItem.objects.get(pk=item.pk).sequence for item in items] == [1, 1, 1]


def test_deletions_move_the_events_cache_generation_on():
    item = AgendaItemFactory()
    before = cache.generation(item.event_id)

    services.agenda_item_delete(item=item)

    assert cache.generation(item.event_id) != before
    assert not AgendaItem.objects.filter(pk=item.pk).exists()


def test_speaker_delete_moves_on_only_the_events_where_they_spoke():
    from events.models import AgendaItemSpeaker

    item = AgendaItemFactory()
    other = EventFactory()
    speaker = SpeakerFactory()
    AgendaItemSpeaker.objects.create(agenda_item=item, speaker=speaker)
    before, other_before = cache.generation(item.event_id), cache.generation(other.pk)

    services.speaker_delete(speaker=speaker)

    assert cache.generation(item.event_id) != before
    assert cache.generation(other.pk) == other_before
