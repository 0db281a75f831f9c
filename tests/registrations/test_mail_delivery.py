"""A slow or failing mail server never fails a registration: the mail goes out later."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from registrations import services
from registrations.models import Registration
from registrations.services import expiry_run_after
from tests.factories import EventFactory, RoomFactory
from tests.registrations.test_views import form_data, register_url

# The worker closes connections between tasks, as it would in production: no wrapping
# test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
SMTP_DOWN = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
    }
}
MAIL_TASK = "registrations.emails.send_registration_mail_task"
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_registration_succeeds_with_mail_server_down_and_mail_goes_out_later(client, settings):
    settings.TASKS = DATABASE_TASKS
    settings.MAILERS = SMTP_DOWN
    room = RoomFactory()

    response = client.post(register_url(room.event), form_data(room))

    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.status == Registration.Status.PENDING
    assert DBTaskResult.objects.ready().count() == 1
    assert mail.outbox == []

    # The worker tries while the server is down: the attempt fails and is rescheduled.
    run_worker()
    retry = DBTaskResult.objects.filter(status="READY", task_path=MAIL_TASK).get()
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > timezone.now()
    assert mail.outbox == []

    # The server is back and the retry is due: the mail goes out.
    settings.MAILERS = LOCMEM
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    assert [m.to for m in mail.outbox] == [[registration.email]]
    assert f"/r/{registration.token}/confirm/" in mail.outbox[0].body
    assert DBTaskResult.objects.filter(status="READY", task_path=MAIL_TASK).count() == 0


def test_worker_down_registration_still_succeeds(client, settings):
    settings.TASKS = DATABASE_TASKS
    room = RoomFactory()
    response = client.post(register_url(room.event), form_data(room))
    assert response.status_code == 302
    assert Registration.objects.count() == 1
    queued = DBTaskResult.objects.ready().get()
    assert queued.task_path == MAIL_TASK
    # The queue holds no personal data: the task renders the mail when it runs.
    assert queued.args_kwargs == {
        "args": [],
        "kwargs": {
            "registration_id": Registration.objects.get().pk,
            "kind": "received",
            "status": "pending",
        },
    }


def test_expired_hold_promotes_the_waiting_list_through_the_worker(settings):
    settings.TASKS = DATABASE_TASKS
    room = RoomFactory(capacity=1, event=EventFactory(double_opt_in=True))
    held = services.registration_create(
        event=room.event,
        room=room,
        first_name="A",
        last_name="A",
        email="a@example.org",
        consent=True,
    )
    waiting = services.registration_create(
        event=room.event,
        room=room,
        first_name="B",
        last_name="B",
        email="b@example.org",
        consent=True,
        join_waitlist=True,
    )
    expiry = DBTaskResult.objects.get(task_path="registrations.services.promote_waiting_list_task")
    assert expiry.run_after == expiry_run_after(held.expires_at)
    assert dt.timedelta(0) <= expiry.run_after - held.expires_at < dt.timedelta(minutes=1)
    run_worker()  # not due yet: nothing happens
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.WAITING

    DBTaskResult.objects.filter(pk=expiry.pk).update(run_after=timezone.now())
    Registration.objects.filter(pk=held.pk).update(expires_at=timezone.now())
    run_worker()
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.PENDING
    assert waiting.expires_at > timezone.now()


def register(room, email="erika@example.org", **kwargs):
    return services.registration_create(
        event=room.event,
        room=room,
        first_name="Erika",
        last_name="Mustermann",
        email=email,
        consent=True,
        **kwargs,
    )


def test_the_worker_renders_the_registration_as_it_is_when_it_sends(settings):
    settings.TASKS = DATABASE_TASKS
    settings.MAILERS = LOCMEM
    room = RoomFactory(number=3, capacity=5)
    registration = register(room)
    services.registration_confirm(registration=registration)
    Registration.objects.filter(pk=registration.pk).update(first_name="Erika Maria")

    run_worker()

    # The first mail (sent while pending) is out of date and stays unsent; the confirmation
    # greets the person by the name as it is now.
    assert [m.to for m in mail.outbox] == [["erika@example.org"]]
    assert mail.outbox[0].body.startswith("Guten Tag Erika Maria Mustermann,")
    assert f"/r/{registration.token}/" in mail.outbox[0].body
    statuses = DBTaskResult.objects.filter(task_path=MAIL_TASK).values_list("status", flat=True)
    assert sorted(statuses) == ["SUCCESSFUL", "SUCCESSFUL"]


def test_a_mail_outdated_before_it_is_sent_stays_unsent(settings):
    settings.TASKS = DATABASE_TASKS
    settings.MAILERS = LOCMEM
    room = RoomFactory(capacity=5)
    cancelled = register(room, email="cancelled@example.org")
    services.registration_cancel(registration=cancelled)
    deleted = register(room, email="deleted@example.org")
    services.registration_delete(registration=deleted)
    anonymised = register(room, email="anonymised@example.org")
    Registration.objects.filter(pk=anonymised.pk).update(anonymised_at=timezone.now())

    run_worker()

    # Of the four mails queued (three "received", one "cancelled"; a deletion sends none), the
    # cancelled person gets only the cancellation, the deleted and the anonymised nothing.
    assert [(m.to, m.subject.split(":")[0]) for m in mail.outbox] == [
        (["cancelled@example.org"], "Anmeldung storniert")
    ]
    assert DBTaskResult.objects.filter(task_path=MAIL_TASK, status="SUCCESSFUL").count() == 4


def test_a_mail_superseded_by_a_change_of_status_leaves_the_news_to_the_next_one(settings):
    settings.TASKS = DATABASE_TASKS
    settings.MAILERS = LOCMEM
    room = RoomFactory(capacity=1, event=EventFactory(double_opt_in=True))
    holder = register(room, email="holder@example.org")
    waiting = register(room, email="waiting@example.org", join_waitlist=True)
    services.registration_cancel(registration=holder)  # the waiting person moves up

    run_worker()

    # Queued: holder "received" (pending), waiting "received" (waiting), holder "cancelled",
    # waiting "promoted" (pending). Sent: what is still true when the worker runs.
    assert sorted((m.to[0], m.subject.split(":")[0]) for m in mail.outbox) == [
        ("holder@example.org", "Anmeldung storniert"),
        ("waiting@example.org", "Ein Platz ist für Sie frei"),
    ]
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.PENDING
    [promoted] = [m for m in mail.outbox if m.to == ["waiting@example.org"]]
    assert f"/r/{waiting.token}/confirm/" in promoted.body


EXPIRY_TASK = "registrations.services.promote_waiting_list_task"


def test_one_promotion_per_room_and_minute_serves_all_its_expiring_holds(settings):
    settings.TASKS = DATABASE_TASKS
    event = EventFactory(double_opt_in=True)
    first, second = RoomFactory(event=event, number=1), RoomFactory(event=event, number=2)
    start = timezone.now().replace(second=10, microsecond=0)

    register(first, email="a@example.org", now=start)
    register(first, email="b@example.org", now=start + dt.timedelta(seconds=30))
    register(second, email="c@example.org", now=start + dt.timedelta(seconds=40))
    register(first, email="d@example.org", now=start + dt.timedelta(seconds=60))

    scheduled = sorted(
        (task.args_kwargs["kwargs"]["room_id"], task.run_after)
        for task in DBTaskResult.objects.filter(task_path=EXPIRY_TASK)
    )
    hold = dt.timedelta(minutes=event.hold_minutes)
    minute = start.replace(second=0) + hold + dt.timedelta(minutes=1)
    assert scheduled == [
        (first.pk, minute),
        (first.pk, minute + dt.timedelta(minutes=1)),
        (second.pk, minute),
    ]


def test_expiry_runs_on_the_next_whole_minute():
    at = timezone.now().replace(hour=10, minute=5, second=0, microsecond=0)
    assert expiry_run_after(at) == at
    assert expiry_run_after(at + dt.timedelta(microseconds=1)) == at + dt.timedelta(minutes=1)
    assert expiry_run_after(at + dt.timedelta(seconds=59)) == at + dt.timedelta(minutes=1)


def test_a_rolled_back_hold_never_suppresses_the_next_expiry_task(settings):
    settings.TASKS = DATABASE_TASKS
    event = EventFactory(double_opt_in=True)
    room = RoomFactory(event=event)
    start = timezone.now().replace(second=10, microsecond=0)

    def register_then_fail():
        with transaction.atomic():
            register(room, email="a@example.org", now=start)
            raise RuntimeError("the request failed after queueing")

    with pytest.raises(RuntimeError, match="after queueing"):
        register_then_fail()
    register(room, email="b@example.org", now=start + dt.timedelta(seconds=5))

    assert DBTaskResult.objects.filter(task_path=EXPIRY_TASK).count() == 1
    assert Registration.objects.get().email == "b@example.org"
