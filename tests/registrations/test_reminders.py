"""Reminders: when they are due, that they follow the event, who gets what, and that nobody gets
one twice (also with two workers at once, on PostgreSQL)."""

import datetime as dt
import threading
import zoneinfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from events.demo import demo_event_load, demo_event_move
from events.models import Event, Reminder
from registrations import reminders, services
from registrations.models import Registration, ReminderDelivery
from tests.factories import EventFactory, OrganiserFactory, RegistrationFactory
from tests.registrations.admin_helpers import form_data

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "promotions"]}
}
SWEEP = "registrations.reminders.send_reminders_task"


def at(day: str, hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=BERLIN)


def day_before(event) -> Reminder:
    return event.reminders.get(days_before=1)


def hour_before(event) -> Reminder:
    return event.reminders.get(minutes_before=60)


@pytest.fixture
def people(demo_event):
    """In room 3: two confirmed (one English), one waiting, one unconfirmed, one cancelled."""
    room = demo_event.rooms.get(number=3)
    confirmed = RegistrationFactory(room=room, email_confirmed_at=at("2027-03-01", "12:00"))
    english = RegistrationFactory(room=room, language="en", email_confirmed_at=timezone.now())
    waiting = RegistrationFactory(room=room, status="waiting", waiting_since=timezone.now())
    pending = RegistrationFactory(
        room=room, status="pending", expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    cancelled = RegistrationFactory(room=room, status="cancelled", cancelled_at=timezone.now())
    return confirmed, english, waiting, pending, cancelled


# --- When ---------------------------------------------------------------------------------------


def test_the_demo_event_has_the_two_usual_reminders(demo_event):
    due = sorted(reminder.due_at() for reminder in demo_event.reminders.all())
    assert due == [at("2027-03-15", "09:00"), at("2027-03-16", "09:00")]


def test_the_day_before_reminder_keeps_its_local_time_across_a_clock_change(db):
    event = EventFactory(starts_at=at("2027-03-29", "10:00"), ends_at=at("2027-03-29", "12:00"))
    reminder = Reminder.objects.create(event=event, days_before=1, at_time=dt.time(9, 0))
    assert reminder.due_at() == at("2027-03-28", "09:00")  # CEST since 02:00 that day
    assert reminder.due_at().utcoffset() == dt.timedelta(hours=2)


@pytest.mark.parametrize(
    "fields",
    [{"days_before": 1}, {"days_before": 1, "at_time": dt.time(9), "minutes_before": 5}, {}],
)
def test_a_reminder_is_either_a_day_and_time_or_minutes(demo_event, fields):
    with pytest.raises(ValidationError):
        Reminder(event=demo_event, **fields).full_clean()


# --- Scheduling ---------------------------------------------------------------------------------


def test_each_reminder_is_queued_once_for_its_due_time(demo_event, settings):
    settings.TASKS = DATABASE_TASKS
    now = at("2027-03-01", "12:00")
    queued = reminders.reminders_schedule(event=demo_event, now=now)
    assert len(queued) == 2
    tasks = DBTaskResult.objects.filter(task_path=SWEEP).order_by("run_after")
    assert [(task.run_after, task.args_kwargs["kwargs"]) for task in tasks] == [
        (
            at("2027-03-15", "09:00"),
            {"reminder_id": day_before(demo_event).pk, "due_at": "2027-03-15T08:00:00+00:00"},
        ),
        (
            at("2027-03-16", "09:00"),
            {"reminder_id": hour_before(demo_event).pk, "due_at": "2027-03-16T08:00:00+00:00"},
        ),
    ]
    assert reminders.reminders_schedule(event=demo_event, now=now) == []  # saved again
    assert tasks.count() == 2


def test_a_reminder_already_due_is_not_queued(demo_event, settings):
    settings.TASKS = DATABASE_TASKS
    queued = reminders.reminders_schedule(event=demo_event, now=at("2027-03-15", "10:00"))
    assert queued == [hour_before(demo_event)]


def test_moving_the_event_queues_the_reminders_for_the_new_time(demo_event, settings, people):
    settings.TASKS = DATABASE_TASKS
    reminders.reminders_schedule(event=demo_event, now=at("2027-03-01", "12:00"))
    old_due = "2027-03-15T09:00:00+01:00"
    demo_event_move(event=demo_event, day=dt.date(2027, 3, 18), start=None)  # sends the signal
    new = DBTaskResult.objects.filter(task_path=SWEEP).order_by("run_after")
    assert [task.run_after for task in new] == [
        at("2027-03-15", "09:00"),
        at("2027-03-16", "09:00"),
        at("2027-03-17", "09:00"),
        at("2027-03-18", "09:00"),
    ]
    # The task for the old time finds it out of date and sends nothing.
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "promotions"],
        }
    }
    sent = reminders.send_reminders_task.call(reminder_id=day_before(demo_event).pk, due_at=old_due)
    assert (sent, mail.outbox) == (0, [])


