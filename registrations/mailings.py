"""Messages from organisers to the attendees of an event or a room: one mail per person.
After the event, also to those who attended or those who did not (`Mailing.Audience`).

`mailing_send` records every recipient and queues one task per mail (django.tasks); the task
sends it and records when it went out, or why not. A failing mail server makes the task try
again later (database backend), like the registration mails in emails.py; the last attempt
fails the task, so the mail shows among the mails that failed for good.
"""

import logging
import re

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.tasks import default_task_backend, task
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from koki.site import absolute_url
from registrations import mail_layout, occupancy
from registrations.emails import (
    MAX_ATTEMPTS,
    MESSAGE_MAIL_TASK,
    MailNotSent,
    failed_mails,
    retry_at,
)
from registrations.models import Mailing, MailingRecipient, Registration

logger = logging.getLogger(__name__)

AUDIENCE_STATUSES = {
    Mailing.Audience.CONFIRMED: [Registration.Status.CONFIRMED],
    Mailing.Audience.HOLDING_SEAT: [Registration.Status.CONFIRMED, Registration.Status.PENDING],
    Mailing.Audience.WAITING: [Registration.Status.WAITING],
    Mailing.Audience.ATTENDED: [Registration.Status.CONFIRMED],
    Mailing.Audience.NO_SHOW: [Registration.Status.CONFIRMED],
}
# Follow-ups after the event: who came (slides, recordings, feedback) and who did not.
AUDIENCE_ATTENDED = {
    Mailing.Audience.ATTENDED: Q(attended_at__isnull=False),
    Mailing.Audience.NO_SHOW: Q(attended_at__isnull=True),
}


class MailingError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def mailing_audience(*, mailing: Mailing) -> QuerySet[Registration]:
    """The registrations a mailing goes to, as of now (also the preview's count)."""
    queryset = Registration.objects.filter(
        event_id=mailing.event_id,
        status__in=AUDIENCE_STATUSES[mailing.audience],
        anonymised_at__isnull=True,
    )
    if mailing.room_id is not None:
        queryset = queryset.filter(room_id=mailing.room_id)
    if mailing.audience == Mailing.Audience.HOLDING_SEAT:
        queryset = queryset.filter(occupancy.holds_seat(timezone.now()))
    if mailing.audience in AUDIENCE_ATTENDED:
        queryset = queryset.filter(AUDIENCE_ATTENDED[mailing.audience])
    return queryset.order_by("pk")


def mailing_render(
    *, mailing: Mailing, registration: Registration, test_notice: str = ""
) -> dict[str, str]:
    """Subject, HTML and plain text of one person's mail: the organiser's text as typed (its
    paragraphs, line breaks and addresses as links), the frame in the language they
    registered in. A test (`test_notice`) says so at the top and links nobody's registration."""
    subject = mail_layout.one_line(mailing.subject)
    with translation.override(registration.language), timezone.override(mailing.event.tzinfo):
        content = mail_layout.render(
            "emails/mailing.html",
            {
                **mail_layout.layout_context(mailing.event),
                "language": registration.language,
                "subject": subject,
                "mailing": mailing,
                "paragraphs": [
                    part.strip() for part in re.split(r"\n\s*\n", mailing.body) if part.strip()
                ],
                "registration": registration,
                "test_notice": test_notice,
                "manage_url": "" if test_notice else absolute_url(registration.get_absolute_url()),
            },
        )
    return {"subject": subject, **content}


def mailing_send_test(*, mailing: Mailing, to: str) -> None:
    """Send the draft once to `to` (the organiser), now, marked as a test in the subject and at
    the top, in the current language, with a placeholder for the personal link.

    Nobody else receives it and nothing is recorded: the mailing stays a draft.
    """
    language = translation.get_language() or "de"
    stand_in = Registration(event=mailing.event, room=mailing.room, language=language)
    notice = _(
        "TEST – only you receive this mail. The attendees receive the message below only when "
        "you send it from the admin, each with their own personal link."
    )
    content = mailing_render(mailing=mailing, registration=stand_in, test_notice=str(notice))
    message = mail_layout.message(
        event=mailing.event,
        subject=str(_("[TEST] %(subject)s") % {"subject": content["subject"]}),
        content=content,
        to=[to],
        language=language,
    )
    try:
        message.send()
    except Exception as error:
        logger.warning("Sending a test mailing failed: %s", type(error).__name__)
        raise MailingError(
            _("The test could not be sent (%(error)s). Please try again later.")
            % {"error": type(error).__name__}
        ) from None


