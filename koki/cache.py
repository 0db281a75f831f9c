"""Django's Redis cache backend, made to fail soft and to keep its redis-py clients.

**Fail soft.** The cache only ever speeds koki up: with Redis stopped, paused or unreachable,
every read is a miss and every write is skipped, so pages and registrations are served from
the database. Sockets time out after `SOCKET_TIMEOUT` seconds (no retries); after a failure
the process leaves Redis alone for `PAUSE_SECONDS` (every operation a miss at once, instead of
each waiting for its own timeout), then tries again: recovery needs no restart. An outage is
logged once when it starts and once when it ends, never per request.

A write lost during an outage may have been a change of an event's cache generation
(events/cache.py), so the process that lost one empties the cache once Redis answers again:
nothing stored before the outage can then be served as current.

**Client reuse.** Django's `RedisCacheClient` builds a new `redis.Redis` object for every
operation; with redis-py 6 and later that fills a dictionary of about 170 response callbacks
each time, which costs as much CPU as the round trip itself. One client per connection pool
is enough: a client is thread-safe, and the pool checks connections out per command.
"""

import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger("koki.cache")

SOCKET_TIMEOUT = 0.3  # seconds, for connecting and for each answer
PAUSE_SECONDS = 5.0  # after a failure, before Redis is tried again

# What each operation answers while Redis fails, from the call's arguments: a miss, or "not
# written" (a new object each time, so no caller can change another's answer).
READS = {
    "get": lambda args, kwargs: args[1] if len(args) > 1 else kwargs.get("default"),
    "get_many": lambda args, kwargs: {},
    "has_key": lambda args, kwargs: False,
    "incr_window": lambda args, kwargs: None,
}
WRITES = {
    "set": lambda args, kwargs: None,
    "add": lambda args, kwargs: False,
    "set_many": lambda args, kwargs: list(args[0] if args else kwargs.get("data", {})),
    "delete": lambda args, kwargs: False,
    "delete_many": lambda args, kwargs: None,
    "touch": lambda args, kwargs: False,
    "incr": lambda args, kwargs: None,
    "decr": lambda args, kwargs: None,
    "clear": lambda args, kwargs: False,
}


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("socket_timeout", SOCKET_TIMEOUT)
        kwargs.setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
        kwargs.setdefault("retry", None)
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class _Health:
    """This process's view of Redis: up, or down until `retry_at`."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down_since: float | None = None
        self.retry_at = 0.0
        self.lost_writes = 0

    def failed(self, error: Exception, *, write: bool) -> None:
        with self.lock:
            now = time.monotonic()
            self.retry_at = now + PAUSE_SECONDS
            self.lost_writes += write
            if self.down_since is None:
                self.down_since = now
                logger.warning(
                    "Cache unavailable (%s): serving from the database until it is back.",
                    type(error).__name__,
                )

    def recovered(self) -> int:
        """Mark Redis as up; returns the writes lost while it was down (0 if it never was)."""
        with self.lock:
            if self.down_since is None:
                return 0
            lost, seconds = self.lost_writes, time.monotonic() - self.down_since
            self.down_since, self.lost_writes = None, 0
        logger.warning("Cache available again after %.0f s (%d writes skipped).", seconds, lost)
        return lost


def _fail_soft(operation, default, *, write: bool):
    """`operation` (an unbound cache method), answering `default(args, kwargs)` while Redis
    fails. Django's helpers built on these (get_or_set, …) then work as on a miss."""

    def method(self, *args, **kwargs):
        health = self._health
        if health.down_since is not None and time.monotonic() < health.retry_at:
            health.lost_writes += write
            return default(args, kwargs)
        try:
            result = operation(self, *args, **kwargs)
        except RedisError as error:
            health.failed(error, write=write)
            return default(args, kwargs)
        if health.down_since is not None and health.recovered():
            self._clear_after_outage()
        return result

    method.__name__ = operation.__name__.lstrip("_")
    return method


# One view of each Redis server per process: Django makes a cache object per thread.
_health: dict[str, _Health] = {}


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._health = _health.setdefault(str(server), _Health())

    def _incr_window(self, key: str, timeout: int) -> int:
        """Count one more in a counter that expires `timeout` seconds after its first count.

        One round trip (INCR, then EXPIRE NX in the same pipeline) where add-then-incr takes
        three with Django's backend (incr checks that the key exists first). For rate limits.
        """
        key = self.make_and_validate_key(key)
        pipeline = self._cache.get_client(key, write=True).pipeline(transaction=False)
        pipeline.incr(key)
        pipeline.expire(key, timeout, nx=True)
        count, _expiry_set = pipeline.execute()
        return count

    def ping(self) -> bool:
        """Ask Redis directly (for /healthz): raises RedisError when it does not answer."""
        return self._cache.get_client(write=True).ping()

    def _clear_after_outage(self) -> None:
        try:
            DjangoRedisCache.clear(self)
        except RedisError as error:
            self._health.failed(error, write=True)


for _name, _default in READS.items():
    _operation = getattr(DjangoRedisCache, _name, None) or getattr(RedisCache, f"_{_name}")
    setattr(RedisCache, _name, _fail_soft(_operation, _default, write=False))
for _name, _default in WRITES.items():
    setattr(RedisCache, _name, _fail_soft(getattr(DjangoRedisCache, _name), _default, write=True))