def test_a_new_event_from_the_admin_gets_the_usual_reminders_queued(organiser_client, settings):
    settings.TASKS = DATABASE_TASKS
    data = form_data(
        organiser_client.get("/admin/events/event/add/").content.decode(), "event_form"
    )
    data.update(
        title_de=["Herbsttreffen"],
        slug=["herbsttreffen"],
        organiser=[str(OrganiserFactory().pk)],
        timezone=["Europe/Berlin"],
        starts_at_0=["2099-10-15"],
        starts_at_1=["10:00"],
        ends_at_0=["2099-10-15"],
        ends_at_1=["12:00"],
        _save=["Sichern"],
    )
    response = organiser_client.post("/admin/events/event/add/", data)
    assert response.status_code == 302
    event = Event.objects.get(slug="herbsttreffen")
    assert sorted(str(reminder) for reminder in event.reminders.all()) == [
        "1 Tag(e) vorher um 09:00 Uhr",
        "60 Minuten vor Beginn",
    ]
    tasks = DBTaskResult.objects.filter(task_path=SWEEP).order_by("run_after")
    assert [task.run_after for task in tasks] == [
        at("2099-10-14", "09:00"),
        at("2099-10-15", "09:00"),
    ]


# --- Sending ------------------------------------------------------------------------------------


def test_confirmed_people_get_the_reminder_and_the_waiting_list_a_note(demo_event, people):
    confirmed, english, waiting, _pending, _cancelled = people
    claimed = reminders.reminder_send(reminder=hour_before(demo_event))
    assert len(claimed) == 3
    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == sorted([confirmed.email, english.email, waiting.email])

    german = by_address[confirmed.email]
    assert german.subject == f"Erinnerung: {demo_event.title}"
    assert f"wir erinnern Sie an {demo_event.title}.\n\nIhr Break-out-Raum: Raum 3: Pflege" in (
        german.body
    )
    assert f"- Plenum <http://127.0.0.1:8000/r/{confirmed.token}/join/plenary/> (ab 09:45 Uhr)" in (
        german.body
    )
    assert (
        f"- Raum 3: Pflege <http://127.0.0.1:8000/r/{confirmed.token}/join/3/> (ab 10:50 Uhr)"
        in (german.body)
    )
    assert f"http://127.0.0.1:8000/r/{confirmed.token}/calendar.ics" in german.body
    assert f"http://127.0.0.1:8000/r/{confirmed.token}/cancel/" in german.body
    assert "Ich kann nicht – Platz freigeben" in german.alternatives[0].content
    assert "konferenz.example.org" not in german.body
    assert not german.attachments  # the invitation came with the confirmation

    assert by_address[english.email].subject == f"Reminder: {demo_event.title_en}"
    assert "this is a reminder of" in by_address[english.email].body

    note = by_address[waiting.email]
    assert note.subject == f"Weiterhin auf der Warteliste: {demo_event.title}"
    assert "und Sie stehen weiterhin auf der Warteliste von Raum 3: Pflege (Platz 1)." in note.body
    assert f"/r/{waiting.token}/cancel/" in note.body
    assert "/join/" not in note.body
    assert ReminderDelivery.objects.filter(sent_at__isnull=False).count() == 3


