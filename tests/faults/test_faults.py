"""Faults on the production stack (two app servers, two task workers): PostgreSQL restarted and
a gunicorn worker killed during a registration rush; the mail server refusing, then hanging.

What must hold every time: nobody is told "registered" (302 to the thank-you page) without
being stored, nobody is stored twice, no room takes more than it has, and every queued mail
reaches the mail server once in the end, never twice.
"""

import math
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from tests.faults import audit
from tests.faults.rush import Result, Rush
from tests.faults.stack import MAIL_TIMEOUT, wait_until

pytestmark = pytest.mark.faults

ATTENDEES = 200
CAPACITY, WAITING_LIST = 10, 10  # 8 rooms: 160 places for 200 attendees
PLACES = 8 * (CAPACITY + WAITING_LIST)


def assert_stored_once_within_capacity(stack, result: Result) -> None:
    assert result.unexpected == []
    assert result.gave_up == {}
    assert len(result.accepted) == PLACES
    assert len(result.refused) == ATTENDEES - PLACES
    rooms = stack.query(audit.rooms)
    assert [room for room in rooms if room.over] == []
    assert [(r.held, r.waiting) for r in rooms] == [(CAPACITY, WAITING_LIST)] * 8
    # Every accepted registration stored exactly once, and nothing else: a registration whose
    # answer was lost is sent again by its attendee and then answered like a new one.
    assert stack.query(audit.stored) == Counter(dict.fromkeys(result.accepted, 1))


def timeline(result: Result, marks: list[tuple[float, str]]) -> str:
    """The test's faults and, between them, the rush's 503s and broken connections (counted per
    server), in seconds from the rush's start."""
    events = [(answer.answered, "503", answer.server) for answer in result.unavailable]
    events += [(moment, "broken connection", server) for moment, server, _ in result.broken]
    events += [(moment, what, "") for moment, what in marks]
    lines, run = [], []

    def flush() -> None:
        if run:
            servers = Counter(server for _, _, server in run)
            each = ", ".join(f"{name} {n}" for name, n in sorted(servers.items()))
            lines.append(
                f"  {run[0][0] - result.started:5.1f}–{run[-1][0] - result.started:5.1f} s: "
                f"{len(run)} × {run[0][1]} ({each})"
            )
            run.clear()

    for event in sorted(events):
        if not event[2]:  # a mark
            flush()
            lines.append(f"  {event[0] - result.started:5.1f} s: {event[1]}")
        else:
            if run and run[0][1] != event[1]:
                flush()
            run.append(event)
    flush()
    return "\n".join(lines)


# --- PostgreSQL restarted ---------------------------------------------------------------------

DOWN_SECONDS = 3  # the second outage: stopped, down this long, started


