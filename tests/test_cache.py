"""koki.cache.RedisCache: Django's Redis backend that keeps one redis-py client per pool."""

import os

import pytest

from koki.cache import RedisCache


@pytest.fixture
def backend():
    url = os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("KOKI_REQUIRE_POSTGRES"):  # CI's second run has Redis: use it
            pytest.fail("REDIS_URL is not set in CI's PostgreSQL + Redis run.")
        pytest.skip("needs Redis (set REDIS_URL)")
    cache = RedisCache(url, {"KEY_PREFIX": "koki-test-backend"})
    yield cache
    cache.delete_many(["a", "b", "n"])


def test_redis_cache_stores_reads_and_deletes(backend):
    backend.set("a", {"seats": [1, 2]}, 30)
    backend.set("n", 1, 30)

    assert backend.get("a") == {"seats": [1, 2]}
    assert backend.get_many(["a", "b"]) == {"a": {"seats": [1, 2]}}
    assert backend.incr("n") == 2
    backend.delete("a")
    assert backend.get("a") is None


def test_redis_cache_reuses_one_client_per_pool(backend):
    client = backend._cache.get_client()

    backend.set("a", 1, 30)
    backend.get("a")

    assert backend._cache.get_client(write=True) is client
    assert backend._cache.get_client("a") is client


def test_incr_window_counts_and_keeps_the_first_counts_expiry(backend):
    client = backend._cache.get_client(write=True)
    key = backend.make_and_validate_key("n")

    counts = [backend.incr_window("n", 30) for _ in range(3)]
    client.expire(key, 5)  # as if the window were nearly over
    fourth = backend.incr_window("n", 30)

    assert counts == [1, 2, 3]
    assert fourth == 4
    assert 0 < client.ttl(key) <= 5  # a later count does not extend the window
    assert backend.get("n") == 4  # readable through the cache API too


def test_while_redis_fails_reads_are_misses_with_the_callers_default():
    backend = RedisCache("redis://127.0.0.1:9/0", {"KEY_PREFIX": "koki-test-down"})

    assert backend.get("a", "fallback") == "fallback"
    assert backend.get_or_set("b", lambda: 42) == 42
    first = backend.get_many(["a"])
    first["poison"] = 1
    assert backend.get_many(["a"]) == {}
    assert backend.set_many({"x": 1, "y": 2}) == ["x", "y"]
