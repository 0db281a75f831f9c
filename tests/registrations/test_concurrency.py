"""Room capacity holds under real concurrent HTTP registrations (PostgreSQL, live server)."""

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import timezone

from registrations.models import Registration
from registrations.occupancy import holds_seat
from tests.factories import RoomFactory

ATTEMPTS = 50
CAPACITY = 10
WAITING_LIST = 15
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FULL = "ist ausgebucht."
WAITLIST_FULL = "und seine Warteliste sind voll."
ALL_FULL = "Alle Räume und ihre Wartelisten sind voll."


def attempt(base_url, path, room_pk, index, barrier):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base_url + path, timeout=30).read().decode()
    token = CSRF.search(page).group(1)
    data = {
        "csrfmiddlewaretoken": token,
        "first_name": "Person",
        "last_name": str(index),
        "email": f"person{index}@example.org",
        "room": str(room_pk),
        "consent": "on",
        "homepage": "",
    }
    if index % 2:
        data["join_waitlist"] = "on"
    barrier.wait(timeout=30)
    request = urllib.request.Request(
        base_url + path, data=urllib.parse.urlencode(data).encode(), method="POST"
    )
    try:
        response = opener.open(request, timeout=60)
    except urllib.error.HTTPError as error:
        return index, error.code, "", ""
    return index, response.status, response.url, response.read().decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_registrations_never_overbook(require_postgres, live_server):
    room = RoomFactory(capacity=CAPACITY, waiting_list_size=WAITING_LIST)
    path = f"/events/{room.event.slug}/register/"
    barrier = threading.Barrier(ATTEMPTS)

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        results = list(
            pool.map(lambda i: attempt(live_server.url, path, room.pk, i, barrier), range(ATTEMPTS))
        )

    assert all(result[1] == 200 for result in results), [r[:2] for r in results]
    accepted = {i for i, _status, url, _body in results if url.endswith("/register/done/")}
    refused = {i for i, _status, url, body in results if url.endswith(path)}
    assert accepted | refused == set(range(ATTEMPTS))
    assert not accepted & refused
    # 25 of the 50 (the odd ones) accept the waiting list: whoever gets the 10 seats, at least
    # 15 of them are left for its 15 places, so exactly 25 are accepted.
    assert len(accepted) == CAPACITY + WAITING_LIST == 25
    for i, _status, _url, body in results:
        if i in refused:
            # The form says why; once everything is full, the page says that instead (which
            # one a person sees depends on the moment, not on the outcome).
            assert (WAITLIST_FULL if i % 2 else FULL) in body or ALL_FULL in body, i

    rows = Registration.objects.filter(room=room)
    stored = {int(r.last_name) for r in rows}
    assert stored == accepted  # every accepted submission stored exactly once, nothing else
    assert rows.count() == len(accepted)
    assert rows.filter(holds_seat(timezone.now())).count() == CAPACITY
    waiting = rows.filter(status=Registration.Status.WAITING)
    assert waiting.count() == WAITING_LIST
    assert rows.count() == CAPACITY + waiting.count()
    # Only people who asked for the waiting list are on it.
    assert all(int(r.last_name) % 2 for r in waiting)
