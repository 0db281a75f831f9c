"""Background tasks: e-mail goes out through django.tasks, never in the request's way.

In production the database backend (django-tasks-db) stores each mail as a task for
`manage.py db_worker`; a failing mail server makes the task try again later with a growing
delay, so the registration that queued it is never lost or slowed down.
"""

import datetime as dt
import logging

from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.tasks import default_task_backend, task
from django.utils import timezone

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # about 2 hours of retries: after 1, 2, 4, … 64 minutes


def retry_at(attempt: int) -> dt.datetime:
    """When a mail that failed at `attempt` is tried again: after 1, 2, 4 … minutes."""
    return timezone.now() + dt.timedelta(minutes=2 ** (attempt - 1))


def _send_or_retry(message: EmailMultiAlternatives, *, attempt: int, retry) -> bool:
    """Send; if that fails, `retry(run_after)` after 1, 2, 4 … minutes while attempts remain
    (and the backend can defer), else raise. Returns whether the mail went out."""
    try:
        message.send()
    except Exception as error:
        # No personal data in the log: neither the address nor the text.
        logger.warning("Sending a mail failed (attempt %s): %s", attempt, type(error).__name__)
        if attempt >= MAX_ATTEMPTS or not default_task_backend.supports_defer:
            raise
        retry(retry_at(attempt))
        return False
    return True


@task()
def send_registration_mail_task(
    *, registration_id: int, kind: str, status: str = "", attempt: int = 1
) -> bool:
    """Render one registration mail from the registration as it is now, and send it.

    The queue holds only the registration's id, the kind of mail and the status it was queued
    for: no name, no address, no secret link waits in the task table, and rendering costs the
    worker's time, not the request's (a registration rush stays fast). A mail whose news is out
    of date by the time it is sent is not sent: the registration was deleted, anonymised or
    cancelled since, or its status changed (every change of status queues its own mail, which
    tells the news). Returns whether a mail went out.
    """
    from registrations import emails
    from registrations.models import Registration

    registration = (
        Registration.objects.select_related("event", "room").filter(pk=registration_id).first()
    )
    if registration is None or registration.anonymised_at is not None:
        return False
    if registration.status == Registration.Status.CANCELLED and kind != "cancelled":
        return False
    if status and kind != "link" and registration.status != status:
        return False
    return _send_or_retry(
        emails.build(registration, kind),
        attempt=attempt,
        retry=lambda run_after: send_registration_mail_task.using(run_after=run_after).enqueue(
            registration_id=registration_id, kind=kind, status=status, attempt=attempt + 1
        ),
    )


@task()
def send_mail_task(
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    ics: str = "",
    ics_method: str = "REQUEST",
    attempt: int = 1,
) -> None:
    """A whole mail, as versions before 28 November 2026 queued them (nothing queues it now).

    Kept so that a worker updated while such mails still wait in the queue, or wait for a
    retry, sends them instead of failing them. Remove once no queue can hold one (after the
    last retry, about two hours after the update).
    """
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    if html:
        message.attach_alternative(html, "text/html")
    if ics:
        message.attach("invite.ics", ics, f"text/calendar; method={ics_method}; charset=utf-8")
    _send_or_retry(
        message,
        attempt=attempt,
        retry=lambda run_after: send_mail_task.using(run_after=run_after).enqueue(
            to=to,
            subject=subject,
            text=text,
            html=html,
            ics=ics,
            ics_method=ics_method,
            attempt=attempt + 1,
        ),
    )


@task()
def promote_waiting_list_task(*, room_id: int) -> int:
    """Runs when an unconfirmed hold expires: its seat goes to the next person waiting."""
    from events.models import Room
    from registrations.services import waitlist_promote

    room = Room.objects.filter(pk=room_id).first()
    if room is None:
        return 0
    return len(waitlist_promote(room=room))


def expiry_run_after(expires_at: dt.datetime) -> dt.datetime:
    """When the promotion for a hold runs: the next whole minute at or after it expires."""
    whole_minute = expires_at.replace(second=0, microsecond=0)
    return whole_minute if whole_minute == expires_at else whole_minute + dt.timedelta(minutes=1)


def schedule_hold_expiry(*, room_id: int, expires_at: dt.datetime) -> None:
    """Promote the waiting list when a hold runs out, where the backend can defer tasks.

    One promotion per room and minute serves every hold of that room expiring within the
    minute (a rush gives out dozens a second): a seat moves on at most a minute after its hold
    ran out. The cache remembers a scheduled promotion only once its transaction committed, so
    a rolled-back one is never relied on; a lost cache entry costs a second task, nothing more.

    Without a deferring backend (development) the waiting list moves up the next time
    anyone registers for, confirms in or leaves the room.
    """
    if not default_task_backend.supports_defer:
        return
    run_after = expiry_run_after(expires_at)
    key = f"koki:hold-expiry:{room_id}:{run_after:%Y%m%d%H%M}"
    if cache.get(key) is not None:
        return
    promote_waiting_list_task.using(run_after=run_after).enqueue(room_id=room_id)
    seconds = max(int((run_after - timezone.now()).total_seconds()) + 60, 60)
    transaction.on_commit(lambda: cache.set(key, True, seconds))
