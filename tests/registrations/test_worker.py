"""The worker (`manage.py koki_worker`) outlives a database outage, stops cleanly on SIGTERM, and
shares the queue with other workers without sending anything twice.

The outages are real, as a restart of PostgreSQL makes them: the worker's connection is
terminated (`pg_terminate_backend`) and the database refuses new connections for a while
(`ALLOW_CONNECTIONS false`); a connection that is merely dropped while the worker waits, Django
replaces by itself (CONN_HEALTH_CHECKS). The workers run in threads (django-tasks-db's Worker
class, without signal handlers) or as the command in a process of its own.
"""

import collections
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, connections
from django.tasks import task
from django_tasks_db.models import DBTaskResult

from registrations import emails
from registrations.management.commands.koki_worker import Worker, backoff
from tests.factories import RegistrationFactory, RoomFactory

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "promotions"],
    }
}
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
WORKER_LOG = "registrations.management.commands.koki_worker"
TERMINATE_OTHERS = """
    SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


def test_the_worker_waits_longer_after_each_failure_up_to_thirty_seconds():
    assert [backoff(failures) for failures in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]


def wait_for(condition, *, seconds: float = 20) -> None:
    """Wait until `condition()` holds; fail after `seconds`."""
    until = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > until:
            pytest.fail(f"still not true after {seconds} s: {condition.__doc__}")
        time.sleep(0.05)


def other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def terminate_other_connections() -> int:
    """What a restart of PostgreSQL does to the worker: its connection is gone."""
    with connection.cursor() as cursor:
        cursor.execute(TERMINATE_OTHERS)
        return cursor.fetchone()[0]


@contextlib.contextmanager
def database_down():
    """PostgreSQL drops every connection to the test database but the test's own and refuses
    new ones until the block ends, as while it restarts (from its maintenance database: a
    database cannot refuse connections to itself)."""
    database = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
    admin = psycopg.connect(
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        user=database["USER"],
        password=database["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    name = connection.ops.quote_name(database["NAME"])
    try:
        admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
        terminated = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> %s",
            [database["NAME"], own],
        ).fetchone()[0]
        assert terminated >= 1
        yield
    finally:
        admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true")
        admin.close()


OUTAGE = "Database unavailable (OperationalError): the worker tries again in %s s."


def new_worker(name: str, *, batch: bool = False) -> Worker:
    return Worker(
        queue_names=["*"],
        excluded_queue_names=[],
        interval=0.05,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=name,
    )


def in_thread(worker: Worker) -> threading.Thread:
    def run():
        try:
            worker.run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@contextlib.contextmanager
def running(worker: Worker):
    thread = in_thread(worker)
    try:
        yield worker
    finally:
        worker.running = False
        thread.join(timeout=30)
    assert not thread.is_alive()


def outage_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == WORKER_LOG]


def queue_mail(email: str):
    registration = RegistrationFactory(room=RoomFactory(), email=email)
    emails.queue(registration, "link")
    return registration


@pytest.fixture
def database_tasks(settings, require_postgres):
    settings.TASKS = DATABASE_TASKS
    settings.MAILERS = LOCMEM


def test_the_worker_outlives_an_outage_of_the_database(database_tasks, caplog):
    with running(new_worker("survivor")):
        queue_mail("before@example.org")
        wait_for(lambda: len(mail.outbox) == 1)
        wait_for(lambda: other_connections() == 1)  # the worker's connection, kept open

        with database_down():
            # One line per failed try, waiting longer each time.
            wait_for(lambda: len(outage_lines(caplog)) == 2)
        queue_mail("after@example.org")
        wait_for(lambda: len(mail.outbox) == 2)

    assert [m.to for m in mail.outbox] == [["before@example.org"], ["after@example.org"]]
    assert outage_lines(caplog) == [OUTAGE % 1, OUTAGE % 2]
    statuses = DBTaskResult.objects.values_list("status", "worker_ids")
    assert sorted(statuses) == [("SUCCESSFUL", ["survivor"])] * 2


@task()
def lose_the_database() -> None:
    """A task that is running when PostgreSQL goes away (it ends its own connection)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")


