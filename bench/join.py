"""The join-link rush: at 09:59 every attendee clicks their personal plenary link at once.

Target: 1,000 clicks within a minute, p99 < 200 ms. The same stack as bench/run.py (its code
starts and stops it), on its own database `bench_join`, Redis db 6 and 127.0.0.1:8106:
`migrate`, `collectstatic`, `load_koki_demo`, the demo event moved to start in a few minutes
(so that the plenary link is open), its 8 rooms raised to 125 seats and 1,000 confirmed
registrations created directly (each with its own token). Then, after a warm-up of HEAD
requests (which take the whole view's path but record nothing), three rounds of GET
/r/<token>/join/plenary/ on the 1,000 distinct links, redirects not followed:

0. first clicks, 1,000 at random moments within 60 s (the target's load: each click's time
   counts from its scheduled moment); then the attendance is cleared;
1. first clicks, 1,000 in 60 s: 20 bursts of 50 simultaneous clicks, one burst every 3 s (each
   click's time counts from its scheduled moment, also while it waits for a connection): all at
   once, harsher;
2. repeat clicks: the same 1,000 links again, as fast as 50 connections go (nothing new stored);
3. first clicks again, as fast as 50 connections go (the attendance cleared before): harsher than
   the target's minute.

Between 2 and 3, the same load on /bench/hello/ (no database, the whole middleware stack): what
the stack and the machine give at that moment, a reference for the rounds beside it.

Every answer must be a 302 to the event's plenary address; after each round the database must
hold exactly 1,000 plenary attendance rows and 1,000 registrations with `attended_at`, and the
repeat round must leave every first click's time as it was. Finally, in this process with
Django's test client (no gunicorn, no network): the queries of a first and of a repeat click,
their CPU against the hello world's, and a profile of what the view calls. Exit status 1 when a
request failed, the server logged an error or the database disagrees; a missed p99 only shows
as FAIL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import random
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import run

DATABASE = "bench_join"
REDIS_URL = "redis://127.0.0.1:6379/6"
BASE_URL = "http://127.0.0.1:8106"
ATTENDEES, CONNECTIONS = 1000, 50
BURSTS, BURST_EVERY = 20, 3.0  # 20 × 50 clicks, one burst every 3 s: 1,000 in a minute
MINUTE = 60.0
ROOMS, SEATS = 8, 125  # the demo's 8 rooms, raised from 40 seats so that 1,000 fit
STARTS_IN = dt.timedelta(minutes=5)  # the plenary link opens 15 minutes before the start
TARGET_P99 = 0.2
PROFILED = 200  # clicks timed and profiled in this process
HEADERS = {"Accept-Language": "de-DE,de;q=0.9", "User-Agent": "koki-bench"}


# --- the event and its attendees ---------------------------------------------------------------
def prepare() -> tuple[list[str], str]:
    """The demo event starting in a few minutes, 1,000 confirmed registrations in its rooms:
    their tokens, and the plenary address every click must lead to."""
    from django.core.management import call_command
    from django.utils import timezone

    from events.demo import ZONE
    from events.models import Event
    from registrations.models import Registration

    run.prepare(capacity=SEATS, waiting_list=0)
    starts = timezone.localtime(timezone.now() + STARTS_IN, ZONE)
    call_command(
        "load_koki_demo",
        date=starts.date().isoformat(),
        start=starts.strftime("%H:%M"),
        stdout=io.StringIO(),
    )
    event = Event.objects.get(slug=run.SLUG)
    rooms = list(event.rooms.order_by("number"))
    now = timezone.now()
    Registration.objects.bulk_create(
        (
            Registration(
                event=event,
                room=rooms[number % len(rooms)],
                status=Registration.Status.CONFIRMED,
                first_name="Erika",
                last_name=f"Teilnehmerin {number}",
                email=f"join-{number:04d}@example.org",
                consent_at=now,
                privacy_notice_version=event.organiser.privacy_notice_version,
                email_confirmed_at=now,
            )  # the token: its field's default, a new one for each
            for number in range(ATTENDEES)
        ),
        batch_size=500,
    )
    tokens = list(event.registrations.values_list("token", flat=True))
    assert len(set(tokens)) == ATTENDEES, "every attendee has a token of their own"
    return tokens, event.plenary_join_url


def database_state() -> dict:
    """What the clicks left: plenary attendance rows, registrations with attended_at, and
    each first click's time (attended_at) per registration."""
    from registrations.models import Attendance, Registration

    registrations = Registration.objects.filter(event__slug=run.SLUG)
    return {
        "rows": Attendance.objects.filter(
            registration__event__slug=run.SLUG,
            room=None,
            source=Attendance.Source.JOIN_LINK,
        ).count(),
        "attended": registrations.filter(attended_at__isnull=False).count(),
        "times": dict(registrations.values_list("pk", "attended_at")),
    }


