from events.exports.cache import _LocalCache


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
