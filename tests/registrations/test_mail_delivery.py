"""A slow or failing mail server never fails a registration: the mail goes out later."""

import datetime as dt
import re
import runpy
import socket
import threading
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django_tasks_db.models import DBTaskResult

from events.models import Reminder
from registrations import emails, mailings, reminders, services
from registrations.emails import MAX_ATTEMPTS
from registrations.models import Mailing, MailingRecipient, Registration, ReminderDelivery
from registrations.permissions import ORGANISERS_GROUP
from registrations.services import expiry_run_after
from tests.factories import EventFactory, RegistrationFactory, RoomFactory
from tests.registrations.admin_helpers import make_staff_outside_group
from tests.registrations.test_views import form_data, register_url

# The worker closes connections between tasks, as it would in production: no wrapping
# test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "promotions"],
    }
}
SMTP_DOWN = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
    }
}
MAIL_TASK = "registrations.emails.send_registration_mail_task"
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


FAILING = {"default": {"BACKEND": "tests.registrations.failing_mailer.Backend"}}


def run_worker(*options):
    call_command(
        "koki_worker", "--batch", "--no-startup-delay", "--no-reload", *options, verbosity=0
    )


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
    assert "(Europe/Berlin)\n\nGuten Tag Erika Maria Mustermann," in mail.outbox[0].body
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


# --- Queues: promotions never wait behind mails -------------------------------------------------


def test_promotions_and_reminder_sweeps_have_a_queue_of_their_own(settings, demo_event):
    settings.TASKS = DATABASE_TASKS
    room = RoomFactory(capacity=1, event=EventFactory(double_opt_in=True))
    register(room)
    demo_event.reminders.update(scheduled_for=None)

    reminders.reminders_schedule(event=demo_event, now=demo_event.starts_at - dt.timedelta(days=10))

    queues = sorted(DBTaskResult.objects.values_list("task_path", "queue_name"))
    assert queues == [
        (MAIL_TASK, "default"),
        ("registrations.reminders.send_reminders_task", "promotions"),
        ("registrations.reminders.send_reminders_task", "promotions"),
        (EXPIRY_TASK, "promotions"),
    ]


def test_a_worker_of_the_promotions_queue_promotes_while_the_mails_wait(settings):
    settings.TASKS = DATABASE_TASKS
    settings.MAILERS = LOCMEM
    room = RoomFactory(capacity=1, event=EventFactory(double_opt_in=True))
    held = register(room, email="held@example.org")
    waiting = register(room, email="waiting@example.org", join_waitlist=True)
    Registration.objects.filter(pk=held.pk).update(expires_at=timezone.now())
    DBTaskResult.objects.filter(task_path=EXPIRY_TASK).update(run_after=timezone.now())

    run_worker("--queue-name", "default")  # the mail worker: mails only
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.WAITING
    assert DBTaskResult.objects.get(task_path=EXPIRY_TASK).status == "READY"
    assert sorted(m.to[0] for m in mail.outbox) == ["held@example.org", "waiting@example.org"]

    mail.outbox.clear()
    queued = timezone.now()
    run_worker("--queue-name", "promotions")  # promotes; the mail it queues waits for its worker
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.PENDING
    assert DBTaskResult.objects.get(task_path=EXPIRY_TASK).status == "SUCCESSFUL"
    assert mail.outbox == []
    promoted = DBTaskResult.objects.filter(task_path=MAIL_TASK, enqueued_at__gte=queued).get()
    assert (promoted.status, promoted.args_kwargs["kwargs"]["kind"]) == ("READY", "promoted")


# --- A mail server that accepts and never answers -----------------------------------------------


