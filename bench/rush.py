"""The registration rush: many simulated attendees load the form and submit it, concurrently.

Each attendee is a fresh browser without cookies: GET the register form (which sets the CSRF
cookie), read the CSRF token and the room choices from the HTML, POST every field with the
cookie and an Origin header, then follow the redirect as a browser does. A few attendees
submit their form twice (a double click); that must never store them twice.

Bounded: at most `attendees` attendees and `deadline` seconds; loopback only.
"""

from __future__ import annotations

import asyncio
import html
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urljoin

import aiohttp

FIRST_NAMES = [
    "Anna",
    "Jörg",
    "Özlem",
    "Ben",
    "Lea",
    "Mehmet",
    "Sophie",
    "Jürgen",
    "Fatma",
    "Lukas",
]
LAST_NAMES = ["Müller", "Schmidt", "Yılmaz", "Weiß", "Nguyen", "Kowalski", "Becker", "Hoffmann"]
ORGANISATIONS = ["Stadt Musterstadt", "Landkreis Beispiel", "Gemeinde Nirgendwo", "", "Co:Lab e.V."]
JOB_ROLES = ["Digitalisierung", "Bürgermeisterin", "IT-Leitung", "", "Verwaltung"]

INPUT_RE = re.compile(r"<input\b[^>]*>", re.IGNORECASE | re.DOTALL)
ATTR_RE = re.compile(r'([a-zA-Z_:-]+)\s*=\s*"([^"]*)"')
SEATS_RE = re.compile(
    r'<label for="([^"]+)"[^>]*>.*?class="room-choice-seats">([^<]*)<', re.IGNORECASE | re.DOTALL
)
ERROR_RE = re.compile(
    r'<(?:div|p|span|li)[^>]*class="[^"]*(?:invalid-feedback|errorlist|alert-danger)[^"]*"[^>]*>'
    r"(.*?)</(?:div|p|span|li|ul)>",
    re.IGNORECASE | re.DOTALL,
)
TAG_RE = re.compile(r"<[^>]+>")
# What the seats label of a room choice says (German and English): a seat, a waiting list, no.
WAITLIST_FULL = ("warteliste voll", "waiting list full")
FULL = ("ausgebucht", "full")


@dataclass
class Form:
    token: str | None
    rooms: dict[str, str]  # room value -> "seats", "waitlist" or "closed", in page order
    names: set[str]


def _inputs(page: str) -> list[dict[str, str]]:
    return [
        {k.lower(): html.unescape(v) for k, v in ATTR_RE.findall(tag)}
        for tag in INPUT_RE.findall(page)
    ]


def parse_form(page: str) -> Form:
    """The CSRF token, each room choice with what its label offers, and all field names."""
    inputs = _inputs(page)
    token = next((i.get("value") for i in inputs if i.get("name") == "csrfmiddlewaretoken"), None)
    labels = {for_id: text.lower() for for_id, text in SEATS_RE.findall(page)}
    rooms = {}
    for radio in inputs:
        if radio.get("name") != "room" or "value" not in radio:
            continue
        text = labels.get(radio.get("id", ""), "")
        if any(word in text for word in WAITLIST_FULL):
            rooms[radio["value"]] = "closed"
        elif any(word in text for word in FULL):
            rooms[radio["value"]] = "waitlist"
        else:
            rooms[radio["value"]] = "seats"
    return Form(token=token, rooms=rooms, names={i["name"] for i in inputs if "name" in i})


def first_error(page: str) -> str:
    """The first message next to a field, with numbers as N so that messages group."""
    for match in ERROR_RE.finditer(page):
        text = " ".join(TAG_RE.sub(" ", html.unescape(match.group(1))).split())
        if text:
            return re.sub(r"\d+", "N", text)[:120]
    return "form shown again without a visible error"


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class RushConfig:
    base_url: str
    slug: str
    attendees: int = 2000
    concurrency: int = 32
    deadline: float = 60.0
    waitlist_share: float = 0.8
    english_share: float = 0.2
    double_submit_share: float = 0.02
    follow_redirect: bool = True
    max_tries: int = 3
    seed: int = 8
    run_id: str = "r"
    timeout: float = 30.0

    @property
    def form_url(self) -> str:
        return f"{self.base_url}/events/{self.slug}/register/"


