"""The mails a registration sends, rendered in the language the person registered in, and the
task that sends them.

E-mail goes out through django.tasks, never in the request's way. In production the database
backend (django-tasks-db) stores each mail as a task for the worker (`manage.py koki_worker`); a
failing mail server makes the task try again later with a growing delay, so the registration
that queued it is never lost or slowed down.

An attempt that failed and left a retry behind ends as a successful task (its retry is a task of
its own). The last attempt ends as a failed task: a failed mail task is a mail that failed for
good, whichever kind it is (a registration's mail, a reminder, a message to attendees).
Organisers see those in the admin and can queue them again (`failed_mails`,
`failed_mail_requeue`); /healthz counts them.
"""

import datetime as dt
import logging
from collections.abc import Iterable

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.tasks import TaskResultStatus, default_task_backend, task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from events.calendar_links import calendar_links
from events.exports.ical import personal_cancellation, personal_invitation
from koki.site import absolute_url
from registrations import joining, mail_layout, selectors
from registrations.models import Registration

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # about 2 hours of retries: after 1, 2, 4, … 64 minutes

SUBJECTS = {
    "received": _("Your registration: %(event)s"),
    "confirmed": _("Registration confirmed: %(event)s"),
    "promoted": _("A seat is free for you: %(event)s"),
    "room_changed": _("Your room has changed: %(event)s"),
    "cancelled": _("Registration cancelled: %(event)s"),
    "link": _("Your personal link: %(event)s"),
    "reminder": _("Reminder: %(event)s"),
    "still_waiting": _("Still on the waiting list: %(event)s"),
}

# The mails that carry the calendar invitation (or its update) when the seat is confirmed.
INVITING_KINDS = {"received", "confirmed", "promoted", "room_changed"}


def join_links(registration: Registration) -> list[dict]:
    """The personal join links of a confirmed registration (never the platform's address), with
    when each opens; none for anyone else."""
    if registration.status != Registration.Status.CONFIRMED:
        return []
    return [
        {
            "label": _("Plenary") if place.room is None else str(place.room),
            "url": absolute_url(joining.join_path(registration, place.room)),
            "opens_at": date_format(timezone.localtime(place.opens_at), "TIME_FORMAT"),
        }
        for place in joining.places_of(registration)
    ]


def render(registration: Registration, kind: str) -> dict[str, str]:
    """Subject, plain text and HTML of one mail, in the registration's language."""
    event = registration.event
    with translation.override(registration.language), timezone.override(event.tzinfo):
        confirmed = registration.status == Registration.Status.CONFIRMED
        subject = mail_layout.one_line(SUBJECTS[kind] % {"event": event.title})
        context = {
            **mail_layout.layout_context(event),
            "language": registration.language,
            "subject": subject,
            "kind": kind,
            "registration": registration,
            # What a person typed reaches a mailbox only once its owner confirmed the address:
            # before that, anyone could have typed it, to anyone's address.
            "greeting_name": registration.full_name if registration.email_confirmed_at else "",
            "room": registration.room,
            "manage_url": absolute_url(registration.get_absolute_url()),
            "confirm_url": absolute_url(
                reverse("registrations:confirm", kwargs={"token": registration.token})
            ),
            "expires_at": (
                date_format(timezone.localtime(registration.expires_at), "DATETIME_FORMAT")
                if registration.expires_at
                else ""
            ),
            "join_links": join_links(registration) if confirmed else [],
            "cancel_url": absolute_url(
                reverse("registrations:cancel", kwargs={"token": registration.token})
            ),
            "calendar_url": absolute_url(
                reverse("registrations:calendar", kwargs={"token": registration.token})
            ),
            "waiting_position": selectors.waiting_position(registration=registration),
            "calendar_links": calendar_links(
                event=event, rooms=[registration.room], language=registration.language
            ),
        }
        return {"subject": subject, **mail_layout.render("emails/registration.html", context)}


def calendar_attachment(registration: Registration, kind: str) -> dict[str, str]:
    """A confirmed seat comes with a calendar invitation (the entries of the personal feed, at
    the personal join links); a cancellation withdraws them."""
    if kind == "cancelled" and registration.email_confirmed_at:
        content, method = personal_cancellation(registration=registration), "CANCEL"
    elif kind in INVITING_KINDS and registration.status == Registration.Status.CONFIRMED:
        content = personal_invitation(
            registration=registration,
            join_path=lambda room: joining.join_path(registration, room),
        )
        method = "REQUEST"
    else:
        return {}
    return {"ics": content.decode(), "ics_method": method} if content else {}


