"""The site keeps answering when Redis goes away or hangs: a cache outage is a cache miss.

Each test starts a Redis of its own and points the cache at it, so that it can stop or pause
that Redis without touching anyone else's.
"""

import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from registrations.models import Registration
from tests.factories import RoomFactory
from tests.live import Visitor
from tests.registrations.test_views import form_data

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server process of the test's own, without persistence."""

    def __init__(self, directory):
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(directory)),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.paused = False
        deadline = time.monotonic() + 10
        while self.key_count() is None:
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.kill()
                pytest.fail(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def key_count(self) -> int | None:
        """How many keys Redis holds (None while it does not answer)."""
        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            return client.dbsize()
        except redis.RedisError:
            return None
        finally:
            client.close()

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)
        self.paused = False

    def stop(self) -> None:
        if self.paused:
            self.resume()
        self.process.terminate()
        self.process.wait(timeout=10)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis(settings, tmp_path):
    server = RedisServer(tmp_path)
    original = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "koki.cache.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "koki-test",
        }
    }
    yield server
    # Back to the suite's cache before conftest clears it (and before this Redis goes).
    settings.CACHES = original
    if server.paused:
        server.resume()
    server.kill()


def registration_data(room, index: int) -> dict[str, str]:
    return form_data(room, last_name=str(index), email=f"rush{index}@example.org")


RUSH = 60
THREADS = 10
STOP_AFTER = 20


@pytest.mark.postgres
def test_registration_rush_goes_on_when_redis_goes_away(
    require_postgres, own_redis, settings, live_server
):
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "register": "1000/10m"}
    room = RoomFactory(capacity=RUSH)
    register = f"/events/{room.event.slug}/register/"
    done = f"/events/{room.event.slug}/register/done/"
    accepted_so_far = 0
    keys_before_stop = []
    lock = threading.Lock()

    def register_one(index: int) -> tuple[int, int, int, str]:
        nonlocal accepted_so_far
        visitor = Visitor(live_server.url, timeout=30)
        form = visitor.get(register)
        answer = visitor.post(register, registration_data(room, index))
        if answer.path == done:
            with lock:
                accepted_so_far += 1
                if accepted_so_far == STOP_AFTER:
                    keys_before_stop.append(own_redis.key_count())
                    own_redis.stop()
        return index, form.status, answer.status, answer.path

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(register_one, range(RUSH)))

    assert own_redis.process.returncode is not None  # Redis was stopped during the rush …
    assert keys_before_stop[0] > 0  # … after the pages and the rate limit had used it
    failed = [(i, form, post) for i, form, post, _path in results if (form, post) != (200, 200)]
    assert failed == []
    accepted = {i for i, _form, _post, path in results if path == done}
    assert accepted == set(range(RUSH))
    stored = Registration.objects.filter(event=room.event).values_list("email", flat=True)
    assert sorted(stored) == sorted(f"rush{i}@example.org" for i in accepted)


def timed_get(visitor: Visitor, path: str) -> tuple[int | str, float, str]:
    """(status or "timeout", seconds, body) of one GET."""
    start = time.monotonic()
    try:
        answer = visitor.get(path)
    except (TimeoutError, urllib.error.URLError) as error:
        return f"no answer ({error})", time.monotonic() - start, ""
    return answer.status, time.monotonic() - start, answer.body


def test_pages_answer_while_redis_hangs_and_after_it_is_back(own_redis, live_server):
    room = RoomFactory(name="Ethik", capacity=12)
    event = room.event
    pages = [event.get_absolute_url(), f"/events/{event.slug}/register/"]
    visitor = Visitor(live_server.url, timeout=5)
    assert [visitor.get(path).status for path in pages] == [200, 200]  # the cache is warm

    own_redis.pause()
    try:
        during = [timed_get(visitor, path) for path in pages]
    finally:
        own_redis.resume()
    after = [timed_get(visitor, path) for path in pages]

    # The 2 s only bound a hang (socket timeouts are about 0.3 s); they measure no speed.
    assert [(status, seconds < 2) for status, seconds, _body in during] == [(200, True)] * 2
    assert [status for status, _seconds, _body in after] == [200, 200]
    for _status, _seconds, body in during + after:
        assert event.title in body
    assert "12 Plätze frei" in during[0][2]
    assert "12 Plätze frei" in after[1][2]


def outage_lines(records) -> list[logging.LogRecord]:
    return [
        record
        for record in records
        if record.levelno >= logging.WARNING
        and record.name.startswith("koki")
        and any(word in record.getMessage().lower() for word in ("cache", "redis"))
    ]


def test_redis_outage_is_logged_once_not_per_request(own_redis, settings, live_server, caplog):
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "register": "1000/10m"}
    room = RoomFactory(capacity=20)
    event = room.event
    register = f"/events/{event.slug}/register/"
    visitor = Visitor(live_server.url, timeout=10)
    assert visitor.get(event.get_absolute_url()).status == 200  # the cache is in use
    caplog.clear()

    own_redis.stop()
    statuses = []
    for index in range(5):  # 20 requests: page, form, submission and its redirect to done/
        statuses.append(visitor.get(event.get_absolute_url()).status)
        statuses.append(visitor.get(register).status)
        answer = visitor.post(register, registration_data(room, index))
        statuses.append((answer.status, answer.path))

    done = f"/events/{event.slug}/register/done/"
    assert statuses == [200, 200, (200, done)] * 5
    assert Registration.objects.filter(event=event).count() == 5
    warnings = [record for record in caplog.records if record.levelno >= logging.WARNING]
    # The outage is reported, in a line or two: not once (with a traceback) per request.
    assert 1 <= len(outage_lines(warnings)) <= 3, [r.getMessage() for r in warnings]
    assert len(warnings) <= 3, [r.getMessage() for r in warnings]
