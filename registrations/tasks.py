"""Background tasks: e-mail goes out through django.tasks, never in the request's way.

In production the database backend (django-tasks-db) stores each mail as a task for
`manage.py db_worker`; a failing mail server makes the task try again later with a growing
delay, so the registration that queued it is never lost or slowed down.
"""

import datetime as dt
import logging

from django.core.mail import EmailMultiAlternatives
from django.tasks import default_task_backend, task
from django.utils import timezone

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # about 4 hours of retries: 1, 2, 4, … 128 minutes


@task()
def send_mail_task(
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    ics: str = "",
    attempt: int = 1,
) -> None:
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    if html:
        message.attach_alternative(html, "text/html")
    if ics:
        message.attach("einladung.ics", ics, "text/calendar; method=REQUEST; charset=utf-8")
    try:
        message.send()
    except Exception as error:
        # No personal data in the log: neither the address nor the text.
        logger.warning("Sending a mail failed (attempt %s): %s", attempt, type(error).__name__)
        if attempt >= MAX_ATTEMPTS or not default_task_backend.supports_defer:
            raise
        delay = dt.timedelta(minutes=2 ** (attempt - 1))
        send_mail_task.using(run_after=timezone.now() + delay).enqueue(
            to=to, subject=subject, text=text, html=html, ics=ics, attempt=attempt + 1
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


def schedule_hold_expiry(*, room_id: int, expires_at: dt.datetime) -> None:
    """Promote the waiting list when a hold runs out, where the backend can defer tasks.

    Without a deferring backend (development) the waiting list moves up the next time
    anyone registers for, confirms in or leaves the room.
    """
    if default_task_backend.supports_defer:
        promote_waiting_list_task.using(run_after=expires_at).enqueue(room_id=room_id)