def attendance_clear() -> None:
    """Nobody has clicked yet: the next round's clicks are first clicks again."""
    from registrations.models import Attendance, Registration

    Attendance.objects.filter(registration__event__slug=run.SLUG).delete()
    Registration.objects.filter(event__slug=run.SLUG).update(attended_at=None)


# --- the clicks --------------------------------------------------------------------------------
@dataclass
class Round:
    latencies: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    seconds: float = 0.0


def session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=CONNECTIONS),
        timeout=aiohttp.ClientTimeout(total=30),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


async def click(shared, method: str, url: str, expected: str | None, result: Round, since=None):
    """One click, not following the redirect: a 302 to `expected` (None: a 200); its time from
    `since` (default: now)."""
    started = time.perf_counter() if since is None else since
    try:
        async with shared.request(method, url, headers=HEADERS, allow_redirects=False) as response:
            await response.read()
    except (aiohttp.ClientError, TimeoutError) as error:
        result.errors.append(f"{type(error).__name__}: {error}")
        return
    result.latencies.append(time.perf_counter() - started)
    location = response.headers.get("Location", "")
    if (response.status, location) != ((302, expected) if expected else (200, "")):
        result.errors.append(f"{response.status} to {location!r}")


async def as_fast_as_possible(urls: list[str], expected: str | None, method="GET") -> Round:
    """Every url once, CONNECTIONS at a time, each connection's next click right after its last."""
    result, queue = Round(), iter(urls)
    async with session() as shared:
        started = time.perf_counter()

        async def connection() -> None:
            for url in queue:
                await click(shared, method, url, expected, result)

        await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
        result.seconds = time.perf_counter() - started
    return result


