"""`manage.py koki_worker`: django-tasks-db's worker (`db_worker`), made to outlive outages of the
database.

`db_worker` stops for good at the first database error, for example while PostgreSQL restarts.
This worker runs the same loop (django-tasks-db's `Worker`, with the same options) and, when the
database fails, closes its connections, logs one line (the class of the error, no personal
data), waits 1, 2, 4 … at most 30 seconds while the database does not answer, and carries on.
SIGTERM and SIGINT stop it cleanly, as they stop `db_worker`: at once while it waits, after the
task it is running otherwise.

A task that was running when the database went away cannot record how it ended; its outcome
is recorded once the database answers again (a mail task interrupted like this shows among the
failed mails: it may or may not have gone out, so it is not sent again by itself).

Without `--queue-name` the worker runs every queue ("*"). `--queue-name promotions` runs the
promotions and reminder sweeps only, `--queue-name default` the mails only: see docs/deploy.md.
"""

import contextlib
import logging
import os
import signal
import time

from django.core.management.base import CommandError
from django.db import connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from koki.views import DATABASE_ERRORS

logger = logging.getLogger(__name__)

FIRST_DELAY = 1
MAX_DELAY = 30
ALL_QUEUES = "*"
# What django-tasks-db writes when a task ends (DBTaskResult.set_successful / set_failed).
OUTCOME_FIELDS = ["status", "return_value", "finished_at", "exception_class_path", "traceback"]
STOP_SIGNALS = [signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGQUIT", None)]


def backoff(failures: int) -> int:
    """Seconds to wait after the `failures`-th failure in a row: 1, 2, 4 … at most 30."""
    return min(FIRST_DELAY * 2 ** (failures - 1), MAX_DELAY)


def close_connections() -> None:
    """Drop every database connection of this thread; the next query opens a new one."""
    for connection in connections.all(initialized_only=True):
        # A broken connection may fail to close: it is gone either way.
        with contextlib.suppress(*DATABASE_ERRORS):
            connection.close()


class Worker(db_worker.Worker):
    """django-tasks-db's worker loop, carried on through database outages."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.failures = 0
        self.unrecorded: DBTaskResult | None = None

    def run(self) -> None:
        while self.running:
            try:
                if self.failures:
                    self.database_answers()
                super().run()
                return
            except DATABASE_ERRORS as error:
                self.failures += 1
                close_connections()
                delay = backoff(self.failures)
                logger.warning(
                    "Database unavailable (%s): the worker tries again in %d s.",
                    type(error).__name__,
                    delay,
                )
                self.wait(delay)

    def database_answers(self) -> None:
        """Raise while the database still fails; then record what an outage interrupted."""
        with connections[DBTaskResult.objects.db].cursor() as cursor:
            cursor.execute("SELECT 1")
        if self.unrecorded is not None:
            self.record_outcome(self.unrecorded)
            self.unrecorded = None
        self.failures = 0
        self.startup_delay = False  # the random start-up delay is for the first start only

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        except DATABASE_ERRORS:
            # The database went away while the task ran: its outcome (set on the row in
            # memory by django-tasks-db) is saved once the database is back.
            self.unrecorded = db_task_result
            raise

    def record_outcome(self, db_task_result: DBTaskResult) -> None:
        db_task_result.save(update_fields=OUTCOME_FIELDS)

    def wait(self, seconds: float) -> None:
        """Sleep, but stop waiting as soon as the worker is asked to stop."""
        until = time.monotonic() + seconds
        while self.running and (left := until - time.monotonic()) > 0:
            time.sleep(min(left, 0.5))


class Command(db_worker.Command):
    help = (
        "Run the task worker (django-tasks-db's db_worker) so that it outlives database outages. "
        "Runs every queue unless --queue-name names some."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(queue_name=ALL_QUEUES)

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        exclude_queues: str,
        batch: bool,
        reload: bool,
        **options,
    ) -> None:
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and ALL_QUEUES not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            excluded_queue_names=excluded_queue_names,
            batch=batch,
            interval=options["interval"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )
        if reload and not batch:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the child process that runs the tasks
            run_with_reloader(worker.run)
        else:
            # The worker's handlers while it runs; whoever called the command gets theirs back.
            previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS if sig is not None}
            worker.configure_signals()
            try:
                worker.run()
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
