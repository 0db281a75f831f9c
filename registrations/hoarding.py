"""Seat hoarding: the unconfirmed seats one client network holds for an event, and the check
that lets an office behind one address register more people.

With double opt-in, a registration holds its seat for the event's `hold_minutes` before anyone
has clicked the link in its e-mail. Made-up addresses would keep every seat held, renewed
hourly. Therefore, per client network (`koki.ratelimit.client_network`: an IPv4 address, an
IPv6 /64) and event:

- up to `KOKI_RATELIMITS["holds"]` unconfirmed holds need nothing more;
- beyond that, each registration needs a solved challenge: a small proof of work that
  static/js/challenge.js does in the browser, or without JavaScript a question (what is 4 plus
  7?). It stops scripts that do not bother, not a determined attacker;
- from `KOKI_RATELIMITS["holds_max"]` on, the network gets no further registration until some
  of its holds are confirmed or expire: the limit that holds against anyone.

Only live unconfirmed holds count. A confirmed address is not hoarding and an expired hold
holds nothing, so a city administration behind one NAT address registers as many colleagues as
it likes, as long as they confirm their addresses as they go.

Where it is counted: the shared cache keeps, per network and event, the ids of the
registrations made from there within the hold period (under an HMAC of the network, never the
address, and expiring with the period); the database tells which of them still hold an
unconfirmed seat. A lock per network and event, also in the cache, makes counting and
registering one step, so concurrent requests cannot all slip in under the limit. The database
stores nothing about networks. While the cache is unavailable nothing is counted and nothing is
limited, as with the rate limits: registration keeps working.
"""

import contextlib
import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from events.models import Event
from koki.ratelimit import limit_count
from registrations.models import Registration

Status = Registration.Status

LOCK_SECONDS = 10  # a lock left behind by a crashed worker lasts no longer
LOCK_WAIT_SECONDS = 2.0  # then a request goes on without it (as during a cache outage)

POW_BITS = 16  # leading zero bits: about 65,000 hashes, a fraction of a second in a browser
CHALLENGE_SECONDS = 30 * 60  # how long a challenge on a form can be answered


def limits() -> tuple[int | None, int | None]:
    """(holds without a challenge, holds at most) per network and event; None: no limit."""
    return limit_count("holds"), limit_count("holds_max")


@dataclass
class NetworkHolds:
    """One network's registrations for one event within the hold period, counted under its lock."""

    key: str
    entries: list[tuple[int, float]]  # (registration id, registered at as a timestamp)
    unconfirmed: int  # of them, the ones holding a seat unconfirmed now
    period: int  # seconds

    def needs(self, *, challenge_passed: bool) -> str:
        """What a further registration needs: "" (nothing), "challenge", or "wait" (the network
        is at its limit)."""
        free, most = limits()
        if most is not None and self.unconfirmed >= most:
            return "wait"
        if free is not None and self.unconfirmed >= free and not challenge_passed:
            return "challenge"
        return ""

    def record(self, registration: Registration, now: dt.datetime) -> None:
        """Count a new registration of the network (one without a seat, on a waiting list, too:
        when it moves up within the period, its hold counts)."""
        if registration.status == Status.CONFIRMED:
            return
        self.entries.append((registration.pk, now.timestamp()))
        cache.set(self.key, self.entries, self.period)


def _unconfirmed(entries: list[tuple[int, float]], now: dt.datetime) -> int:
    if not entries:
        return 0
    return Registration.objects.filter(
        pk__in=[pk for pk, _at in entries],
        status=Status.PENDING,
        expires_at__gt=now,
        email_confirmed_at=None,
    ).count()


@contextlib.contextmanager
def _lock(key: str) -> Iterator[None]:
    """Hold the cache lock `key` for the block; without it after LOCK_WAIT_SECONDS, or at once
    when the cache is unavailable (every add fails and every read misses)."""
    lock_key, owner = f"{key}:lock", secrets.token_hex(8)
    deadline, misses = time.monotonic() + LOCK_WAIT_SECONDS, 0
    while not (locked := cache.add(lock_key, owner, LOCK_SECONDS)):
        if cache.get(lock_key) is None:
            misses += 1  # released this very moment, or the cache is unavailable
            if misses >= 3:
                break
            continue
        if time.monotonic() >= deadline:
            break
        time.sleep(0.005)
    try:
        yield
    finally:
        if locked and cache.get(lock_key) == owner:
            cache.delete(lock_key)


@contextlib.contextmanager
def network_holds(*, event: Event, network: str, now: dt.datetime) -> Iterator[NetworkHolds | None]:
    """The network's holds for the event, locked for the block (None: nothing to count, as for
    an event without double opt-in, an empty network or with both limits off)."""
    if not network or not event.double_opt_in or limits() == (None, None):
        yield None
        return
    digest = salted_hmac("koki.hoarding", network, algorithm="sha256").hexdigest()[:32]
    key = f"koki:holds:{event.pk}:{digest}"
    period = event.hold_minutes * 60
    with _lock(key):
        since = now.timestamp() - period
        entries = [(pk, at) for pk, at in cache.get(key) or () if at > since]
        yield NetworkHolds(key, entries, _unconfirmed(entries, now), period)


# --- The challenge ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Challenge:
    """A signed task for one form: the question's two numbers, and the token the proof of work
    hashes. Anyone can read it; nobody can make one up."""

    token: str
    a: int
    b: int


def challenge_new(*, event: Event) -> Challenge:
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    token = signing.dumps([event.pk, a, b, secrets.token_hex(8)], salt="koki.challenge")
    return Challenge(token=token, a=a, b=b)


def challenge_read(token: str, *, event: Event) -> Challenge | None:
    """The challenge behind a submitted token: None if forged, too old or another event's."""
    try:
        payload = signing.loads(token, salt="koki.challenge", max_age=CHALLENGE_SECONDS)
        event_pk, a, b, _nonce = payload
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if event_pk != event.pk:
        return None
    return Challenge(token=token, a=a, b=b)


def proof_valid(challenge: Challenge, proof: str) -> bool:
    """SHA-256 of "<token>:<proof>" starts with POW_BITS zero bits (static/js/challenge.js)."""
    if not proof or len(proof) > 32:
        return False
    digest = hashlib.sha256(f"{challenge.token}:{proof}".encode()).digest()
    return int.from_bytes(digest) >> (256 - POW_BITS) == 0


def challenge_solved(challenge: Challenge, *, proof: str, answer: str) -> bool:
    """Worked out by the browser (the proof) or answered by the person (the sum, in digits)."""
    return answer.strip() == str(challenge.a + challenge.b) or proof_valid(challenge, proof)


def challenge_spend(challenge: Challenge) -> bool:
    """Use a solved challenge up: True the first time, False ever after (or while the cache is
    unavailable, when nothing asks for one)."""
    digest = hashlib.sha256(challenge.token.encode()).hexdigest()[:32]
    return cache.add(f"koki:challenge:{digest}", True, CHALLENGE_SECONDS + 60)