@pytest.fixture
def silent_mail_server():
    """A server that accepts connections and never says a word; yields its port and the
    connections it accepted."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def production_mailers(monkeypatch, *, port: int) -> dict:
    """MAILERS as koki/settings.py builds them for SMTP, with the default timeout."""
    monkeypatch.setenv("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    monkeypatch.setenv("DJANGO_EMAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("DJANGO_EMAIL_PORT", str(port))
    monkeypatch.delenv("DJANGO_EMAIL_TIMEOUT", raising=False)
    return runpy.run_path(str(django_settings.BASE_DIR / "koki" / "settings.py"))["MAILERS"]


def test_the_worker_gives_up_on_a_silent_mail_server_after_the_timeout_and_retries_later(
    settings, monkeypatch, silent_mail_server, caplog
):
    port, accepted = silent_mail_server
    settings.TASKS = DATABASE_TASKS
    settings.MAILERS = production_mailers(monkeypatch, port=port)
    assert settings.MAILERS["default"]["OPTIONS"]["timeout"] == 5
    registration = register(RoomFactory())

    started = time.monotonic()
    run_worker()
    waited = time.monotonic() - started

    # It waited for the server's greeting as long as the timeout, then gave up; not longer
    # than a few seconds more (the upper bound only catches a worker that hangs).
    assert 5 <= waited < 15
    assert len(accepted) == 1
    first, retry = DBTaskResult.objects.filter(task_path=MAIL_TASK).order_by("enqueued_at")
    assert (first.status, first.return_value) == ("SUCCESSFUL", False)
    assert (retry.status, retry.args_kwargs["kwargs"]) == (
        "READY",
        {"registration_id": registration.pk, "kind": "received", "status": "pending", "attempt": 2},
    )
    assert dt.timedelta(seconds=50) < retry.run_after - timezone.now() <= dt.timedelta(minutes=1)
    assert [r.getMessage() for r in caplog.records if r.name == "registrations.emails"] == [
        "Sending a mail failed (attempt 1): SMTPServerDisconnected"
    ]


# --- Mails that failed for good -----------------------------------------------------------------


def test_the_last_attempt_fails_the_task_and_keeps_no_personal_data(settings):
    settings.TASKS = DATABASE_TASKS
    settings.MAILERS = FAILING
    register(RoomFactory())

    for _attempt in range(MAX_ATTEMPTS):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_worker()

    results = DBTaskResult.objects.filter(task_path=MAIL_TASK).order_by("enqueued_at")
    assert [(r.status, r.args_kwargs["kwargs"]["attempt"]) for r in results[1:]] == [
        ("SUCCESSFUL", attempt) for attempt in range(2, MAX_ATTEMPTS)
    ] + [("FAILED", MAX_ATTEMPTS)]
    assert results[0].status == "SUCCESSFUL"  # the first attempt, queued without a number
    last = results.last()
    assert last.exception_class_path == "registrations.emails.MailNotSent"
    assert last.traceback.endswith("registrations.emails.MailNotSent: ConnectionRefusedError\n")
    # Neither the address nor what the server said reaches the task table.
    assert "erika@example.org" not in last.traceback
    assert "mail server down" not in last.traceback
    assert emails.failed_mail_error(last) == "ConnectionRefusedError"
    assert list(emails.failed_mails()) == [last]


def fail_for_good(task, **kwargs) -> DBTaskResult:
    """Run the last attempt of a mail task against a mail server that is down."""
    result = task.enqueue(**kwargs, attempt=MAX_ATTEMPTS)
    run_worker()
    return DBTaskResult.objects.get(pk=result.id, status="FAILED")


@pytest.fixture
def failed(settings):
    """One mail of each kind that failed for good, in this order: a registration's mail, a
    reminder, a message to attendees."""
    settings.TASKS = DATABASE_TASKS
    settings.MAILERS = FAILING
    room = RoomFactory(event=EventFactory(title="KoKI-Tag"))
    anna = RegistrationFactory(room=room, first_name="Anna", last_name="A", email="anna@x.org")
    ben = RegistrationFactory(room=room, first_name="Ben", last_name="B", email="ben@x.org")
    clara = RegistrationFactory(room=room, first_name="Clara", last_name="C", email="cl@x.org")
    reminder = Reminder.objects.create(event=room.event, minutes_before=60)
    delivery = ReminderDelivery.objects.create(
        reminder=reminder,
        registration=ben,
        due_at=reminder.due_at(),
        status="confirmed",
        claimed_at=timezone.now(),
        batch=uuid.uuid4(),
    )
    mailing = Mailing.objects.create(
        event=room.event, subject="Folien zum Nachlesen", body="Geheimer Text", audience="confirmed"
    )
    recipient = MailingRecipient.objects.create(mailing=mailing, registration=clara)
    results = [
        fail_for_good(
            emails.send_registration_mail_task,
            registration_id=anna.pk,
            kind="confirmed",
            status="confirmed",
        ),
        fail_for_good(reminders.send_reminder_mail_task, delivery_id=delivery.pk),
        fail_for_good(mailings.mailing_deliver, recipient_id=recipient.pk),
    ]
    DBTaskResult.objects.exclude(status="FAILED").delete()
    return {"registrations": [anna, ben, clara], "results": results, "mailing": mailing}


def german(message: str, plural: str = "", count: int = 0) -> str:
    """The page's own words in German, the default language (new words may await translation)."""
    with translation.override("de"):
        return ngettext(message, plural, count) if plural else gettext(message)