def test_a_reminder_goes_to_each_person_once(demo_event, people):
    reminder = hour_before(demo_event)
    reminders.reminder_send(reminder=reminder)
    assert reminders.reminder_send(reminder=reminder) == []
    assert len(mail.outbox) == 3
    late = RegistrationFactory(room=demo_event.rooms.get(number=1))
    assert [d.registration for d in reminders.reminder_send(reminder=reminder)] == [late]
    assert len(mail.outbox) == 4


def test_a_moved_event_reminds_again(demo_event, people):
    reminder = hour_before(demo_event)
    reminders.reminder_send(reminder=reminder)
    demo_event_move(event=demo_event, day=dt.date(2027, 3, 18), start=None)
    reminder.refresh_from_db()
    assert len(reminders.reminder_send(reminder=reminder)) == 3
    assert len(mail.outbox) == 6


def test_a_change_between_claim_and_sending_sends_nothing(demo_event, people, settings):
    settings.TASKS = DATABASE_TASKS
    confirmed = people[0]
    reminders.reminder_send(reminder=hour_before(demo_event))
    services.registration_cancel(registration=confirmed)
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "promotions"],
        }
    }
    delivery = ReminderDelivery.objects.get(registration=confirmed)
    assert reminders.send_reminder_mail_task.call(delivery_id=delivery.pk) is False
    assert mail.outbox == []


def test_the_worker_sends_nothing_once_the_event_has_begun(demo_event, people, monkeypatch):
    reminder = hour_before(demo_event)
    monkeypatch.setattr(timezone, "now", lambda: at("2027-03-16", "10:01"))
    sent = reminders.send_reminders_task.call(
        reminder_id=reminder.pk, due_at=reminder.due_at().isoformat()
    )
    assert (sent, mail.outbox) == (0, [])


def test_i_cant_come_frees_the_seat_for_the_next_person_waiting(client, demo_event):
    room = demo_event.rooms.get(number=3)
    Registration.objects.filter(room=room).delete()
    room.capacity = 1
    room.save()
    leaving = RegistrationFactory(room=room, email_confirmed_at=timezone.now())
    waiting = RegistrationFactory(room=room, status="waiting", waiting_since=timezone.now())
    reminders.reminder_send(reminder=hour_before(demo_event))
    reminder_mail = next(m for m in mail.outbox if m.to == [leaving.email])
    cancel_path = f"/r/{leaving.token}/cancel/"
    assert f"http://127.0.0.1:8000{cancel_path}" in reminder_mail.body
    mail.outbox.clear()

    page = client.get(cancel_path).content.decode()
    assert "Ja, Anmeldung stornieren" in page  # one confirmation step
    client.post(cancel_path)

    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
    assert sorted(m.to[0] for m in mail.outbox) == sorted([leaving.email, waiting.email])
    promoted = next(m for m in mail.outbox if m.to == [waiting.email])
    assert promoted.subject == f"Ein Platz ist für Sie frei: {demo_event.title}"


# --- Two workers at once (PostgreSQL) -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_same_reminder_send_each_person_one_mail(require_postgres):
    """The same reminder run by two workers at the same moment (two transactions on
    PostgreSQL, released together): every person gets exactly one mail."""
    event, _created = demo_event_load(day=dt.date(2027, 3, 16))
    for room in event.rooms.all():
        RegistrationFactory.create_batch(10, room=room)
    reminder = hour_before(event)
    due = reminder.due_at().isoformat()
    barrier = threading.Barrier(2)
    queued = []

    def worker():
        try:
            barrier.wait(timeout=30)
            queued.append(reminders.send_reminders_task.call(reminder_id=reminder.pk, due_at=due))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(queued) == [0, 80]  # one run claimed everyone, the other found them claimed
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted(Registration.objects.values_list("email", flat=True))
    assert len(recipients) == 80
    assert ReminderDelivery.objects.filter(sent_at__isnull=False).count() == 80
