import datetime as dt
from io import StringIO

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from registrations.models import Registration
from registrations.purge import registrations_purge, task_results_purge
from tests.factories import EventFactory, RegistrationFactory, RoomFactory

pytestmark = pytest.mark.django_db

# The command uses the real clock, so the tests' "now" is the real one too.
NOW = timezone.now().replace(microsecond=0)


def event_ended(days_ago: float):
    ends_at = NOW - dt.timedelta(days=days_ago)
    return EventFactory(starts_at=ends_at - dt.timedelta(hours=3), ends_at=ends_at)


@pytest.fixture
def old_event():
    """Ended 31 days before NOW, with one registration of each status in two rooms."""
    event = event_ended(31)
    room_a, room_b = RoomFactory(event=event, capacity=2), RoomFactory(event=event, capacity=2)
    RegistrationFactory(
        room=room_a,
        email="Erika@Example.org",
        organisation="Stadt X",
        job_role="Amtsleitung",
        attended_at=NOW - dt.timedelta(days=31),
    )
    RegistrationFactory(
        room=room_a, status=Registration.Status.CANCELLED, cancelled_at=NOW - dt.timedelta(days=40)
    )
    RegistrationFactory(
        room=room_b, status=Registration.Status.WAITING, waiting_since=NOW - dt.timedelta(days=45)
    )
    RegistrationFactory(
        room=room_b,
        status=Registration.Status.PENDING,
        expires_at=NOW - dt.timedelta(days=44),
        email_confirmed_at=None,
    )
    return event


def counts(event):
    return sorted(
        Registration.objects.filter(event=event).values_list("room__number", "status", "language")
    )


def test_purge_anonymises_personal_data_and_keeps_the_counts(old_event):
    before_counts = counts(old_event)
    before = {r.pk: r for r in Registration.objects.filter(event=old_event)}

    assert registrations_purge(now=NOW) == 4

    for registration in Registration.objects.filter(event=old_event):
        old = before[registration.pk]
        assert registration.first_name == ""
        assert registration.last_name == ""
        assert registration.email == f"{registration.pk}@anonymised.invalid"
        assert registration.organisation == ""
        assert registration.job_role == ""
        assert registration.token != old.token
        assert len(registration.token) == 32
        assert registration.anonymised_at == NOW
        for kept in [
            "status",
            "room_id",
            "event_id",
            "created_at",
            "consent_at",
            "privacy_notice_version",
            "email_confirmed_at",
            "expires_at",
            "waiting_since",
            "cancelled_at",
            "attended_at",
            "language",
        ]:
            assert getattr(registration, kept) == getattr(old, kept), kept
    assert counts(old_event) == before_counts


def test_purge_leaves_recent_events_alone():
    recent = event_ended(29)
    upcoming = event_ended(-10)
    kept = [
        RegistrationFactory(room=RoomFactory(event=recent), email="a@example.org"),
        RegistrationFactory(room=RoomFactory(event=upcoming), email="b@example.org"),
    ]

    assert registrations_purge(now=NOW) == 0

    assert sorted(Registration.objects.values_list("email", flat=True)) == [
        "a@example.org",
        "b@example.org",
    ]
    assert {r.anonymised_at for r in Registration.objects.filter(pk__in=[k.pk for k in kept])} == {
        None
    }


def test_purge_uses_the_days_setting_and_the_argument(settings):
    event = event_ended(10)
    RegistrationFactory(room=RoomFactory(event=event))
    settings.KOKI_PURGE_AFTER_DAYS = 30

    assert registrations_purge(now=NOW) == 0
    assert registrations_purge(now=NOW, days=11) == 0
    assert registrations_purge(now=NOW, days=10) == 1
    settings.KOKI_PURGE_AFTER_DAYS = 5
    assert registrations_purge(now=NOW) == 0  # already anonymised


def test_purge_is_idempotent(old_event):
    assert registrations_purge(now=NOW) == 4
    first = {r.pk: (r.token, r.anonymised_at) for r in Registration.objects.all()}

    assert registrations_purge(now=NOW + dt.timedelta(days=1)) == 0

    assert {r.pk: (r.token, r.anonymised_at) for r in Registration.objects.all()} == first


def test_purge_handles_more_than_one_batch(monkeypatch):
    monkeypatch.setattr("registrations.purge.BATCH_SIZE", 3)
    event = event_ended(40)
    room = RoomFactory(event=event, capacity=10)
    RegistrationFactory.create_batch(7, room=room)

    assert registrations_purge(now=NOW) == 7

    assert Registration.objects.filter(anonymised_at__isnull=True).count() == 0