def test_a_task_an_outage_interrupted_is_recorded_once_the_database_is_back(database_tasks, caplog):
    interrupted = lose_the_database.enqueue()

    with running(new_worker("survivor")):
        wait_for(lambda: DBTaskResult.objects.get(pk=interrupted.id).status == "FAILED")
        queue_mail("after@example.org")
        wait_for(lambda: len(mail.outbox) == 1)

    result = DBTaskResult.objects.get(pk=interrupted.id)
    assert (result.status, result.worker_ids) == ("FAILED", ["survivor"])
    assert result.exception_class_path in {
        "django.db.utils.OperationalError",
        "django.db.utils.InterfaceError",
    }
    assert result.finished_at is not None
    assert len(outage_lines(caplog)) == 1
    assert outage_lines(caplog)[0].startswith("Database unavailable (")
    assert [m.to for m in mail.outbox] == [["after@example.org"]]


# --- The command, in a process of its own -------------------------------------------------------


def worker_environment() -> dict[str, str]:
    """The test database, the database task backend, mails printed to stdout."""
    database = connection.settings_dict
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    return {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}{password}@{database['HOST'] or 'localhost'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "DJANGO_TASKS_BACKEND": "database",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "PYTHONUNBUFFERED": "1",
    }


def recipients(output: Path) -> list[str]:
    lines = output.read_text(encoding="utf-8").splitlines()
    return [line.removeprefix("To: ") for line in lines if line.startswith("To: ")]


def test_the_worker_command_outlives_an_outage_and_stops_on_sigterm(database_tasks, tmp_path):
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    command = [
        sys.executable,
        "manage.py",
        "koki_worker",
        "--interval",
        "0.1",
        "--no-startup-delay",
        "--no-reload",
    ]
    with out.open("w") as stdout, err.open("w") as stderr:
        worker = subprocess.Popen(
            command,
            cwd=django_settings.BASE_DIR,
            env=worker_environment(),
            stdout=stdout,
            stderr=stderr,
        )
    try:
        queue_mail("before@example.org")
        wait_for(lambda: recipients(out) == ["before@example.org"], seconds=30)

        with database_down():
            wait_for(lambda: err.read_text().count("Database unavailable") == 2)
        queue_mail("after@example.org")
        wait_for(lambda: recipients(out) == ["before@example.org", "after@example.org"])

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

    log = err.read_text().splitlines()
    assert [line for line in log if "Database unavailable" in line] == [OUTAGE % 1, OUTAGE % 2]
    assert "Received Terminated - shutting down gracefully... (press Ctrl+C again to force)" in log
    assert sorted(DBTaskResult.objects.values_list("status", flat=True)) == ["SUCCESSFUL"] * 2


# --- Two workers, one queue ---------------------------------------------------------------------

MEETING = threading.Barrier(2)
_SENT = collections.Counter()
_SENT_LOCK = threading.Lock()


class MeetingMailer(locmem.EmailBackend):
    """The first mail of each worker waits until the other worker sends its first mail too:
    the mails go out only if two workers take mails from the queue at the same time."""

    def send_messages(self, messages):
        worker = threading.current_thread().name
        with _SENT_LOCK:
            first = _SENT[worker] == 0
            _SENT[worker] += 1
        if first:
            MEETING.wait(timeout=20)
        return super().send_messages(messages)


def test_two_workers_share_the_queue_and_send_each_mail_once(database_tasks, settings):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.MeetingMailer"}}
    MEETING.reset()
    _SENT.clear()
    room = RoomFactory(capacity=100)
    people = RegistrationFactory.create_batch(40, room=room)
    for registration in people:
        emails.queue(registration, "link")

    workers = [new_worker("first", batch=True), new_worker("second", batch=True)]
    threads = [in_thread(worker) for worker in workers]
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    sent = collections.Counter(m.to[0] for m in mail.outbox)
    assert sent == collections.Counter(registration.email for registration in people)
    assert set(sent.values()) == {1}
    results = DBTaskResult.objects.all()
    assert [r.status for r in results] == ["SUCCESSFUL"] * 40
    assert {len(r.worker_ids) for r in results} == {1}  # every mail taken by one worker once
    assert {r.worker_ids[0] for r in results} == {"first", "second"}
    assert sum(_SENT.values()) == 40
