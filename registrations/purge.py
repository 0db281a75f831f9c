"""Anonymise the personal data of registrations a while after their event (DSGVO storage limit)."""

import datetime as dt

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from registrations.models import Answer, Registration, new_token

ANONYMISED_FIELDS = ["first_name", "last_name", "email", "organisation", "job_role", "token"]
BATCH_SIZE = 500


def registrations_due_for_purge(*, now=None, days=None):
    """Registrations of events that ended at least `days` days before `now`, not yet anonymised."""
    now = now or timezone.now()
    days = settings.KOKI_PURGE_AFTER_DAYS if days is None else days
    return Registration.objects.filter(
        anonymised_at__isnull=True, event__ends_at__lte=now - dt.timedelta(days=days)
    )


def log_entries_anonymise(*, registration_ids=None) -> int:
    """The admin log's entries for these registrations (or, with None, for every registration
    that no longer exists) lose the name they showed; the list of changed fields stays."""
    content_type = ContentType.objects.get_for_model(Registration)
    with translation.override(settings.LANGUAGE_CODE):
        object_repr = str(_("anonymised registration"))
    entries = LogEntry.objects.filter(content_type=content_type).exclude(object_repr=object_repr)
    if registration_ids is None:
        existing = Registration.objects.filter(anonymised_at__isnull=True)
        entries = entries.exclude(
            object_id__in=existing.annotate(key=Cast("pk", CharField())).values("key")
        )
    else:
        entries = entries.filter(object_id__in=[str(pk) for pk in registration_ids])
    return entries.update(object_repr=object_repr)


def registrations_purge(*, now=None, days=None) -> int:
    """Anonymise the registrations due (see above); return how many were anonymised.

    Kept, because they are no personal data on their own: event, room, status, language and the
    timestamps, so the counts per room and status stay right. Cleared: names, organisation and
    role, and the answers to the event's questions (deleted); the e-mail becomes
    `<id>@anonymised.invalid` (the one-per-address constraint needs a unique value); the secret
    link gets a new random token, so old links stop working. The admin log's entries for these
    registrations, and for any registration deleted since, lose the name they showed (the list
    of changed fields stays).

    Idempotent: anonymised rows are never selected again, so it is safe to run daily.
    """
    now = now or timezone.now()
    due = registrations_due_for_purge(now=now, days=days)
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                due.select_for_update(skip_locked=True, of=("self",)).order_by("pk")[:BATCH_SIZE]
            )
            if not batch:
                break
            for registration in batch:
                registration.first_name = ""
                registration.last_name = ""
                registration.email = f"{registration.pk}@anonymised.invalid"
                registration.organisation = ""
                registration.job_role = ""
                registration.token = new_token()
                registration.anonymised_at = now
            Registration.objects.bulk_update(batch, [*ANONYMISED_FIELDS, "anonymised_at"])
            Answer.objects.filter(registration__in=batch).delete()
            log_entries_anonymise(registration_ids=[registration.pk for registration in batch])
            total += len(batch)
    log_entries_anonymise()  # registrations deleted meanwhile
    return total


def finished_tasks_due_for_purge(*, now=None, days=None):
    """Finished background tasks (sent or given-up mails) older than `days` days."""
    now = now or timezone.now()
    days = settings.KOKI_PURGE_AFTER_DAYS if days is None else days
    return DBTaskResult.objects.finished().filter(finished_at__lte=now - dt.timedelta(days=days))


def task_results_purge(*, now=None, days=None) -> int:
    """Delete finished tasks of the database task backend after `days` days; return how many.

    A stored mail task holds the address, the text and the secret link of its recipient; once
    it is sent (or given up) nothing needs it. Waiting and retrying mails are kept.
    """
    deleted, _per_model = finished_tasks_due_for_purge(now=now, days=days).delete()
    return deleted
