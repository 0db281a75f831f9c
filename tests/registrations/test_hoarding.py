"""Seat hoarding (registrations/hoarding.py): unconfirmed holds per client network and event.

The limits are the production defaults here (koki/settings.py): 60 submissions per 10 minutes,
3 unconfirmed holds per network without a question, 10 at most.
"""

import datetime as dt
import hashlib
import http.cookiejar
import itertools
import re
import threading
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import timezone

from koki.ratelimit import network_of
from registrations import hoarding, services
from registrations.models import Registration
from tests.factories import RegistrationFactory, RoomFactory
from tests.koki.test_security_headers import inline_code
from tests.registrations.test_views import form_data, register_url

pytestmark = pytest.mark.django_db

Status = Registration.Status
ENGLISH = {"cookie": "django_language=en"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
QUESTION = re.compile(r"What is (\d) plus (\d)\?")
TOKEN = re.compile(r'name="challenge" value="([^"]+)"')
ASKED = (
    "Several registrations from your network are still waiting for their e-mail address to be "
    "confirmed. Please answer the question below and send the form again."
)
REFUSED = (
    "Many registrations from your network are still waiting for their e-mail address to be "
    "confirmed. As soon as some of them are confirmed (with the link in the e-mail), you can "
    "register. Please try again later."
)


@pytest.fixture(autouse=True)
def _production_limits(settings):
    settings.KOKI_RATELIMITS = {
        **settings.KOKI_RATELIMITS,
        "register": "60/10m",
        "holds": "3",
        "holds_max": "10",
    }


@pytest.fixture
def mails_not_sent(settings):
    """Many registrations: their mails are queued, not rendered and sent (the confirmation
    links come from the database)."""
    backend = "django.tasks.backends.dummy.DummyBackend"
    settings.TASKS = {"default": {**settings.TASKS["default"], "BACKEND": backend}}


@pytest.fixture
def clock(monkeypatch):
    """The time every view, service and rate limit reads; `clock.advance(seconds)`."""

    class Clock:
        now = timezone.now().replace(microsecond=0)

        def advance(self, seconds: float) -> dt.datetime:
            self.now += dt.timedelta(seconds=seconds)
            return self.now

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


def post(client, room, email: str, ip: str, **fields):
    return client.post(
        register_url(room.event),
        form_data(room, email=email, last_name=email.split("@")[0], **fields),
        REMOTE_ADDR=ip,
        headers=ENGLISH,
    )


def proof_for(token: str) -> str:
    """What static/js/challenge.js finds: the first number whose hash has the zero bits."""
    prefix = hashlib.sha256(f"{token}:".encode())
    for n in itertools.count():
        digest = prefix.copy()
        digest.update(str(n).encode())
        if int.from_bytes(digest.digest()[:4]) >> (32 - hoarding.POW_BITS) == 0:
            return str(n)
    raise AssertionError  # unreachable


def solved(response, *, by: str = "answer") -> dict[str, str]:
    """The challenge on a form, solved by the person (`answer`) or by the browser (`proof`)."""
    html = response.content.decode()
    token = TOKEN.search(html).group(1)
    if by == "proof":
        return {"challenge": token, "proof": proof_for(token)}
    a, b = QUESTION.search(html).groups()
    return {"challenge": token, "answer": str(int(a) + int(b))}


def register(client, room, email: str, ip: str, *, by: str = "answer") -> tuple[str, object]:
    """Register like a person: answer the question if the form asks one. Returns how it went
    ("done", "asked then done", or "refused") and the last response."""
    response = post(client, room, email, ip)
    if response.status_code == 302:
        return "done", response
    if ASKED not in response.content.decode():
        return "refused", response
    response = post(client, room, email, ip, **solved(response, by=by))
    return ("asked then done" if response.status_code == 302 else "refused"), response


def held(event) -> list[str]:
    return sorted(
        Registration.objects.filter(event=event, status=Status.PENDING).values_list(
            "email", flat=True
        )
    )


# --- One IPv6 /64 -------------------------------------------------------------------------------


@pytest.mark.room(capacity=25)
def test_25_addresses_of_one_ipv6_64_hold_three_seats_then_are_asked(client, room):
    """The probe's case: 25 registrations from 25 addresses of one /64 for 25 seats."""
    ips = [f"2001:db8:1:2::{n:x}" for n in range(1, 26)]

    responses = [post(client, room, f"bot{n}@example.org", ip) for n, ip in enumerate(ips)]

    assert [r.status_code for r in responses] == [302] * 3 + [200] * 22
    assert all(ASKED in r.content.decode() for r in responses[3:])
    assert held(room.event) == ["bot0@example.org", "bot1@example.org", "bot2@example.org"]
    # Another /64 is another network.
    assert post(client, room, "other@example.org", "2001:db8:1:3::1").status_code == 302


@pytest.mark.room(capacity=25)
def test_one_ipv6_64_answering_every_question_holds_at_most_ten_seats(client, room):
    outcomes = [
        register(client, room, f"bot{n}@example.org", f"2001:db8:1:2::{n + 1:x}")[0]
        for n in range(25)
    ]

    assert outcomes == ["done"] * 3 + ["asked then done"] * 7 + ["refused"] * 15
    assert len(held(room.event)) == 10
    refused = post(client, room, "bot99@example.org", "2001:db8:1:2:ffff::1")
    assert refused.status_code == 200
    assert REFUSED in refused.content.decode()


# --- 16 IPv4 addresses and the demo event's 320 seats -----------------------------------------


def test_16_ipv4_addresses_without_answers_hold_48_of_320_seats(client, demo_event, mails_not_sent):
    rooms = list(demo_event.rooms.order_by("number"))
    ips = [f"203.0.113.{a + 1}" for a in range(16)]

    statuses = {
        ip: [
            post(client, rooms[n % 8], f"bot{ip}-{n}@example.org", ip).status_code for n in range(4)
        ]
        for ip in ips
    }

    assert sum(room.capacity for room in rooms) == 320
    assert statuses == {ip: [302, 302, 302, 200] for ip in ips}
    assert len(held(demo_event)) == 48


def test_16_ipv4_addresses_solving_every_challenge_hold_160_of_320_seats_also_hourly(
    demo_event, mails_not_sent
):
    """The same script, solving every challenge (the form's part is tested above): ten holds per
    address, and after their hour ten again, never more at once."""
    rooms = list(demo_event.rooms.order_by("number"))
    ips = [f"203.0.113.{a + 1}" for a in range(16)]

    def hoard(now) -> dict[str, list[str]]:
        outcomes = {}
        for ip in ips:
            outcomes[ip] = []
            for n in range(11):
                try:
                    services.registration_create(
                        event=demo_event,
                        room=rooms[n % 8],
                        first_name="Bot",
                        last_name=str(n),
                        email=f"bot-{now:%H%M}-{ip}-{n}@example.org",
                        consent=True,
                        network=network_of(ip),
                        challenge_passed=True,
                        now=now,
                    )
                    outcomes[ip].append("held")
                except services.RegistrationError as error:
                    outcomes[ip].append(error.code)
        return outcomes

    now = timezone.now()
    first = hoard(now)
    live_first = Registration.objects.filter(expires_at__gt=now).count()
    later = now + dt.timedelta(minutes=61)  # every hold has expired: the script renews them
    second = hoard(later)
    live_second = Registration.objects.filter(expires_at__gt=later).count()

    assert first == second == dict.fromkeys(ips, ["held"] * 10 + ["holds_max"])
    assert live_first == live_second == 160


# --- A city administration behind one NAT address ---------------------------------------------


@pytest.mark.room(capacity=120)
@pytest.mark.parametrize(
    ("confirm_after", "asked"),
    [
        (0, []),  # each confirms before the next colleague registers: never a question
        (5 * 60, list(range(3, 100))),  # each confirms 5 minutes later: up to 8 wait at once
    ],
)
def test_100_colleagues_behind_one_nat_address_register_within_an_hour(
    client, room, clock, mails_not_sent, confirm_after, asked
):
    """One colleague every 36 seconds from the same address, each clicking the link in their
    e-mail `confirm_after` seconds later; the browser solves every 20th check, a person answers
    the others (no JavaScript)."""
    start, outcomes, confirmations = clock.now, [], []  # confirmations: (due, token)

    def confirm_due(now):
        for due, token in [c for c in confirmations if c[0] <= now]:
            assert client.post(f"/r/{token}/confirm/").status_code == 302
            confirmations.remove((due, token))

    for n in range(100):
        now = clock.advance(36) if n else clock.now
        confirm_due(now)
        email = f"kollegin{n}@bremen.example"
        outcome, response = register(
            client, room, email, "198.51.100.20", by="proof" if n % 20 == 0 else "answer"
        )
        outcomes.append(outcome)
        assert response.status_code == 302, n
        token = Registration.objects.get(email=email).token
        confirmations.append((now + dt.timedelta(seconds=confirm_after), token))
    confirm_due(clock.now)

    assert clock.now - start < dt.timedelta(hours=1)
    assert [n for n, outcome in enumerate(outcomes) if outcome != "done"] == asked
    assert set(outcomes) <= {"done", "asked then done"}
    assert Registration.objects.filter(event=room.event).count() == 100
    confirmed = Registration.objects.filter(status=Status.CONFIRMED).count()
    assert (confirmed, len(confirmations)) == ((100, 0) if confirm_after == 0 else (91, 9))


# --- The rules one by one -----------------------------------------------------------------------


@pytest.mark.room(capacity=10)
def test_a_confirmed_registration_no_longer_counts(client, room):
    for n in range(3):
        assert post(client, room, f"p{n}@example.org", "192.0.2.50").status_code == 302
    first = Registration.objects.get(email="p0@example.org")
    assert client.post(f"/r/{first.token}/confirm/").status_code == 302

    response = post(client, room, "p3@example.org", "192.0.2.50")

    assert response.status_code == 302
    assert held(room.event) == ["p1@example.org", "p2@example.org", "p3@example.org"]


@pytest.mark.room(capacity=10)
def test_expired_holds_no_longer_count(client, room, clock):
    sent = [post(client, room, f"p{n}@example.org", "192.0.2.50").status_code for n in range(3)]
    assert sent == [302, 302, 302]
    assert held(room.event) == ["p0@example.org", "p1@example.org", "p2@example.org"]
    clock.advance(room.event.hold_minutes * 60 + 1)

    response = post(client, room, "p3@example.org", "192.0.2.50")

    assert response.status_code == 302
    assert response["Location"].endswith("/register/done/")
    assert "p3@example.org" in held(room.event)


@pytest.mark.room(capacity=10)
def test_the_question_without_javascript(client, room):
    for n in range(3):
        post(client, room, f"p{n}@example.org", "192.0.2.50")

    asked = post(client, room, "p3@example.org", "192.0.2.50")
    wrong = post(
        client, room, "p3@example.org", "192.0.2.50", challenge=solved(asked)["challenge"],
        answer="99",
    )  # fmt: skip
    right = post(client, room, "p3@example.org", "192.0.2.50", **solved(wrong))

    html = asked.content.decode()
    assert asked.status_code == 200
    assert "<legend>One more check</legend>" in html
    assert re.search(
        r'<label\s+for="id_answer" class="form-label">\s+What is [1-9] plus [1-9]\?', html
    )
    assert 'id="id_answer_error"' in html  # the reason, announced at the question
    assert 'name="last_name" value="p3"' in html  # nothing typed is lost
    assert '<script src="/static/js/challenge.js" defer></script>' in html
    assert inline_code(html) == []  # CSP: the script is a file of ours
    assert 'data-pow-bits="16"' in html
    assert wrong.status_code == 200
    assert "That is not the right answer. Please try again." in wrong.content.decode()
    assert right.status_code == 302
    assert len(held(room.event)) == 4


@pytest.mark.room(capacity=10)
def test_a_solved_challenge_counts_once(client, room):
    for n in range(3):
        post(client, room, f"p{n}@example.org", "192.0.2.50")
    answer = solved(post(client, room, "p3@example.org", "192.0.2.50"), by="proof")

    first = post(client, room, "p3@example.org", "192.0.2.50", **answer)
    replayed = post(client, room, "p4@example.org", "192.0.2.50", **answer)

    assert first.status_code == 302
    assert replayed.status_code == 200
    assert ASKED in replayed.content.decode()
    assert TOKEN.search(replayed.content.decode()).group(1) != answer["challenge"]
    assert len(held(room.event)) == 4


@pytest.mark.room(capacity=10)
def test_a_forged_or_foreign_challenge_is_not_accepted(client, room):
    other = hoarding.challenge_new(event=RegistrationFactory().event)
    for n in range(3):
        post(client, room, f"p{n}@example.org", "192.0.2.50")

    foreign = post(
        client, room, "p3@example.org", "192.0.2.50", challenge=other.token,
        answer=str(other.a + other.b),
    )  # fmt: skip
    forged = post(
        client, room, "p4@example.org", "192.0.2.50", challenge="W1swLDEsMV0:x:y", answer="2"
    )

    assert [foreign.status_code, forged.status_code] == [200, 200]
    assert ASKED in foreign.content.decode()
    assert ASKED in forged.content.decode()
    assert len(held(room.event)) == 3


@pytest.mark.event(double_opt_in=False)
@pytest.mark.room(capacity=10)
def test_without_double_opt_in_nothing_is_held_and_nothing_asked(client, room):
    responses = [post(client, room, f"p{n}@example.org", "192.0.2.50") for n in range(6)]

    assert [r.status_code for r in responses] == [302] * 6
    assert Registration.objects.filter(status=Status.CONFIRMED).count() == 6


@pytest.mark.room(capacity=10)
def test_holds_limits_off_ask_nothing(client, room, settings):
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, "holds": "off", "holds_max": "off"}

    responses = [post(client, room, f"p{n}@example.org", "192.0.2.50") for n in range(12)]

    assert [r.status_code for r in responses] == [302] * 12


