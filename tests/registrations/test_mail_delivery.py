"""A slow or failing mail server never fails a registration: the mail goes out later."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from registrations import services
from registrations.models import Registration
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
MAIL_TASK = "registrations.tasks.send_mail_task"
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
    assert queued.args_kwargs["kwargs"]["to"] == "erika@example.org"


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
    expiry = DBTaskResult.objects.get(task_path="registrations.tasks.promote_waiting_list_task")
    assert expiry.run_after == held.expires_at
    run_worker()  # not due yet: nothing happens
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.WAITING

    DBTaskResult.objects.filter(pk=expiry.pk).update(run_after=timezone.now())
    Registration.objects.filter(pk=held.pk).update(expires_at=timezone.now())
    run_worker()
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.PENDING
    assert waiting.expires_at > timezone.now()
