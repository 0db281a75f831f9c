"""Django's Redis cache backend, keeping its redis-py client objects.

Django's `RedisCacheClient` builds a new `redis.Redis` object for every cache operation; with
redis-py 6 and later that fills a dictionary of about 170 response callbacks each time, which
costs as much CPU as the round trip to Redis itself (`make bench` profiles, README
"Performance"). One client per connection pool is enough: a client is thread-safe, and the pool
checks connections out per command and notices a fork.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def incr_window(self, key: str, timeout: int) -> int:
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