def german_datetime(value: dt.datetime) -> str:
    with translation.override("de"):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")


FAILED_MAILS = "/admin/django_tasks_database/dbtaskresult/failed-mails/"


@pytest.fixture
def organisers_group():
    """The Organisers group as migrations 0002 ff. create it; each flush empties the table."""
    group, _created = Group.objects.get_or_create(name=ORGANISERS_GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=["events", "registrations"])
    )


with_organisers = pytest.mark.usefixtures("organisers_group")


def mail_rows(html: str) -> list[list[str]]:
    """The failed mails' table: the text of each row's cells."""
    rows = re.findall(r'<tr data-mail="[^"]+">(.*?)</tr>', html, re.S)
    return [
        [
            re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r"<td.*?</td>", row, re.S)
        ]
        for row in rows
    ]


@with_organisers
def test_organisers_see_each_mail_that_failed_for_good_without_its_text(failed, organiser_client):
    assert reverse("admin:failed_mails") == FAILED_MAILS

    response = organiser_client.get(FAILED_MAILS)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{german('Failed e-mails')}</h1>" in html  # "Fehlgeschlagene E-Mails"
    when = [german_datetime(r.finished_at) for r in reversed(failed["results"])]
    assert mail_rows(html) == [
        ["", "Clara C", "KoKI-Tag", "Folien zum Nachlesen", when[0], "8", "ConnectionRefusedError"],
        ["", "Ben B", "KoKI-Tag", "Erinnerung: KoKI-Tag", when[1], "8", "ConnectionRefusedError"],
        [
            "",
            "Anna A",
            "KoKI-Tag",
            "Anmeldung bestätigt: KoKI-Tag",
            when[2],
            "8",
            "ConnectionRefusedError",
        ],
    ]
    for registration in failed["registrations"]:
        change = reverse("admin:registrations_registration_change", args=[registration.pk])
        assert f'<a href="{change}">{registration.full_name}</a>' in html
        assert registration.email not in html
        assert registration.token not in html
    mailing_page = reverse("admin:registrations_mailing_change", args=[failed["mailing"].pk])
    assert f'<a href="{mailing_page}">Folien zum Nachlesen</a>' in html
    assert "Geheimer Text" not in html


@with_organisers
def test_a_deleted_registration_still_shows_its_failed_mail(failed, organiser_client):
    anna, _ben, _clara = failed["registrations"]
    anna.delete()

    rows = mail_rows(organiser_client.get(FAILED_MAILS).content.decode())

    assert rows[2][1:4] == [german("deleted"), "–", "Anmeldung bestätigt: –"]


@with_organisers
def test_queueing_failed_mails_again_sends_them_and_clears_the_list(
    failed, organiser_client, settings
):
    anna, ben, _clara = failed["registrations"]
    registration_mail, reminder_mail, _message = failed["results"]

    response = organiser_client.post(
        FAILED_MAILS, {"mail": [str(registration_mail.pk), str(reminder_mail.pk), "not-an-id"]}
    )

    assert response.status_code == 302
    assert response["Location"] == FAILED_MAILS
    page = organiser_client.get(FAILED_MAILS).content.decode()
    queued_again = german("%(count)d e-mail queued again.", "%(count)d e-mails queued again.", 2)
    assert queued_again % {"count": 2} in page
    assert [row[1] for row in mail_rows(page)] == ["Clara C"]
    queued = DBTaskResult.objects.filter(status="READY").order_by("task_path")
    assert [(r.task_path, r.args_kwargs["kwargs"]) for r in queued] == [
        (
            MAIL_TASK,
            {"registration_id": anna.pk, "kind": "confirmed", "status": "confirmed", "attempt": 1},
        ),
        (
            "registrations.reminders.send_reminder_mail_task",
            {"delivery_id": reminder_mail.args_kwargs["kwargs"]["delivery_id"], "attempt": 1},
        ),
    ]
    assert organiser_client.get("/healthz").json()["tasks"]["failed_mails"] == 0

    settings.MAILERS = LOCMEM
    run_worker()
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("anna@x.org", "Anmeldung bestätigt: KoKI-Tag"),
        ("ben@x.org", "Erinnerung: KoKI-Tag"),
    ]
    logged = german("Failed e-mail queued again.")
    assert sorted(LogEntry.objects.values_list("object_id", "change_message")) == sorted(
        [(str(anna.pk), logged), (str(ben.pk), logged)]
    )


