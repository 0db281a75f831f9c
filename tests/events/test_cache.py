"""events/cache.py: one generation per event keys everything cached for it."""

import pytest

from events import cache
from events.models import AgendaItem, Event, Room
from tests.factories import AgendaItemFactory, EventFactory, RoomFactory


def test_local_memory_is_bounded_and_least_recently_used_goes_first():
    local = cache.LocalMemory(max_entries=3)
    for key in "abc":
        local.set(key, key.encode())
    assert local.get("a") == b"a"  # a is now the most recently used
    local.set("d", b"d")

    assert [local.get(key) for key in "abcd"] == [b"a", None, b"c", b"d"]


def test_local_memory_keeps_no_model_instances():
    with pytest.raises(TypeError, match="Only immutable values"):
        cache.LocalMemory(max_entries=1).set("event", Event(title="x"))


@pytest.mark.django_db
def test_a_warm_export_costs_no_query_and_a_change_shows_on_the_next_request(
    client, django_assert_num_queries, renders
):
    event = EventFactory(slug="warm")
    AgendaItemFactory(event=event, title="Alt")
    client.get("/events/warm/programme.ics")

    with django_assert_num_queries(0):
        hit = client.get("/events/warm/programme.ics")
    AgendaItemFactory(event=event, title="Neu")
    after = client.get("/events/warm/programme.ics")

    assert b"SUMMARY:Alt" in hit.content
    assert b"SUMMARY:Neu" in after.content
    assert hit["ETag"] != after["ETag"]
    assert len(renders) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        lambda event: Event.objects.filter(pk=event.pk).update(title="Neu"),
        lambda event: Room.objects.filter(event=event).update(capacity=99),
        lambda event: AgendaItem.objects.filter(event=event).update(title="Neu"),
        lambda event: RoomFactory(event=event, number=9).delete(),
        lambda event: event.save(),
    ],
    ids=["event-update", "room-update", "item-update", "room-delete", "event-save"],
)
def test_every_change_of_the_programme_moves_the_generation_on(change):
    event = EventFactory()
    RoomFactory(event=event)
    AgendaItemFactory(event=event)
    other = EventFactory()
    before, other_before = cache.generation(event.pk), cache.generation(other.pk)

    change(event)

    assert cache.generation(event.pk) != before
    assert cache.generation(other.pk) == other_before


@pytest.mark.django_db
def test_published_event_is_read_from_the_cache_without_a_query(django_assert_num_queries):
    event = EventFactory(slug="gecacht")
    first = cache.published_event(slug="gecacht")
    with django_assert_num_queries(0):
        again = cache.published_event(slug="gecacht")
    assert (again.event.pk, again.generation) == (event.pk, first.generation)
    assert again.event is not first.event  # never one instance shared between requests


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["save", "update"])
def test_an_item_moved_to_another_event_leaves_both_pages_fresh(how):
    first, second = EventFactory(), EventFactory()
    item = AgendaItemFactory(event=first)
    before = cache.generation(first.pk), cache.generation(second.pk)

    if how == "save":
        item.event = second
        item.save()
    else:
        AgendaItem.objects.filter(pk=item.pk).update(event=second)

    after = cache.generation(first.pk), cache.generation(second.pk)
    assert after[0] != before[0]
    assert after[1] != before[1]