def build(registration: Registration, kind: str) -> EmailMultiAlternatives:
    """The whole mail: plain text, HTML and, where the state calls for one, a calendar part."""
    content = render(registration, kind)
    message = mail_layout.message(
        event=registration.event,
        subject=content["subject"],
        content=content,
        to=[registration.email],
        language=registration.language,
    )
    if attachment := calendar_attachment(registration, kind):
        message.attach(
            "invite.ics",
            attachment["ics"],
            f"text/calendar; method={attachment['ics_method']}; charset=utf-8",
        )
    return message


def retry_at(attempt: int) -> dt.datetime:
    """When a mail that failed at `attempt` is tried again: after 1, 2, 4 … minutes."""
    return timezone.now() + dt.timedelta(minutes=2 ** (attempt - 1))


class MailNotSent(Exception):
    """The last attempt at a mail failed: the task fails, and the mail shows as failed for good.

    Its message is the class of the error, nothing more: the server's answer can quote the
    address, and the task table keeps what a failed task raised.
    """


def send_or_retry(message: EmailMultiAlternatives, *, attempt: int, retry) -> bool:
    """Send; if that fails, `retry(run_after)` after 1, 2, 4 … minutes while attempts remain
    (and the backend can defer), else raise MailNotSent. Returns whether the mail went out."""
    try:
        message.send()
    except Exception as error:
        # No personal data in the log: neither the address nor the text.
        logger.warning("Sending a mail failed (attempt %s): %s", attempt, type(error).__name__)
        if attempt >= MAX_ATTEMPTS or not default_task_backend.supports_defer:
            raise MailNotSent(type(error).__name__) from None
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
    worker's time, not the request's. A mail whose news is out of date by the time it is sent
    is not sent: the registration was deleted, anonymised or cancelled since, or its status
    changed (every change of status queues its own mail, which tells the news). Returns
    whether a mail went out.
    """
    registration = (
        Registration.objects.select_related("event__organiser", "room")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None or registration.anonymised_at is not None:
        return False
    if registration.status == Registration.Status.CANCELLED and kind != "cancelled":
        return False
    if status and kind != "link" and registration.status != status:
        return False
    return send_or_retry(
        build(registration, kind),
        attempt=attempt,
        retry=lambda run_after: send_registration_mail_task.using(run_after=run_after).enqueue(
            registration_id=registration_id, kind=kind, status=status, attempt=attempt + 1
        ),
    )


def queue(registration: Registration, kind: str) -> None:
    """Queue one mail to the registration's address; the task renders and sends it.

    Queued inside the caller's transaction (database backend): the mail goes out only if the
    change that caused it is committed.
    """
    send_registration_mail_task.enqueue(
        registration_id=registration.pk, kind=kind, status=registration.status
    )


# --- Mails that failed for good -----------------------------------------------------------------

REGISTRATION_MAIL_TASK = "registrations.emails.send_registration_mail_task"
REMINDER_MAIL_TASK = "registrations.reminders.send_reminder_mail_task"
MESSAGE_MAIL_TASK = "registrations.mailings.mailing_deliver"
MAIL_TASKS = (REGISTRATION_MAIL_TASK, REMINDER_MAIL_TASK, MESSAGE_MAIL_TASK)


def failed_mails() -> QuerySet:
    """The mail tasks that failed for good (database backend), the latest first."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        status=TaskResultStatus.FAILED, task_path__in=MAIL_TASKS
    ).order_by("-finished_at", "pk")


def failed_mail_error(result) -> str:
    """The class of the error that made a mail fail for good (never its message)."""
    path = f"{MailNotSent.__module__}.{MailNotSent.__qualname__}"
    if result.exception_class_path == path:
        last_line = result.traceback.rstrip().rpartition("\n")[2]
        return last_line.removeprefix(f"{path}: ")
    return result.exception_class_path.rpartition(".")[2]


def failed_mail_requeue(*, result_ids: Iterable) -> int:
    """Queue mails that failed for good again, from their first attempt; they leave the list of
    failed mails. Returns how many were queued (ids no longer failed are skipped)."""
    with transaction.atomic():
        # Locked: two organisers queueing the same mail at once queue it once.
        failed = list(failed_mails().filter(pk__in=list(result_ids)).select_for_update())
        for result in failed:
            import_string(result.task_path).enqueue(
                **{**result.args_kwargs["kwargs"], "attempt": 1}
            )
        failed_mails().filter(pk__in=[result.pk for result in failed]).delete()
    return len(failed)
