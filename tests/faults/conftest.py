"""The fault tests' stack: one PostgreSQL cluster and one Redis of their own for the session,
deployed once (migrate, collectstatic, demo event, organiser) into a template database; each
test gets a copy of that database, the Redis emptied, a mail server, and starts its app servers
and task workers. They run only with KOKI_FAULT_TESTS=1 (docs/faults.md).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.faults import audit
from tests.faults.smtp import MailServer
from tests.faults.stack import (
    AppServer,
    Postgres,
    Redis,
    TaskWorker,
    deploy,
    environment,
    new_secret_key,
    wait_until,
    worker_command,
    worker_options,
)

ENABLED = os.environ.get("KOKI_FAULT_TESTS") == "1"
TEMPLATE = "koki_deployed"
SITE_URL = "https://anmeldung.example.org"  # links in mails; nobody follows them here


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "faults: production stack under faults (runs with KOKI_FAULT_TESTS=1)"
    )


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="fault tests: set KOKI_FAULT_TESTS=1 (docs/faults.md)")
    for item in items:
        if item.get_closest_marker("faults") and not ENABLED:
            item.add_marker(skip)


@dataclass(frozen=True)
class Deployment:
    postgres: Postgres
    redis: Redis
    directory: Path
    secret_key: str
    worker: list[str]  # the task worker's command and options


@pytest.fixture(scope="session")
def deployment(tmp_path_factory):
    directory = tmp_path_factory.mktemp("faults")
    postgres = Postgres()
    redis = None
    try:
        redis = Redis(directory)
        postgres.create_database(TEMPLATE)
        secret_key = new_secret_key()
        env = environment(
            database_url=postgres.url(TEMPLATE), redis_url=redis.url(), smtp_port=25,
            static_root=directory / "static", media_root=directory / "media",
            secret_key=secret_key, site_url=SITE_URL,
        )  # fmt: skip
        deploy(env)
        command = worker_command()
        yield Deployment(
            postgres, redis, directory, secret_key, [command, *worker_options(command, env)]
        )
    finally:
        if redis is not None:
            redis.stop()
        postgres.stop()


class Stack:
    """One test's koki: its own database (a copy of the deployed one), the deployment's Redis
    emptied, a mail server; app servers and task workers as the test starts them."""

    def __init__(self, deployment: Deployment, name: str, directory: Path):
        self.deployment, self.postgres, self.database = deployment, deployment.postgres, name
        self.directory = directory
        self.postgres.create_database(name, template=TEMPLATE)
        deployment.redis.flush()
        self.mail = MailServer()
        self.env = environment(
            database_url=self.postgres.url(name), redis_url=deployment.redis.url(),
            smtp_port=self.mail.port, static_root=deployment.directory / "static",
            media_root=directory / "media", secret_key=deployment.secret_key, site_url=SITE_URL,
        )  # fmt: skip
        self.servers: list[AppServer] = []
        self.workers: list[TaskWorker] = []
        self.worker_deaths: list[tuple[float, str, int]] = []  # (moment, worker, exit status)

    def query[T](self, read: Callable[[psycopg.Connection], T]) -> T:
        """`read(connection)` on a new connection (one that outlives no restart)."""
        with self.postgres.connect(self.database) as db:
            return read(db)

    def start(self, *, servers: int = 2, processes: int = 2, workers: int = 2) -> None:
        """The app servers (A, B, …), `processes` gunicorn workers each, and the task workers."""
        names = "ABCDEFGH"[:servers]
        self.servers = [
            AppServer(name, self.env, self.directory, workers=processes) for name in names
        ]
        self.workers = [
            TaskWorker(str(n + 1), self.deployment.worker, self.env, self.directory)
            for n in range(workers)
        ]
        for server in self.servers:
            server.wait_ready()

    @property
    def worker_command(self) -> str:
        return self.deployment.worker[0]

    def revive_workers(self) -> int:
        """Start again each task worker that has ended, as a supervisor (systemd's
        Restart=always) would; each death is recorded. Returns how many were dead."""
        dead = [worker for worker in self.workers if not worker.alive()]
        for worker in dead:
            self.worker_deaths.append((time.monotonic(), worker.name, worker.process.returncode))
            worker.start()
        return len(dead)

    def wait_for_mails(self, *, timeout: float, supervise: bool = False) -> float:
        """Seconds until no mail task waits or runs (`supervise`: dead workers are started
        again meanwhile)."""

        def empty() -> bool:
            if supervise:
                self.revive_workers()
            return self.query(audit.mail_queue_empty)

        try:
            return wait_until(empty, timeout=timeout, what="the mail queue", every=0.2)
        except TimeoutError:
            tasks = dict(self.query(audit.mail_tasks))
            raise AssertionError(
                f"mail tasks still waiting or running after {timeout:.0f} s: {tasks}; "
                f"{self.mail.count()} mails arrived; workers ended and started again "
                f"(moment, worker, exit status): {self.worker_deaths}"
            ) from None

    def set_capacities(self, *, capacity: int, waiting_list_size: int) -> None:
        """Every room's seats and waiting places, before the servers start."""
        self.query(
            lambda db: audit.set_capacities(
                db, capacity=capacity, waiting_list_size=waiting_list_size
            )
        )

    def server_errors(self) -> list[str]:
        """The servers' logged errors: gunicorn's own, tracebacks and their last lines."""
        return [
            f"{server.name}: {line}"
            for server in self.servers
            for line in server.log_text().splitlines()
            if "[ERROR]" in line
            or "[CRITICAL]" in line
            or re.match(r"Traceback|\S+(Error|Exception): ", line)
        ]

    def close(self) -> None:
        with ThreadPoolExecutor() as pool:  # all at once
            for process in [*self.workers, *self.servers]:
                pool.submit(process.stop)
        # Shown with a failure's report (pytest shows a test's output only then).
        for process in [*self.servers, *self.workers]:
            lines = process.log_text().splitlines()
            print(f"--- {process.log.name}: {len(lines)} lines; not the tasks' lines, the end ---")
            print("\n".join(line for line in lines[:-5] if not line.startswith("Task id=")))
            print("\n".join(lines[-5:]))
        self.mail.stop()
        with contextlib.suppress(psycopg.Error), self.postgres.connect() as db:
            db.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


@pytest.fixture
def stack(deployment, request, tmp_path):
    name = "koki_" + request.node.name.removeprefix("test_")[:40].lower()
    stack = Stack(deployment, name, tmp_path)
    yield stack
    stack.close()