async def at_random_moments(urls: list[str], expected: str) -> Round:
    """Each url once, at a random moment within MINUTE seconds (the same moments every run)."""
    moments = random.Random(1959).uniform
    result = Round()
    async with session() as shared:
        started = time.perf_counter()

        async def scheduled(url: str, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            await click(shared, "GET", url, expected, result, since=at)

        await asyncio.gather(*(scheduled(url, started + moments(0, MINUTE)) for url in urls))
        result.seconds = time.perf_counter() - started
    return result


async def in_bursts(urls: list[str], expected: str) -> Round:
    """BURSTS bursts of simultaneous clicks, BURST_EVERY seconds apart; a click that has to wait
    for a connection (the last burst still busy) counts that wait."""
    result, size = Round(), -(-len(urls) // BURSTS)
    async with session() as shared:
        started = time.perf_counter()

        async def scheduled(url: str, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            await click(shared, "GET", url, expected, result, since=at)

        await asyncio.gather(
            *(
                scheduled(url, started + (index // size) * BURST_EVERY)
                for index, url in enumerate(urls)
            )
        )
        result.seconds = time.perf_counter() - started
    return result


# --- what one click costs ----------------------------------------------------------------------
def click_cost(tokens: list[str], clicks: int = PROFILED) -> dict:
    """Where a click's time goes, in this process through the whole middleware stack (Django's
    test client), in a transaction rolled back at the end: the SQL of a first and of a repeat
    click with each statement's time; the CPU per click of `clicks` first clicks, of the same
    links' repeat clicks and of the hello world; and, profiled on `clicks` other first clicks,
    the view's share of the request and each of its calls' share of the view."""
    import cProfile
    import pstats

    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    urls = [f"/r/{token}/join/plenary/" for token in tokens]
    hello = ["/bench/hello/"] * clicks

    def cpu_per_request(paths: list[str]) -> float:
        started = time.process_time()
        for path in paths:
            status = client.get(path).status_code
            assert status == (200 if path in hello else 302), f"{path}: {status}"
        return (time.process_time() - started) / len(paths)

    cost = {}
    with transaction.atomic():
        attendance_clear()
        cpu_per_request(hello[:20])  # the code paths warm
        for name in ("first click", "repeat click"):
            with CaptureQueriesContext(connection) as captured:
                cpu_per_request(urls[:1])
            cost[name] = [(q["sql"], float(q["time"])) for q in captured.captured_queries]
        timed, profiled = urls[1 : 1 + clicks], urls[1 + clicks : 1 + 2 * clicks]
        cost["cpu"] = {
            "first click": cpu_per_request(timed),
            "repeat click": cpu_per_request(timed),
            "hello world": cpu_per_request(hello),
        }
        profile = cProfile.Profile(time.process_time)
        profile.runcall(cpu_per_request, profiled)
        transaction.set_rollback(True)
    stats = pstats.Stats(profile).stats  # {function: (calls, calls, own, cumulative, callers)}
    request = max(entry[3] for entry in stats.values())
    view = next(key for key in stats if key[2] == "join" and key[0].endswith("eventday.py"))
    in_view = stats[view][3]
    calls = {
        f"{Path(key[0]).stem}.{key[2]}": callers[view][3] / in_view
        for key, (*_, callers) in stats.items()
        if view in callers
    }
    cost["profile"] = {"view": in_view / request, "calls": calls}
    return cost


# --- the table ---------------------------------------------------------------------------------
def measure(name: str, clicks, server, problems: list, rows: list, target=True) -> Round:
    cpu, mine = run.cpu_seconds(server, DATABASE), resource.getrusage(resource.RUSAGE_SELF)
    result = asyncio.run(clicks)
    after, mine_after = run.cpu_seconds(server, DATABASE), resource.getrusage(resource.RUSAGE_SELF)
    client = mine_after.ru_utime + mine_after.ru_stime - mine.ru_utime - mine.ru_stime
    count = len(result.latencies) + len(result.errors)
    server_cpu = run.cpu_per(cpu, after, count)
    p99 = run.percentile(result.latencies, 99)
    rows.append(
        [
            name,
            f"{count:,}",
            f"{len(result.errors)}",
            f"{count / result.seconds:,.0f}/s in {result.seconds:.1f} s",
            *(ms(run.percentile(result.latencies, pct)) for pct in (50, 95)),
            ms(p99),
            ms(max(result.latencies, default=float("nan"))),
            f"{server_cpu} (load generator {client * 1000 / max(count, 1):.1f} ms)",
            ("PASS" if p99 < TARGET_P99 and not result.errors else "FAIL") if target else "",
        ]
    )
    problems += [f"{name}: {error}" for error in result.errors[:5]]
    return result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def check(name: str, state: dict, lines: list, problems: list, before: dict | None = None):
    """Exactly ATTENDEES rows and attended_at set; with `before`, no first click's time moved."""
    fine = state["rows"] == ATTENDEES and state["attended"] == ATTENDEES
    what = f"{state['rows']:,} plenary attendance rows, {state['attended']:,} attended_at set"
    if before is not None:
        moved = sum(state["times"][pk] != at for pk, at in before["times"].items())
        fine = fine and not moved
        what += f", {moved} first-click times changed"
    lines.append(f"- database after {name}: {what} {'✓' if fine else '✗'}")
    if not fine:
        problems.append(f"database after {name}: {what}; expected {ATTENDEES:,} each")


def main() -> int:
    started, load = time.monotonic(), " ".join(Path("/proc/loadavg").read_text().split()[:3])
    rows, lines, problems = [], [], []
    with run.stack(database=DATABASE, redis_url=REDIS_URL, base_url=BASE_URL) as (tmp, postgres):
        tokens, plenary = prepare()
        urls = [f"{BASE_URL}/r/{token}/join/plenary/" for token in tokens]
        error_log = tmp / "gunicorn.log"
        with run.serve(error_log, BASE_URL) as server:
            run.log(f"warm-up: HEAD on the {ATTENDEES} links (nothing recorded)")
            warm = asyncio.run(as_fast_as_possible(urls, plenary, method="HEAD"))
            if warm.errors or database_state()["rows"]:
                raise SystemExit(f"bench: the warm-up failed: {warm.errors[:5]}")
            run.log(f"first clicks: {ATTENDEES} at random moments within {MINUTE:.0f} s")
            measure(
                f"first clicks: {ATTENDEES:,} at random moments within {MINUTE:.0f} s",
                at_random_moments(urls, plenary), server, problems, rows,
            )  # fmt: skip
            check("the first clicks within a minute", database_state(), lines, problems)
            attendance_clear()
            run.log(f"first clicks: {ATTENDEES} in {BURSTS} bursts, {BURST_EVERY:.0f} s apart")
            measure(
                f"first clicks: {ATTENDEES:,} in {BURSTS} bursts of "
                f"{ATTENDEES // BURSTS} within {BURSTS * BURST_EVERY:.0f} s",
                in_bursts(urls, plenary), server, problems, rows,
            )  # fmt: skip
            first = database_state()
            check("the first clicks", first, lines, problems)
            run.log(f"repeat clicks: {ATTENDEES}, {CONNECTIONS} connections")
            measure(
                f"repeat clicks: the same {ATTENDEES:,}, {CONNECTIONS} connections flat out",
                as_fast_as_possible(urls, plenary), server, problems, rows,
            )  # fmt: skip
            check("the repeat clicks", database_state(), lines, problems, before=first)
            run.log(f"hello world: {ATTENDEES}, {CONNECTIONS} connections")
            measure(
                f"reference: hello world (no database), {ATTENDEES:,}, {CONNECTIONS} connections "
                "flat out",
                as_fast_as_possible([f"{BASE_URL}/bench/hello/"] * ATTENDEES, None),
                server, problems, rows, target=False,
            )  # fmt: skip
            attendance_clear()
            run.log(f"first clicks again: {ATTENDEES}, {CONNECTIONS} connections")
            measure(
                f"first clicks: {ATTENDEES:,}, {CONNECTIONS} connections flat out",
                as_fast_as_possible(urls, plenary), server, problems, rows,
            )  # fmt: skip
            check("the first clicks flat out", database_state(), lines, problems)
        logged = run.logged_errors(error_log)
        problems += [f"server log: {n} × {line[:300]}" for line, n in logged.items()]
        lines.append(f"- server log: {logged.total()} errors {'✗' if logged else '✓'}")
        run.log(f"in-process: the queries of a click; {PROFILED} clicks timed, {PROFILED} profiled")
        cost = click_cost(tokens)
    header = [
        f"koki bench: the join-link rush (`bench/join.py`, {time.monotonic() - started:.0f} s)",
        *run.machine_lines(load, postgres),
        f"- {ATTENDEES:,} confirmed registrations in {ROOMS} rooms of {SEATS} seats; GET "
        "/r/<token>/join/plenary/ on distinct links, redirects not followed, every answer "
        f"checked: 302 to {plenary}",
    ]
    print("\n" + "\n".join(header) + "\n")
    print(
        "| scenario | requests | errors | throughput | p50 | p95 | p99 | max "
        f"| server CPU per click (app + db) | p99 < {TARGET_P99 * 1000:.0f} ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |")
    for cells in rows:
        print("| " + " | ".join(cells) + " |")
    print("\n" + "\n".join(lines))
    for name in ("first click", "repeat click"):
        statements = cost[name]
        total = sum(seconds for _sql, seconds in statements) * 1000
        print(f"- queries per {name}: {len(statements)} ({total:.0f} ms round trips, in-process)")
        for sql, seconds in statements:
            print(f"    {seconds * 1000:3.0f} ms  {sql[:140]}")
    cpu = ", ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in cost["cpu"].items())
    print(f"- CPU per request in-process (no gunicorn, no network; {PROFILED} each): {cpu}")
    calls = sorted(cost["profile"]["calls"].items(), key=lambda item: -item[1])
    calls = [(name, share) for name, share in calls if share >= 0.01]
    print(
        f"- a first click's CPU, profiled: the view {cost['profile']['view']:.0%} of the "
        "request; of the view: " + ", ".join(f"{name} {share:.0%}" for name, share in calls)
    )
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