def test_database_restart_mid_rush_answers_503_and_loses_nothing(stack):
    stack.set_capacities(capacity=CAPACITY, waiting_list_size=WAITING_LIST)
    stack.start(servers=2, processes=2, workers=2)
    outages: list[tuple[float, float, str]] = []
    marks: list[tuple[float, str]] = []

    def restart() -> None:
        began = time.monotonic()
        stack.postgres.restart()
        outages.append((began, time.monotonic(), "pg_ctl restart -m fast"))

    def stop_and_start() -> None:
        began = time.monotonic()
        stack.postgres.pg_ctl("stop", "-m", "fast")
        time.sleep(DOWN_SECONDS)
        stack.postgres.pg_ctl("start")
        outages.append((began, time.monotonic(), f"pg_ctl stop -m fast, {DOWN_SECONDS} s, start"))

    plan = {40: restart, 100: stop_and_start}
    faults: list[Future] = []
    with ThreadPoolExecutor(max_workers=1) as pool:

        def on_accepted(count: int) -> None:
            if fault := plan.get(count):
                faults.append(pool.submit(fault))

        result = Rush(stack.servers, attendees=ATTENDEES, on_accepted=on_accepted).run()
    for fault in faults:
        fault.result()  # its error, if any
    for began, ended, what in outages:
        marks += [(began, f"PostgreSQL: {what}"), (ended, "PostgreSQL answers again")]
    print(f"rush: {len(result.accepted)} accepted in {result.seconds:.1f} s")
    print(timeline(result, marks))

    # During the outages the servers said 503 with Retry-After (the 503 page), never 500;
    # once PostgreSQL answered again, so did they, without a restart.
    assert len(outages) == 2
    assert result.unavailable, "no request met an outage"
    assert {(answer.retry_after, answer.page) for answer in result.unavailable} == {("60", True)}
    assert set(result.statuses) <= {200, 302, 503}
    assert result.broken == []
    # Each 503 answered a request that was under way during an outage.
    unexplained = [
        answer
        for answer in result.unavailable
        if not any(answer.sent <= ended and answer.answered >= began for began, ended, _ in outages)
    ]
    slowest = max((a.answered - a.sent for a in result.unavailable), default=0)
    print(f"503s: the slowest came {slowest:.2f} s after its request")
    assert unexplained == []
    assert_stored_once_within_capacity(stack, result)

    # The task workers carry on (db_worker stops at the first database error: it is started
    # again here, as a supervisor would, and that is reported).
    if stack.worker_command == "koki_worker":
        assert [worker.alive() for worker in stack.workers] == [True, True]
    stack.wait_for_mails(timeout=60, supervise=stack.worker_command != "koki_worker")
    print(f"task worker: {stack.worker_command}; ended and started again: {stack.worker_deaths}")
    if stack.worker_command == "koki_worker":
        assert stack.worker_deaths == []

    # Every queued mail went out once, never twice; one that an outage interrupted after it was
    # taken is recorded as failed (it may have gone out: koki does not send it again by itself).
    queued, delivered = stack.query(audit.mails_queued), stack.mail.per_recipient()
    failed = stack.query(audit.mails_failed)
    print(f"mails: {queued.total()} queued, {delivered.total()} arrived, {failed.total()} failed")
    for address, attempt, exception, last_line in stack.query(audit.failed_mail_details):
        print(f"  failed: attempt {attempt}, {exception} ({last_line}); "
              f"arrived {delivered[address]} of {queued[address]}")  # fmt: skip
    assert {a: n for a, n in delivered.items() if n > queued[a]} == {}, "a mail arrived twice"
    assert {a: queued[a] - delivered[a] for a in queued if delivered[a] < queued[a]} == {
        a: n for a, n in failed.items() if delivered[a] < queued[a]
    }, "a mail neither arrived nor is listed as failed"
    assert set(delivered) <= set(result.accepted)
    print("server log:", *stack.server_errors()[:10], sep="\n  ")


# --- A gunicorn worker killed -------------------------------------------------------------------


def test_killed_app_worker_loses_no_accepted_registration(stack):
    stack.set_capacities(capacity=CAPACITY, waiting_list_size=WAITING_LIST)
    stack.start(servers=2, processes=2, workers=2)
    server_a, server_b = stack.servers
    plan = {30: server_a, 70: server_b, 110: server_a}
    kills: list[tuple[float, str]] = []

    def on_accepted(count: int) -> None:
        if server := plan.get(count):
            pid = server.kill_worker()
            kills.append((time.monotonic(), f"SIGKILL to gunicorn {server.name}'s worker {pid}"))

    result = Rush(stack.servers, attendees=ATTENDEES, on_accepted=on_accepted).run()
    print(f"rush: {len(result.accepted)} accepted in {result.seconds:.1f} s")
    print(timeline(result, kills))

    assert len(kills) == 3
    assert set(result.statuses) <= {200, 302}
    print(f"broken connections, each sent again: {len(result.broken)}")
    assert_stored_once_within_capacity(stack, result)
    # The masters replaced their workers.
    for server in stack.servers:
        wait_until(lambda s=server: len(s.workers()) == 2, timeout=30, what=f"{server.name}")
    logged = "\n".join(server.log_text() for server in stack.servers)
    assert logged.count("was sent SIGKILL") == 3

    stack.wait_for_mails(timeout=90)
    # Each queued mail arrived exactly once (someone whose answer was lost and who sent the form
    # again has a second mail queued: the personal link once more).
    assert stack.mail.per_recipient() == stack.query(audit.mails_queued)
    assert stack.query(audit.mails_failed) == Counter()
    print(f"mails: {stack.mail.count()} arrived, each once")