def mailing_send(*, mailing: Mailing, now=None) -> int:
    """Record the recipients and queue one mail each. Returns how many were queued.

    A mailing goes out once: sending it again raises MailingError.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if locked.queued_at is not None:
            raise MailingError(_("This message has been sent already."))
        audience = list(mailing_audience(mailing=locked).values_list("pk", flat=True))
        if not audience:
            raise MailingError(_("Nobody would receive this message."))
        locked.queued_at = now
        locked.save(update_fields=["queued_at"])
        recipients = MailingRecipient.objects.bulk_create(
            MailingRecipient(mailing=locked, registration_id=pk) for pk in audience
        )
        recipient_ids = [recipient.pk for recipient in recipients]
        for recipient_id in recipient_ids:
            mailing_deliver.enqueue(recipient_id=recipient_id)
    mailing.queued_at = now
    return len(recipient_ids)


def mailing_retry_failed(*, mailing: Mailing) -> int:
    """Queue the mails of a sent mailing that have not gone out (yet) again; those that had
    failed for good leave the list of failed mails."""
    pending = list(
        mailing.recipients.filter(sent_at__isnull=True)
        .exclude(error="")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        for recipient_id in pending:
            mailing_deliver.enqueue(recipient_id=recipient_id)
        failed_mails().filter(
            task_path=MESSAGE_MAIL_TASK, args_kwargs__kwargs__recipient_id__in=pending
        ).delete()
    return len(pending)


def mailing_counts(queryset: QuerySet[Mailing]) -> QuerySet[Mailing]:
    """Annotate recipients_total, recipients_sent and recipients_failed."""
    return queryset.annotate(
        recipients_total=Count("recipients", distinct=True),
        recipients_sent=Count(
            "recipients", filter=Q(recipients__sent_at__isnull=False), distinct=True
        ),
        recipients_failed=Count(
            "recipients",
            filter=Q(recipients__sent_at__isnull=True) & ~Q(recipients__error=""),
            distinct=True,
        ),
    )


@task()
def mailing_deliver(*, recipient_id: int, attempt: int = 1) -> None:
    """Send one person's mail of a mailing and record the outcome."""
    recipient = (
        MailingRecipient.objects.select_related(
            "mailing__event__organiser", "registration__event", "registration__room"
        )
        .filter(pk=recipient_id)
        .first()
    )
    if recipient is None or recipient.sent_at is not None:
        return  # deleted (DSGVO) in the meantime, or already sent
    registration = recipient.registration
    if registration.status == Registration.Status.CANCELLED or registration.anonymised_at:
        MailingRecipient.objects.filter(pk=recipient.pk).update(
            error=str(_("not sent: the registration was cancelled")), attempts=attempt
        )
        return
    content = mailing_render(mailing=recipient.mailing, registration=registration)
    message = mail_layout.message(
        event=recipient.mailing.event,
        subject=content["subject"],
        content=content,
        to=[registration.email],
        language=registration.language,
    )
    try:
        message.send()
    except Exception as error:
        # No personal data in the log or the record: the kind of error only.
        logger.warning("Sending a mailing failed (attempt %s): %s", attempt, type(error).__name__)
        MailingRecipient.objects.filter(pk=recipient.pk).update(
            error=type(error).__name__[:200], attempts=attempt
        )
        if attempt >= MAX_ATTEMPTS or not default_task_backend.supports_defer:
            raise MailNotSent(type(error).__name__) from None
        mailing_deliver.using(run_after=retry_at(attempt)).enqueue(
            recipient_id=recipient_id, attempt=attempt + 1
        )
        return
    MailingRecipient.objects.filter(pk=recipient.pk).update(
        sent_at=timezone.now(), error="", attempts=attempt
    )
