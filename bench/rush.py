"""The registration rush: simulated attendees load the form and submit it, many at once.

Each attendee is a new browser: it loads the form (which sets the CSRF cookie), reads the token
and each room's seat label, posts every field with the cookie and an Origin header, picks
another room when the form comes back (its room filled up meanwhile), follows the redirect and
checks that the page names its address. 20 % use the English language cookie; 2 % send their
form twice (a double click), which must not store them twice.
"""

import asyncio
import html
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import aiohttp

TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ROOM_RE = re.compile(r'name="room" value="([^"]+)".*?class="room-choice-seats">([^<]*)<', re.S)
ERROR_RE = re.compile(r'id="error-summary".*?<li>(?:<a [^>]*>)?([^<]*)<', re.S)
NO_FORM = 'class="status-box"'  # the page explains why there is no form: everything is full
FIRST_NAMES = ["Anna", "Jörg", "Özlem", "Ben", "Lea", "Mehmet", "Sophie", "Jürgen", "Fatma"]
LAST_NAMES = ["Müller", "Schmidt", "Yılmaz", "Weiß", "Nguyen", "Kowalski", "Becker"]
ORGANISATIONS = ["Stadt Musterstadt", "Landkreis Beispiel", "", "Co:Lab e.V."]


@dataclass
class Result:
    latencies: dict = field(default_factory=lambda: {"form": [], "submit": [], "follow": []})
    accepted: set = field(default_factory=set)
    outcomes: Counter = field(default_factory=Counter)  # what else happened, for the table
    errors: list = field(default_factory=list)
    done: int = 0
    seconds: float = 0.0


class Browser:
    """One attendee's browser on the shared connection pool: its own cookies."""

    def __init__(self, session: aiohttp.ClientSession, result: Result, english: bool = False):
        self.session, self.result = session, result
        self.cookies = {"django_language": "en"} if english else {}

    async def request(self, step: str, method: str, url: str, data=None):
        headers = {"Accept-Language": "de-DE,de;q=0.9", "User-Agent": "koki-bench"}
        if method == "POST":
            parts = urlsplit(url)
            headers |= {"Origin": f"{parts.scheme}://{parts.netloc}", "Referer": url}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        async with self.session.request(
            method, url, data=data, headers=headers, allow_redirects=False
        ) as response:
            page = await response.text()
        self.result.latencies[step].append(time.perf_counter() - started)
        self.cookies |= {name: morsel.value for name, morsel in response.cookies.items()}
        return response.status, response.headers.get("Location", ""), page


def rooms_offered(page: str) -> dict[str, str]:
    """Each room's choice with what its label offers: "seats", "waiting list" or "full"."""
    rooms = {}
    for value, label in ROOM_RE.findall(page):
        label = label.lower()
        full = "ausgebucht" in label or "full" in label
        waiting_list_full = "warteliste voll" in label or "waiting list full" in label
        rooms[value] = "full" if waiting_list_full else "waiting list" if full else "seats"
    return rooms


def choose(rooms: dict[str, str], tried: set, rng: random.Random, waits: bool):
    """A room as a person reading the form picks one: the first rooms are the most popular; who
    does not want a waiting list takes a room with seats while there is one."""
    open_rooms = [room for room, offer in rooms.items() if offer != "full" and room not in tried]
    if not open_rooms:
        return None
    room = rng.choices(open_rooms, [2 * len(open_rooms) - i for i in range(len(open_rooms))])[0]
    with_seats = [room for room in open_rooms if rooms[room] == "seats"]
    if rooms[room] == "waiting list" and not waits and with_seats:
        return with_seats[0]
    return room


async def attendee(session, number: int, form_url: str, result: Result) -> None:
    rng = random.Random(number)
    browser = Browser(session, result, english=rng.random() < 0.2)
    if browser.cookies:  # English at its own address (a German one would lead there first)
        form_url = form_url.replace("/events/", "/en/events/", 1)
    email = f"rush-{number:05d}@example.org"
    waits, clicks_twice = rng.random() < 0.8, rng.random() < 0.02
    status, _, page = await browser.request("form", "GET", form_url)
    tried = set()
    for _attempt in range(3):
        token, rooms = TOKEN_RE.search(page), rooms_offered(page)
        if status != 200 or not (token and rooms):
            if status == 200 and NO_FORM in page:
                result.outcomes["found no form (all full)"] += 1
            else:
                result.errors.append(f"{status} without a form: {page[:300]}")
            return
        room = choose(rooms, tried, rng, waits)
        if room is None:
            result.outcomes["found no room with a place"] += 1
            return
        tried.add(room)
        data = {
            "csrfmiddlewaretoken": token[1],
            "first_name": rng.choice(FIRST_NAMES),
            "last_name": rng.choice(LAST_NAMES),
            "email": email,
            "organisation": rng.choice(ORGANISATIONS),
            "job_role": "",
            "room": room,
            "consent": "on",
            "homepage": "",  # the honeypot stays empty
        }
        if waits or rooms[room] != "seats":  # ticked as the form offers it, unless seats are left
            data["join_waitlist"] = "on"
        status, location, page = await browser.request("submit", "POST", form_url, data)
        if status == 302:
            break
        if status == 200 and (error := ERROR_RE.search(page)):
            result.outcomes[f"sent back: “{re.sub(r'\d+', 'N', error[1].strip())}”"] += 1
    else:
        result.outcomes["gave up after 3 tries"] += 1
        return
    result.accepted.add(email)
    status, _, page = await browser.request("follow", "GET", urljoin(form_url, location))
    if status != 200 or html.escape(email) not in page:
        result.errors.append(f"the page after registering: {status} without {email}")
    if clicks_twice:  # the same form once more: redirected again or refused, never stored twice
        status, _, page = await browser.request("submit", "POST", form_url, data)
        result.outcomes["double submits"] += 1
        if status not in (200, 302):
            result.errors.append(f"second submit: {status} {page[:300]}")


def session(concurrency: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency),
        timeout=aiohttp.ClientTimeout(total=30),
        cookie_jar=aiohttp.DummyCookieJar(),  # each Browser keeps its own
    )


async def warm_up(form_url: str, visits: int = 60) -> None:
    """The form and a refused submission (no consent: nothing stored), 12 at a time, so that
    every worker has compiled its templates before the rush, as the event page's visitors
    would have made it in production."""
    async with session(12) as shared:

        async def visit() -> int:
            browser = Browser(shared, Result())
            status, _, page = await browser.request("form", "GET", form_url)
            if status != 200 or not (token := TOKEN_RE.search(page)):
                return status
            data = {"csrfmiddlewaretoken": token[1], "email": "x@example.org"}
            return (await browser.request("submit", "POST", form_url, data))[0]

        statuses = set(await asyncio.gather(*(visit() for _ in range(visits))))
    if statuses != {200}:
        raise SystemExit(f"bench: the warm-up's refused submissions answered {statuses}")


async def rush(form_url: str, attendees: int, concurrency: int, deadline: float) -> Result:
    """`attendees` attendees, `concurrency` at a time; none starts after `deadline` seconds."""
    result, numbers = Result(), iter(range(attendees))
    async with session(concurrency) as shared:
        started = time.perf_counter()

        async def one_at_a_time() -> None:
            for number in numbers:
                if time.perf_counter() - started > deadline:
                    return
                try:
                    await attendee(shared, number, form_url, result)
                except (aiohttp.ClientError, TimeoutError) as error:
                    result.errors.append(f"{type(error).__name__}: {error}")
                result.done += 1

        await asyncio.gather(*(one_at_a_time() for _ in range(concurrency)))
        result.seconds = time.perf_counter() - started
    return result