@pytest.mark.room(capacity=10)
def test_the_network_is_not_stored_anywhere(client, room, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    for n in range(4):
        post(client, room, f"p{n}@example.org", "192.0.2.50")

    stored = cache._cache  # local memory: every key and value the requests left behind
    assert any(":koki:holds:" in key for key in stored)
    assert not any("192.0.2.50" in key for key in stored)
    assert not any(b"192.0.2.50" in value for value in stored.values())


@pytest.mark.room(capacity=10)
def test_while_the_cache_is_unreachable_nothing_is_counted_or_asked(client, room, settings):
    """Like the rate limits, the hold limits fail open: registration keeps working."""
    settings.CACHES = {
        "default": {"BACKEND": "koki.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }

    responses = [post(client, room, f"p{n}@example.org", "192.0.2.50") for n in range(6)]

    assert [r.status_code for r in responses] == [302] * 6
    assert len(held(room.event)) == 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_from_one_network_do_not_slip_under_the_limit(
    require_postgres, live_server
):
    """Counting and registering are one step per network: of ten requests sent at the same
    moment from one address, three get a seat, seven are asked."""
    room = RoomFactory(capacity=20)
    path = register_url(room.event)
    barrier = threading.Barrier(10)

    def attempt(n: int) -> str:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = opener.open(live_server.url + path, timeout=30).read().decode()
        data = {
            **form_data(room, email=f"p{n}@example.org"),
            "csrfmiddlewaretoken": CSRF.search(page).group(1),
        }
        barrier.wait(timeout=30)
        request = urllib.request.Request(
            live_server.url + path, data=urllib.parse.urlencode(data).encode(), method="POST"
        )
        response = opener.open(request, timeout=60)
        return "done" if response.url.endswith("/done/") else "asked"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, range(10)))

    assert sorted(outcomes) == ["asked"] * 7 + ["done"] * 3
    assert Registration.objects.filter(room=room, status=Status.PENDING).count() == 3
