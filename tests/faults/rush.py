"""A registration rush across several app servers, the way a round-robin proxy spreads it.

Each attendee is a browser of its own (its own cookies): it loads the form from one server,
posts it to the next one (the same secret key and database behind both), picks another room when
the form comes back (its room filled up meanwhile) and, once accepted, opens the thank-you page
on the first server again (the signed cookie travels). A 503 or a broken connection is tried
again after a short pause, as a person would click again, until `patience` runs out; every
answer is recorded with its moment. Nobody clicks twice on purpose: every mail a test counts
was caused by one registration.
"""

from __future__ import annotations

import asyncio
import html
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from tests.faults.stack import SLUG, AppServer

REGISTER = f"/events/{SLUG}/register/"
DONE = f"/events/{SLUG}/register/done/"
TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ROOM_RE = re.compile(r'name="room" value="([^"]+)".*?class="room-choice-seats">([^<]*)<', re.S)
ERROR_RE = re.compile(r'id="error-summary"')
NO_FORM = 'class="status-box"'  # the page explains why there is no form: everything is full


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    page: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Unavailable:
    """A 503: when it was sent and answered, by which server, its Retry-After, whether it was
    koki's 503 page."""

    sent: float
    answered: float
    server: str
    retry_after: str | None
    page: bool


@dataclass
class Result:
    accepted: dict[str, str] = field(default_factory=dict)  # address → server that said 302
    refused: set[str] = field(default_factory=set)  # found every room and waiting list full
    gave_up: dict[str, str] = field(default_factory=dict)  # address → the last problem
    unexpected: list[str] = field(default_factory=list)  # answers that should never come
    statuses: Counter = field(default_factory=Counter)  # every answer's status
    unavailable: list[Unavailable] = field(default_factory=list)
    broken: list[tuple[float, str, str]] = field(default_factory=list)  # (moment, server, error)
    started: float = 0.0
    seconds: float = 0.0


class GaveUp(Exception):
    pass


def rooms_offered(page: str) -> dict[str, str]:
    """Each room's choice with what its label offers: "seats", "waiting list" or "full"."""
    rooms = {}
    for value, label in ROOM_RE.findall(page):
        label = label.lower()
        if "warteliste voll" in label or "waiting list full" in label:
            rooms[value] = "full"
        elif "ausgebucht" in label or "full" in label:
            rooms[value] = "waiting list"
        else:
            rooms[value] = "seats"
    return rooms


class Browser:
    def __init__(self, session: aiohttp.ClientSession):
        self.session = session
        self.cookies: dict[str, str] = {}

    async def request(self, server: AppServer, method: str, path: str, data=None) -> Answer:
        headers = {"Accept-Language": "de-DE,de;q=0.9", "User-Agent": "koki-faults"}
        if method == "POST":  # as the browser sends it, through the one proxy
            headers |= {"Origin": server.url, "Referer": server.url + path}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        async with self.session.request(
            method, server.url + path, data=data, headers=headers, allow_redirects=False
        ) as response:
            page = await response.text()
        self.cookies |= {name: morsel.value for name, morsel in response.cookies.items()}
        return Answer(
            response.status, response.headers.get("Location", ""), page, dict(response.headers)
        )