@dataclass
class RushResult:
    started: float = 0.0
    finished: float = 0.0
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"form": [], "submit": [], "follow": []}
    )
    attendees_done: int = 0
    accepted: set[str] = field(default_factory=set)
    rejected: Counter = field(default_factory=Counter)  # form errors: message -> count
    turned_away: Counter = field(default_factory=Counter)  # attendees who found no place
    double_outcomes: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # kind -> count
    error_samples: list[str] = field(default_factory=list)
    missing_fields: set[str] = field(default_factory=set)

    @property
    def seconds(self) -> float:
        return max(self.finished - self.started, 1e-9)

    @property
    def submissions(self) -> int:
        return len(self.latencies["submit"])

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def error(self, kind: str, sample: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{kind}: {sample}"[:300])


# Without a form, the register page explains in a status box why (everything full, closed).
NO_FORM_MARK = 'class="status-box"'
EXPECTED_FIELDS = {
    "first_name",
    "last_name",
    "email",
    "organisation",
    "job_role",
    "room",
    "join_waitlist",
    "consent",
    "homepage",
    "csrfmiddlewaretoken",
}


class Attendee:
    """One person: their data and choices are drawn once from the seeded generator."""

    def __init__(self, number: int, config: RushConfig, rng: random.Random):
        self.number = number
        self.config = config
        self.email = f"rush-{config.run_id}-{number:05d}@example.org"
        self.first_name = rng.choice(FIRST_NAMES)
        self.last_name = rng.choice(LAST_NAMES)
        self.organisation = rng.choice(ORGANISATIONS)
        self.job_role = rng.choice(JOB_ROLES)
        self.accepts_waitlist = rng.random() < config.waitlist_share
        self.double_submit = rng.random() < config.double_submit_share
        self.room_pick = rng.random()
        self.cookies: dict[str, str] = {}
        if rng.random() < config.english_share:
            # koki is German unless the language switcher's cookie says otherwise.
            self.cookies["django_language"] = "en"

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {"Accept-Language": "de-DE,de;q=0.9", "User-Agent": "koki-bench (rush)"}
        headers.update(extra)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def keep_cookies(self, response: aiohttp.ClientResponse) -> None:
        for header in response.headers.getall("Set-Cookie", []):
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value

    def choose(self, rooms: dict[str, str], tried: set[str]) -> tuple[str, bool] | None:
        """A room and whether to join its waiting list, as a person reading the form would.

        Popular rooms first (room 1 draws about three times as many people as room 8); someone
        who does not want a waiting list takes another room with seats while there is one.
        """
        open_rooms = [
            room for room, state in rooms.items() if state != "closed" and room not in tried
        ]
        if not open_rooms:
            return None
        weights = [len(rooms) - index / 2 for index in range(len(open_rooms))]
        target = self.room_pick * sum(weights)
        choice = open_rooms[-1]
        for room, weight in zip(open_rooms, weights, strict=True):
            target -= weight
            if target <= 0:
                choice = room
                break
        if rooms[choice] == "waitlist" and not self.accepts_waitlist:
            with_seats = [room for room in open_rooms if rooms[room] == "seats"]
            if with_seats:
                return with_seats[0], False
        return choice, True

    def form_data(self, token: str, room: str, join_waitlist: bool) -> dict[str, str]:
        data = {
            "csrfmiddlewaretoken": token,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "organisation": self.organisation,
            "job_role": self.job_role,
            "room": room,
            "consent": "on",
            "homepage": "",  # the honeypot stays empty, as for a person
        }
        if join_waitlist:
            data["join_waitlist"] = "on"
        return data


async def _request(session, method, url, result: RushResult, step: str, **kwargs):
    started = time.perf_counter()
    async with session.request(method, url, allow_redirects=False, **kwargs) as response:
        body = await response.text(errors="replace")
    result.latencies[step].append(time.perf_counter() - started)
    return response, body


async def run_attendee(session, attendee: Attendee, config: RushConfig, result: RushResult):
    """Load the form, submit it (another room if the chosen one filled up meanwhile, at most
    `max_tries` times), follow the redirect; some submit the same form a second time."""
    response, page = await _request(
        session, "GET", config.form_url, result, "form", headers=attendee.headers()
    )
    if response.status != 200:
        result.error(f"form GET {response.status}", page[:200])
        return
    attendee.keep_cookies(response)
    tried: set[str] = set()
    for _attempt in range(config.max_tries):
        form = parse_form(page)
        if not form.rooms and NO_FORM_MARK in page:
            result.turned_away["the page says no registration is possible (no form)"] += 1
            return
        if form.token is None or not form.rooms or "csrftoken" not in attendee.cookies:
            result.error("form without CSRF token, cookie or rooms", page[:200])
            return
        result.missing_fields |= EXPECTED_FIELDS - form.names
        choice = attendee.choose(form.rooms, tried)
        if choice is None:
            result.turned_away["no room with a place left in the form"] += 1
            return
        room, join_waitlist = choice
        tried.add(room)
        data = attendee.form_data(form.token, room, join_waitlist)
        headers = attendee.headers(Origin=config.base_url, Referer=config.form_url)
        response, page = await _request(
            session, "POST", config.form_url, result, "submit", data=data, headers=headers
        )
        if response.status in (301, 302, 303):
            break
        if response.status != 200:
            result.error(f"submit {response.status}", page[:200])
            return
        if NO_FORM_MARK in page and not parse_form(page).rooms:
            # Everything filled up meanwhile: the page says so instead of showing the form.
            result.turned_away["the page says no registration is possible (after submitting)"] += 1
            return
        result.rejected[first_error(page)] += 1  # the form again, with the reason
    else:
        result.turned_away[f"gave up after {config.max_tries} rejected submissions"] += 1
        return

    result.accepted.add(attendee.email)
    attendee.keep_cookies(response)
    location = response.headers.get("Location", "")
    if config.follow_redirect and location:
        follow, body = await _request(
            session, "GET", urljoin(config.form_url, location), result, "follow",
            headers=attendee.headers(Referer=config.form_url),
        )  # fmt: skip
        if follow.status != 200 or html.escape(attendee.email) not in body:
            result.error(f"page after registering {follow.status} without the address", body[:200])

    if attendee.double_submit:  # the same form sent again: must not create a second row
        response, page = await _request(
            session, "POST", config.form_url, result, "submit", data=data, headers=headers
        )
        if response.status in (301, 302, 303):
            result.double_outcomes["redirected as the first time"] += 1
        elif response.status == 200:
            result.double_outcomes[f"rejected: {first_error(page)}"] += 1
        else:
            result.error(f"second submit {response.status}", page[:200])


async def _run(config: RushConfig) -> RushResult:
    rng = random.Random(config.seed)
    attendees = [Attendee(number, config, rng) for number in range(config.attendees)]
    queue: asyncio.Queue[Attendee] = asyncio.Queue()
    for attendee in attendees:
        queue.put_nowait(attendee)
    result = RushResult()
    connector = aiohttp.TCPConnector(limit=config.concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=config.timeout)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        result.started = time.perf_counter()
        stop_at = result.started + config.deadline

        async def worker():
            while time.perf_counter() < stop_at:
                try:
                    attendee = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    await run_attendee(session, attendee, config, result)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    result.error(type(exc).__name__, str(exc))
                result.attendees_done += 1

        await asyncio.gather(*(worker() for _ in range(config.concurrency)))
        result.finished = time.perf_counter()
    return result


def run_rush(config: RushConfig) -> RushResult:
    return asyncio.run(_run(config))
