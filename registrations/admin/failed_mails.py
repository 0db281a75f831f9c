"""Mails that failed for good ("Failed e-mails"), for the organisers (of their teams' events);
the task queue itself for superusers only.

A mail fails for good when its last attempt failed (registrations.emails): a registration's mail,
a reminder or a message to attendees. The page names the registration (linked to its admin page),
the mail (its subject), when its last attempt failed, after how many attempts and the class of
the error; never the mail's text. Organisers can queue selected mails again, from their first
attempt (after correcting an address, say); a mail whose news is out of date by then is not
sent, as always.

django-tasks-db's own admin of the task queue shows every task with its arguments and what a
failed task raised, of every event: superusers only, not the organisers or other staff (an
organiser's team is no limit there, and the arguments and errors are for whoever runs the
server). It is not removed: a superuser sometimes needs it to see a stuck queue.
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods
from django_tasks_db import admin as tasks_admin  # registers its admin first: replaced below
from django_tasks_db.models import DBTaskResult

from registrations import emails
from registrations.admin.common import log_changes
from registrations.models import Mailing, MailingRecipient, Registration, ReminderDelivery
from registrations.permissions import events_for, is_organiser

SHOWN = 500  # the latest ones; more than a handful means the mail server needs attention


@dataclass(frozen=True)
class FailedMail:
    id: str
    registration: Registration | None  # None: deleted since
    subject: str
    mailing: Mailing | None  # a message to attendees
    failed_at: dt.datetime
    attempts: int
    error: str


def _subject(kind: str, registration: Registration | None) -> str:
    if kind not in emails.SUBJECTS:
        return kind
    event = registration.event.title if registration else "–"
    return str(emails.SUBJECTS[kind] % {"event": event})


def failed_mail_list(*, ids=None, limit: int | None) -> list[FailedMail]:
    """The mails that failed for good (the latest first), with their registrations: four
    queries, however many there are."""
    results = emails.failed_mails()
    if ids is not None:
        results = results.filter(pk__in=ids)
    results = list(results[:limit])
    wanted = {path: set() for path in emails.MAIL_TASKS}
    for result in results:
        wanted[result.task_path].add(_first_id(result))
    registrations = Registration.objects.select_related("event").in_bulk(
        wanted[emails.REGISTRATION_MAIL_TASK]
    )
    deliveries = ReminderDelivery.objects.select_related("registration__event").in_bulk(
        wanted[emails.REMINDER_MAIL_TASK]
    )
    recipients = MailingRecipient.objects.select_related("registration__event", "mailing").in_bulk(
        wanted[emails.MESSAGE_MAIL_TASK]
    )

    mails = []
    for result in results:
        kwargs = result.args_kwargs["kwargs"]
        mailing = None
        if result.task_path == emails.REGISTRATION_MAIL_TASK:
            registration = registrations.get(kwargs["registration_id"])
            subject = _subject(kwargs["kind"], registration)
        elif result.task_path == emails.REMINDER_MAIL_TASK:
            delivery = deliveries.get(kwargs["delivery_id"])
            registration = delivery.registration if delivery else None
            waiting = delivery and delivery.status == Registration.Status.WAITING
            subject = _subject("still_waiting" if waiting else "reminder", registration)
        else:
            recipient = recipients.get(kwargs["recipient_id"])
            registration = recipient.registration if recipient else None
            mailing = recipient.mailing if recipient else None
            subject = mailing.subject if mailing else "–"
        mails.append(
            FailedMail(
                id=str(result.pk),
                registration=registration,
                subject=subject,
                mailing=mailing,
                failed_at=result.finished_at,
                attempts=kwargs.get("attempt", 1),
                error=emails.failed_mail_error(result),
            )
        )
    return mails


def _first_id(result: DBTaskResult) -> int:
    kwargs = result.args_kwargs["kwargs"]
    return kwargs.get("registration_id") or kwargs.get("delivery_id") or kwargs["recipient_id"]


def _ids(values: list[str]) -> list[str]:
    """The well-formed ids among the posted ones (anything else is no failed mail)."""
    ids = []
    for value in values:
        try:
            ids.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return ids


def _of_teams(user, mails: list[FailedMail]) -> list[FailedMail]:
    """The mails of registrations of the user's teams' events, and those whose registration is
    gone (the row then names neither the person nor the event)."""
    events = set(events_for(user).values_list("pk", flat=True))
    return [
        mail for mail in mails if mail.registration is None or mail.registration.event_id in events
    ]


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(tasks_admin.DBTaskResultAdmin):
    """The task queue, for superusers only; and the organisers' page of failed mails."""

    @staticmethod
    def _superuser(request) -> bool:
        return request.user.is_active and request.user.is_staff and request.user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)

    def get_urls(self):
        view = require_http_methods(["GET", "HEAD", "POST"])(self.failed_mails_view)
        return [
            path("failed-mails/", self.admin_site.admin_view(view), name="failed_mails"),
            *super().get_urls(),
        ]

    def failed_mails_view(self, request):
        if not is_organiser(request.user):
            raise PermissionDenied
        if request.method == "POST":
            if not request.user.has_perm("registrations.change_registration"):
                raise PermissionDenied
            return self._queue_again(request)
        if request.user.is_superuser:
            mails = failed_mail_list(limit=SHOWN)
            total = emails.failed_mails().count() if len(mails) == SHOWN else len(mails)
        else:
            mails = _of_teams(request.user, failed_mail_list(limit=None))
            total = len(mails)
            mails = mails[:SHOWN]
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Failed e-mails"),
            "mails": mails,
            "total": total,
            "can_queue": request.user.has_perm("registrations.change_registration"),
        }
        return TemplateResponse(request, "admin/registrations/failed_mails.html", context)

    def _queue_again(self, request):
        selected = failed_mail_list(ids=_ids(request.POST.getlist("mail")), limit=None)
        if not request.user.is_superuser:
            selected = _of_teams(request.user, selected)
        count = emails.failed_mail_requeue(result_ids=[mail.id for mail in selected])
        log_changes(
            request,
            {mail.registration for mail in selected if mail.registration is not None},
            gettext("Failed e-mail queued again."),
        )
        self.message_user(
            request,
            ngettext("%(count)d e-mail queued again.", "%(count)d e-mails queued again.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
        return HttpResponseRedirect(reverse("admin:failed_mails"))