class Rush:
    """`attendees` attendees, `concurrency` at a time, alternating over `servers`;
    `on_accepted(n)` is called (in the event loop: keep it short) after the n-th acceptance."""

    def __init__(
        self,
        servers: list[AppServer],
        *,
        attendees: int,
        concurrency: int = 16,
        deadline: float = 90,
        patience: float = 45,
        on_accepted: Callable[[int], None] | None = None,
        prefix: str = "rush",
    ):
        self.servers, self.attendees, self.concurrency = servers, attendees, concurrency
        self.deadline, self.patience = deadline, patience
        self.on_accepted = on_accepted or (lambda count: None)
        self.prefix = prefix
        self.result = Result()

    def address(self, number: int) -> str:
        return f"{self.prefix}-{number:04d}@example.org"

    def run(self) -> Result:
        asyncio.run(self._run())
        return self.result

    async def _run(self) -> None:
        numbers = iter(range(self.attendees))
        connector = aiohttp.TCPConnector(limit=self.concurrency)
        async with aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=30),
            cookie_jar=aiohttp.DummyCookieJar(),  # each Browser keeps its own
        ) as session:
            self.result.started = time.monotonic()

            async def one_at_a_time() -> None:
                for number in numbers:
                    if time.monotonic() - self.result.started > self.deadline:
                        return
                    try:
                        await self.attendee(session, number)
                    except GaveUp as problem:
                        self.result.gave_up[self.address(number)] = str(problem)

            await asyncio.gather(*(one_at_a_time() for _ in range(self.concurrency)))
            self.result.seconds = time.monotonic() - self.result.started

    async def send(self, browser: Browser, server: AppServer, method: str, path: str, data=None):
        """One request, tried again after a 503 or a broken connection until `patience` ends."""
        give_up_at = time.monotonic() + self.patience
        while True:
            sent = time.monotonic()
            try:
                answer = await browser.request(server, method, path, data)
            except (aiohttp.ClientError, TimeoutError) as error:
                problem = f"{method} {path}: {type(error).__name__}"
                self.result.broken.append((time.monotonic(), server.name, problem))
            else:
                self.result.statuses[answer.status] += 1
                if answer.status != 503:
                    return answer
                problem = f"{method} {path}: 503"
                self.result.unavailable.append(
                    Unavailable(
                        sent=sent,
                        answered=time.monotonic(),
                        server=server.name,
                        retry_after=answer.headers.get("Retry-After"),
                        page="<h1>Vorübergehend nicht erreichbar</h1>" in answer.page,
                    )
                )
            if time.monotonic() > give_up_at:
                raise GaveUp(problem)
            await asyncio.sleep(0.3)

    async def attendee(self, session: aiohttp.ClientSession, number: int) -> None:
        rng, email = random.Random(number), self.address(number)
        form_server = self.servers[number % len(self.servers)]
        post_server = self.servers[(number + 1) % len(self.servers)]
        browser = Browser(session)
        answer = await self.send(browser, form_server, "GET", REGISTER)
        tried: set[str] = set()
        while True:
            token, rooms = TOKEN_RE.search(answer.page), rooms_offered(answer.page)
            if answer.status == 200 and NO_FORM in answer.page and not rooms:
                self.result.refused.add(email)
                return
            if answer.status != 200 or not (token and rooms):
                self.result.unexpected.append(f"{email}: {answer.status} {answer.page[:300]}")
                return
            open_rooms = [r for r, offer in rooms.items() if offer != "full" and r not in tried]
            if not open_rooms:
                self.result.refused.add(email)
                return
            popularity = [2 * len(open_rooms) - i for i in range(len(open_rooms))]  # the first most
            room = rng.choices(open_rooms, popularity)[0]
            tried.add(room)
            data = {
                "csrfmiddlewaretoken": token[1],
                "first_name": "Person",
                "last_name": str(number),
                "email": email,
                "organisation": "",
                "job_role": "",
                "room": room,
                "consent": "on",
                "join_waitlist": "on",
                "homepage": "",  # the honeypot stays empty
            }
            answer = await self.send(browser, post_server, "POST", REGISTER, data)
            if answer.status == 302 and answer.location.endswith(DONE):
                break
            if answer.status == 200 and (ERROR_RE.search(answer.page) or NO_FORM in answer.page):
                continue  # the room filled up meanwhile: another room, or everything is full
            self.result.unexpected.append(f"{email}: POST {answer.status} {answer.page[:300]}")
            return
        self.result.accepted[email] = post_server.name
        self.on_accepted(len(self.result.accepted))
        done = await self.send(browser, form_server, "GET", DONE)
        if done.status != 200 or html.escape(email) not in done.page:
            self.result.unexpected.append(f"{email}: thank-you page {done.status} without it")
