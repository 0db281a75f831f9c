"""Reminders before the event, sent once per person and due time.

Each reminder of an event (events.Reminder: the day before at 09:00, an hour before the start,
…) becomes one task for the worker, deferred to its due time (`reminders_schedule`, called when
the event or its reminders are saved: a moved event gets its reminders at the new time, and a
task for the old time finds that it is out of date and does nothing).

When it runs, the task claims one `ReminderDelivery` per recipient under a unique constraint
and queues one mail task per claim, in the same transaction. Two workers running the same
reminder at once, or a worker restarted halfway, cannot send anyone a second copy: the second
claim finds the first one's row. Who gets what:

- confirmed attendees: the reminder, with their personal join links, their calendar and a
  link to give their seat up ("I can't come");
- people on the waiting list: a short note that they are still waiting, and how to leave;
- unconfirmed registrations: nothing (they have no seat to be reminded of).
"""

import datetime as dt
import uuid

from django.db import transaction
from django.tasks import default_task_backend, task
from django.utils import timezone

from events.models import Event, Reminder
from registrations import emails
from registrations.models import Registration, ReminderDelivery

Status = Registration.Status
RECIPIENT_STATUSES = (Status.CONFIRMED, Status.WAITING)


def reminders_schedule(*, event: Event, now=None) -> list[Reminder]:
    """Give the worker each reminder of the event that is due in the future and not yet queued
    for its current due time. Returns the reminders queued now.

    Without a backend that can defer tasks (development without a worker), nothing is queued:
    organisers can still send a reminder by hand in the admin.
    """
    if not default_task_backend.supports_defer:
        return []
    now = now or timezone.now()
    queued = []
    for reminder in event.reminders.all():
        due = reminder.due_at(event)
        if due <= now or reminder.scheduled_for == due:
            continue
        send_reminders_task.using(run_after=due).enqueue(
            reminder_id=reminder.pk, due_at=due.astimezone(dt.UTC).isoformat()
        )
        Reminder.objects.filter(pk=reminder.pk).update(scheduled_for=due)
        reminder.scheduled_for = due
        queued.append(reminder)
    return queued


@task(queue_name="promotions")  # claims and queues at its time, never behind a queue of mails
def send_reminders_task(*, reminder_id: int, due_at: str) -> int:
    """The worker's part at the due time: send the reminder if it is still due now (the event
    may have moved, or started meanwhile). Returns how many mails were queued."""
    reminder = Reminder.objects.select_related("event").filter(pk=reminder_id).first()
    if reminder is None or reminder.due_at() != dt.datetime.fromisoformat(due_at):
        return 0
    if timezone.now() >= reminder.event.starts_at:
        return 0  # the worker was down until after the start: a reminder would only confuse
    return len(reminder_send(reminder=reminder))


def reminder_send(*, reminder: Reminder, now=None) -> list[ReminderDelivery]:
    """Claim and queue the reminder for everyone who has not had it for its current due time
    (confirmed attendees and the waiting list). Returns this run's claims."""
    now = now or timezone.now()
    event = reminder.event
    due = reminder.due_at(event)
    batch = uuid.uuid4()
    with transaction.atomic():
        recipients = (
            Registration.objects.filter(event=event, status__in=RECIPIENT_STATUSES)
            .exclude(reminders_received__reminder=reminder, reminders_received__due_at=due)
            .values_list("pk", "status")
        )
        ReminderDelivery.objects.bulk_create(
            [
                ReminderDelivery(
                    reminder=reminder,
                    registration_id=pk,
                    due_at=due,
                    status=status,
                    claimed_at=now,
                    batch=batch,
                )
                for pk, status in recipients
            ],
            ignore_conflicts=True,  # claimed by a parallel run meanwhile: theirs to send
        )
        claimed = list(ReminderDelivery.objects.filter(batch=batch).order_by("pk"))
        for delivery in claimed:
            send_reminder_mail_task.enqueue(delivery_id=delivery.pk)
    return claimed


@task()
def send_reminder_mail_task(*, delivery_id: int, attempt: int = 1) -> bool:
    """Send one claimed reminder, unless the person's status changed since it was claimed (a
    cancellation, a promotion: that change sent its own mail). Returns whether it went out."""
    delivery = (
        ReminderDelivery.objects.select_related(
            "registration__event__organiser", "registration__room"
        )
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.sent_at is not None:
        return False
    registration = delivery.registration
    if registration.anonymised_at is not None or registration.status != delivery.status:
        return False
    kind = "reminder" if registration.status == Status.CONFIRMED else "still_waiting"
    sent = emails.send_or_retry(
        emails.build(registration, kind),
        attempt=attempt,
        retry=lambda run_after: send_reminder_mail_task.using(run_after=run_after).enqueue(
            delivery_id=delivery_id, attempt=attempt + 1
        ),
    )
    if sent:
        ReminderDelivery.objects.filter(pk=delivery_id).update(sent_at=timezone.now())
    return sent
