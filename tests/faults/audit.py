"""The fault tests' look into their own database, in plain SQL (the test process's Django is
configured for the suite's database, not for the stack's)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import psycopg

from tests.faults.stack import SLUG

TASKS = "django_tasks_database_dbtaskresult"
MAIL_TASK = "%.send_registration_mail_task"


@dataclass(frozen=True)
class RoomCount:
    number: int
    capacity: int
    held: int  # confirmed, or pending with an unexpired hold
    waiting_list_size: int
    waiting: int

    @property
    def over(self) -> bool:
        return self.held > self.capacity or self.waiting > self.waiting_list_size


def set_capacities(db: psycopg.Connection, *, capacity: int, waiting_list_size: int) -> None:
    """Every room of the demo event: `capacity` seats, `waiting_list_size` waiting places (before
    any server started: nothing is cached yet)."""
    db.execute(
        "UPDATE events_room SET capacity = %s, waiting_list_size = %s"
        " WHERE event_id = (SELECT id FROM events_event WHERE slug = %s)",
        [capacity, waiting_list_size, SLUG],
    )


def rooms(db: psycopg.Connection) -> list[RoomCount]:
    rows = db.execute(
        """
        SELECT room.number, room.capacity,
               count(*) FILTER (WHERE r.status = 'confirmed'
                                OR (r.status = 'pending' AND r.expires_at > now())),
               room.waiting_list_size,
               count(*) FILTER (WHERE r.status = 'waiting')
        FROM events_room room
        JOIN events_event event ON event.id = room.event_id AND event.slug = %s
        LEFT JOIN registrations_registration r ON r.room_id = room.id
        GROUP BY room.id ORDER BY room.number
        """,
        [SLUG],
    ).fetchall()
    return [RoomCount(*row) for row in rows]


def stored(db: psycopg.Connection) -> Counter:
    """Active registrations per address (lower case)."""
    rows = db.execute(
        "SELECT lower(email) FROM registrations_registration WHERE status <> 'cancelled'"
    ).fetchall()
    return Counter(email for (email,) in rows)


def mail_tasks(db: psycopg.Connection) -> Counter:
    """Registration mail tasks by status (READY, RUNNING, SUCCESSFUL, FAILED)."""
    rows = db.execute(
        f"SELECT status, count(*) FROM {TASKS} WHERE task_path LIKE %s GROUP BY status",  # noqa: S608
        [MAIL_TASK],
    ).fetchall()
    return Counter(dict(rows))


def mails_queued(db: psycopg.Connection) -> Counter:
    """Mails queued per address: first attempts only (a retry is a task of its own, with
    `attempt` among its arguments)."""
    rows = db.execute(
        f"""
        SELECT lower(r.email) FROM {TASKS} task
        JOIN registrations_registration r
          ON r.id = (task.args_kwargs -> 'kwargs' ->> 'registration_id')::bigint
        WHERE task.task_path LIKE %s
          AND coalesce((task.args_kwargs -> 'kwargs' ->> 'attempt')::int, 1) = 1
        """,  # noqa: S608
        [MAIL_TASK],
    ).fetchall()
    return Counter(email for (email,) in rows)


def mails_reported_sent(db: psycopg.Connection) -> int:
    """Mail tasks that ended saying their mail went out."""
    return db.execute(
        f"SELECT count(*) FROM {TASKS} WHERE task_path LIKE %s AND status = 'SUCCESSFUL'"  # noqa: S608
        " AND return_value = 'true'::jsonb",
        [MAIL_TASK],
    ).fetchone()[0]


def attempts(db: psycopg.Connection) -> list[tuple[int, float]]:
    """Each mail task's attempt and how many seconds after it was queued it was due."""
    rows = db.execute(
        f"""
        SELECT coalesce((args_kwargs -> 'kwargs' ->> 'attempt')::int, 1),
               extract(epoch FROM run_after - enqueued_at)
        FROM {TASKS} WHERE task_path LIKE %s
        """,  # noqa: S608
        [MAIL_TASK],
    ).fetchall()
    return [(attempt, float(seconds)) for attempt, seconds in rows]


def mail_workers(db: psycopg.Connection) -> Counter:
    """Mail tasks run per worker id."""
    rows = db.execute(
        f"SELECT jsonb_array_elements_text(worker_ids) FROM {TASKS} WHERE task_path LIKE %s",  # noqa: S608
        [MAIL_TASK],
    ).fetchall()
    return Counter(worker for (worker,) in rows)


def due_retries_now(db: psycopg.Connection) -> int:
    """Mail retries waiting for their time are due now (the test cannot wait 1, 2, 4 …
    minutes); returns how many."""
    return db.execute(
        f"UPDATE {TASKS} SET run_after = now()"  # noqa: S608
        " WHERE task_path LIKE %s AND status = 'READY' AND run_after > now()",
        [MAIL_TASK],
    ).rowcount


def mail_queue_empty(db: psycopg.Connection) -> bool:
    """No mail task waits or runs (retries not yet due included)."""
    counts = mail_tasks(db)
    return not counts["READY"] and not counts["RUNNING"]


def event_title(db: psycopg.Connection) -> str:
    return db.execute("SELECT title_de FROM events_event WHERE slug = %s", [SLUG]).fetchone()[0]


def mails_failed(db: psycopg.Connection) -> Counter:
    """Mail tasks that ended FAILED, per address: the organisers' list of failed mails."""
    rows = db.execute(
        f"""
        SELECT lower(r.email) FROM {TASKS} task
        JOIN registrations_registration r
          ON r.id = (task.args_kwargs -> 'kwargs' ->> 'registration_id')::bigint
        WHERE task.task_path LIKE %s AND task.status = 'FAILED'
        """,  # noqa: S608
        [MAIL_TASK],
    ).fetchall()
    return Counter(email for (email,) in rows)


def failed_mail_details(db: psycopg.Connection) -> list[tuple[str, int, str, str]]:
    """(address, attempt, exception class, the traceback's last line) of each failed mail task."""
    rows = db.execute(
        f"""
        SELECT lower(r.email), coalesce((task.args_kwargs -> 'kwargs' ->> 'attempt')::int, 1),
               task.exception_class_path, task.traceback
        FROM {TASKS} task
        JOIN registrations_registration r
          ON r.id = (task.args_kwargs -> 'kwargs' ->> 'registration_id')::bigint
        WHERE task.task_path LIKE %s AND task.status = 'FAILED'
        ORDER BY 1
        """,  # noqa: S608
        [MAIL_TASK],
    ).fetchall()
    return [(email, attempt, exception, (trace or "").strip().splitlines()[-1:][0] if trace else "")
            for email, attempt, exception, trace in rows]  # fmt: skip