def test_purge_clears_the_name_from_the_admin_log(old_event, admin_user):
    registration = Registration.objects.filter(event=old_event).first()
    entry = LogEntry.objects.log_actions(
        user_id=admin_user.pk,
        queryset=[registration],
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Room"]}}]',
        single_object=True,
    )
    assert entry.object_repr == str(registration)

    registrations_purge(now=NOW)

    entry.refresh_from_db()
    assert entry.object_repr == "anonymisierte Anmeldung"
    assert entry.change_message == '[{"changed": {"fields": ["Room"]}}]'
    assert entry.content_type == ContentType.objects.get_for_model(Registration)


def test_old_secret_link_stops_working(client, old_event):
    registration = Registration.objects.filter(event=old_event).first()
    old_token = registration.token
    registrations_purge(now=NOW)

    assert not Registration.objects.filter(token=old_token).exists()


def test_command_dry_run_counts_and_changes_nothing(old_event):
    out = StringIO()

    call_command("purge_registrations", "--dry-run", "--days", "0", stdout=out)

    assert out.getvalue() == "Would anonymise 4 registration(s) and delete 0 finished task(s).\n"
    assert Registration.objects.filter(anonymised_at__isnull=True).count() == 4


def test_command_anonymises_and_prints_no_personal_data(old_event):
    out = StringIO()

    call_command("purge_registrations", stdout=out)
    call_command("purge_registrations", stdout=out)

    assert out.getvalue() == (
        "Anonymised 4 registration(s), deleted 0 finished task(s).\n"
        "Anonymised 0 registration(s), deleted 0 finished task(s).\n"
    )
    assert Registration.objects.filter(anonymised_at__isnull=True).count() == 0
    assert timezone.now() - Registration.objects.first().anonymised_at < dt.timedelta(minutes=1)


def test_command_refuses_negative_days():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"--days must be 0 or more\."):
        call_command("purge_registrations", "--days", "-1")


def mail_task(*, status, finished_days_ago):
    finished = NOW - dt.timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [], "kwargs": {"to": "erika@example.org", "text": "/r/abc/"}},
        task_path="registrations.tasks.send_mail_task",
        backend_name="default",
        queue_name="default",
        run_after=NOW - dt.timedelta(days=40),
        finished_at=finished,
    )


def test_task_results_purge_deletes_only_old_finished_tasks():
    old_sent = mail_task(status="SUCCESSFUL", finished_days_ago=31)
    old_failed = mail_task(status="FAILED", finished_days_ago=45)
    recent = mail_task(status="SUCCESSFUL", finished_days_ago=2)
    waiting = mail_task(status="READY", finished_days_ago=None)

    assert task_results_purge(now=NOW) == 2

    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    assert not DBTaskResult.objects.filter(pk__in=[old_sent.pk, old_failed.pk]).exists()


def test_command_deletes_old_mail_tasks_too():
    mail_task(status="SUCCESSFUL", finished_days_ago=31)
    out = StringIO()

    call_command("purge_registrations", stdout=out)

    assert out.getvalue() == "Anonymised 0 registration(s), deleted 1 finished task(s).\n"
    assert DBTaskResult.objects.count() == 0


def test_command_deletes_expired_sessions():
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    expired, current = SessionStore(), SessionStore()
    expired["koki_registered_email"] = "erika@example.org"
    expired.set_expiry(-1)
    expired.save()
    current["koki_registered_email"] = "max@example.org"
    current.save()

    call_command("purge_registrations", stdout=StringIO())

    assert list(Session.objects.values_list("session_key", flat=True)) == [current.session_key]


def test_deleting_a_registration_clears_its_name_from_the_admin_log(organiser_client):
    registration = RegistrationFactory(first_name="Erika", last_name="Mustermann")
    url = f"/admin/registrations/registration/{registration.pk}/delete/"

    response = organiser_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Registration.objects.filter(pk=registration.pk).exists()
    content_type = ContentType.objects.get_for_model(Registration)
    entries = LogEntry.objects.filter(content_type=content_type, object_id=str(registration.pk))
    assert list(entries.values_list("object_repr", flat=True)) == ["anonymisierte Anmeldung"]


def test_purge_also_clears_names_of_registrations_deleted_long_ago(old_event, admin_user):
    registration = Registration.objects.filter(event=old_event).first()
    entry = LogEntry.objects.log_actions(
        user_id=admin_user.pk, queryset=[registration], action_flag=CHANGE, single_object=True
    )
    Registration.objects.filter(pk=registration.pk).delete()  # as deleted before the fix

    registrations_purge(now=NOW)

    entry.refresh_from_db()
    assert entry.object_repr == "anonymisierte Anmeldung"