# --- The mail server refusing, hanging, back ---------------------------------------------------

MAIL_PEOPLE = 12


def mail_attempts(stack) -> Counter:
    """Mail tasks per attempt."""
    return Counter(attempt for attempt, _delay in stack.query(audit.attempts))


def retry_delays(stack, attempt: int) -> set[int]:
    """Seconds from queueing to due of each mail's `attempt`-th attempt, rounded up (the due
    time is reckoned a moment before the task is stored)."""
    return {math.ceil(delay) for n, delay in stack.query(audit.attempts) if n == attempt}


def mail_attempts_done(stack, attempt: int) -> bool:
    """Every mail has its `attempt`-th attempt queued, and nothing is due or running."""
    due_or_running = stack.query(
        lambda db: db.execute(
            f"SELECT count(*) FROM {audit.TASKS} WHERE task_path LIKE %s"  # noqa: S608
            " AND (status = 'RUNNING' OR (status = 'READY' AND run_after <= now()))",
            [audit.MAIL_TASK],
        ).fetchone()[0]
    )
    return mail_attempts(stack)[attempt] == MAIL_PEOPLE and not due_or_running


def test_mail_server_refusing_then_hanging_then_back_sends_each_mail_once(stack):
    stack.start(servers=1, processes=2, workers=2)  # the mail is the subject here
    stack.mail.refuse()

    result = Rush(stack.servers, attendees=MAIL_PEOPLE, concurrency=6, prefix="mail").run()
    assert (result.unexpected, result.gave_up, result.unavailable) == ([], {}, [])
    assert len(result.accepted) == MAIL_PEOPLE  # registering never waits for the mail server

    # Refused: each mail's first attempt fails and queues the second, a minute later.
    refused_for = wait_until(lambda: mail_attempts_done(stack, 2), timeout=60, what="attempt 2")
    assert retry_delays(stack, 2) == {60}  # a minute
    print(f"refused: first attempts done {refused_for:.1f} s after the rush")

    # Hanging: each attempt gives up after the mail timeout and queues the next, two minutes on.
    stack.mail.hang()
    assert stack.query(audit.due_retries_now) == MAIL_PEOPLE
    hung_for = wait_until(lambda: mail_attempts_done(stack, 3), timeout=90, what="attempt 3")
    assert retry_delays(stack, 3) == {120}  # two minutes
    assert stack.mail.count() == 0
    print(f"hanging: second attempts done in {hung_for:.1f} s ({MAIL_TIMEOUT} s timeout each)")

    # Back: every mail arrives, once.
    stack.mail.accept()
    assert stack.query(audit.due_retries_now) == MAIL_PEOPLE
    back_for = stack.wait_for_mails(timeout=60)
    print(f"back: all mails sent in {back_for:.1f} s")
    assert stack.mail.per_recipient() == Counter(dict.fromkeys(result.accepted, 1))
    assert mail_attempts(stack) == {1: MAIL_PEOPLE, 2: MAIL_PEOPLE, 3: MAIL_PEOPLE}
    assert stack.query(audit.mails_reported_sent) == MAIL_PEOPLE
    assert stack.query(audit.mail_tasks) == {"SUCCESSFUL": 3 * MAIL_PEOPLE}