def test_a_mail_queued_again_twice_at_once_is_queued_once(failed):
    registration_mail = failed["results"][0]

    assert emails.failed_mail_requeue(result_ids=[registration_mail.pk]) == 1
    assert emails.failed_mail_requeue(result_ids=[registration_mail.pk]) == 0

    assert DBTaskResult.objects.filter(status="READY").count() == 1


@with_organisers
def test_a_message_queued_again_from_its_page_leaves_the_failed_mails(failed, organiser_client):
    mailing = failed["mailing"]

    organiser_client.post(reverse("admin:registrations_mailing_retry", args=[mailing.pk]))

    assert [row[1] for row in mail_rows(organiser_client.get(FAILED_MAILS).content.decode())] == [
        "Ben B",
        "Anna A",
    ]
    assert organiser_client.get("/healthz").json()["tasks"] | {"oldest_due_seconds": 0} == {
        "oldest_due_seconds": 0,
        "failed_mails": 2,
        "failed_messages": 0,
    }


@with_organisers
def test_the_failed_mails_are_for_organisers_only(failed, client, organiser_client):
    other_staff = make_staff_outside_group()
    superuser = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    post = {"mail": [str(failed["results"][0].pk)]}

    assert client.get(FAILED_MAILS).status_code == 302  # to the login
    client.force_login(other_staff)
    assert client.get(FAILED_MAILS).status_code == 403
    assert client.post(FAILED_MAILS, post).status_code == 403
    assert emails.failed_mails().count() == 3
    client.force_login(superuser)
    assert client.get(FAILED_MAILS).status_code == 200
    assert organiser_client.get(FAILED_MAILS).status_code == 200


@with_organisers
def test_the_task_queue_itself_is_for_superusers_only(failed, client, organiser_client):
    queue = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    task = reverse(
        "admin:django_tasks_database_dbtaskresult_change", args=[failed["results"][0].pk]
    )
    other_staff = make_staff_outside_group()
    superuser = get_user_model().objects.create_superuser("root", "root@example.org", "x")

    client.force_login(other_staff)
    assert [client.get(url).status_code for url in (queue, task)] == [403, 403]
    assert queue not in client.get("/admin/").content.decode()
    assert [organiser_client.get(url).status_code for url in (queue, task)] == [403, 403]
    assert queue not in organiser_client.get("/admin/").content.decode()
    client.force_login(superuser)
    assert [client.get(url).status_code for url in (queue, task)] == [200, 200]
    assert queue in client.get("/admin/").content.decode()


@with_organisers
@pytest.mark.parametrize("count", [1, 12])
def test_the_failed_mails_page_takes_the_same_queries_for_one_or_many(
    settings, organiser_client, django_assert_num_queries, count
):
    settings.TASKS = DATABASE_TASKS
    settings.MAILERS = FAILING
    room = RoomFactory()
    for registration in RegistrationFactory.create_batch(count, room=room):
        emails.send_registration_mail_task.enqueue(
            registration_id=registration.pk, kind="link", attempt=MAX_ATTEMPTS
        )
    run_worker()
    assert emails.failed_mails().count() == count

    # The same number for one mail or many (among them: the events of the organiser's teams,
    # the event in the header).
    with django_assert_num_queries(9):
        response = organiser_client.get(FAILED_MAILS)

    assert len(mail_rows(response.content.decode())) == count


@with_organisers
def test_the_failed_mails_page_shows_the_latest_and_says_how_many_there_are(
    failed, organiser_client, monkeypatch
):
    monkeypatch.setattr("registrations.admin.failed_mails.SHOWN", 2)

    html = organiser_client.get(FAILED_MAILS).content.decode()

    assert german("The latest %(shown)s of %(total)s.") % {"shown": 2, "total": 3} in html
    assert [row[1] for row in mail_rows(html)] == ["Clara C", "Ben B"]


@with_organisers
def test_without_failed_mails_the_page_says_so(organiser_client):
    html = organiser_client.get(FAILED_MAILS).content.decode()

    assert german("No e-mail has failed for good.") in html
    assert mail_rows(html) == []
