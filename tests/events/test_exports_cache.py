import pytest

from events.exports.cache import _LocalCache, version_memo
from tests.factories import AgendaItemFactory, EventFactory


def test_local_export_cache_is_bounded_and_least_recently_used_goes_first():
    local = _LocalCache(max_bytes=40)
    local.set("a", b"x" * 10)
    local.set("b", b"y" * 10)
    local.set("c", b"z" * 10)
    assert local.get("a") == b"x" * 10  # a is now the most recently used
    local.set("d", b"w" * 10)
    local.set("e", b"v" * 10)
    local.set("huge", b"h" * 11)  # over a quarter of the budget: never kept

    assert [local.get(key) is not None for key in "abcde"] == [True, False, True, True, True]
    assert local.get("huge") is None


@pytest.mark.django_db
def test_version_memo_spares_the_query_and_shows_changes_after_it_expires(
    client, settings, django_assert_num_queries, renders
):
    settings.KOKI_EXPORT_VERSION_SECONDS = 60
    event = EventFactory(slug="memo")
    AgendaItemFactory(event=event, title="Alt")
    client.get("/events/memo/programme.ics")

    with django_assert_num_queries(0):
        hit = client.get("/events/memo/programme.ics")
    AgendaItemFactory(event=event, title="Neu")
    within = client.get("/events/memo/programme.ics")
    version_memo.clear()  # as if the 60 seconds had passed
    after = client.get("/events/memo/programme.ics")

    assert b"SUMMARY:Alt" in hit.content
    assert b"SUMMARY:Neu" not in within.content
    assert b"SUMMARY:Neu" in after.content
    assert len(renders) == 2


@pytest.mark.django_db
def test_version_memo_off_asks_the_database_every_time(client, django_assert_num_queries):
    EventFactory(slug="ohne-memo")
    client.get("/events/ohne-memo/programme.ics")
    with django_assert_num_queries(1):
        client.get("/events/ohne-memo/programme.ics")
