"""The mails a registration sends, rendered in the language the person registered in."""

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from events.exports.ical import personal_cancellation, personal_invitation
from koki.site import absolute_url
from registrations.models import Registration
from registrations.tasks import send_registration_mail_task

SUBJECTS = {
    "received": _("Your registration: %(event)s"),
    "confirmed": _("Registration confirmed: %(event)s"),
    "promoted": _("A seat is free for you: %(event)s"),
    "room_changed": _("Your room has changed: %(event)s"),
    "cancelled": _("Registration cancelled: %(event)s"),
    "link": _("Your personal link: %(event)s"),
}


def render(registration: Registration, kind: str) -> dict[str, str]:
    """Subject, plain text and HTML of one mail, in the registration's language."""
    event = registration.event
    with translation.override(registration.language), timezone.override(event.tzinfo):
        confirmed = registration.status == Registration.Status.CONFIRMED
        context = {
            "kind": kind,
            "registration": registration,
            "event": event,
            "room": registration.room,
            "event_url": absolute_url(event.get_absolute_url()),
            "manage_url": absolute_url(registration.get_absolute_url()),
            "confirm_url": absolute_url(
                reverse("registrations:confirm", kwargs={"token": registration.token})
            ),
            "expires_at": (
                date_format(timezone.localtime(registration.expires_at), "DATETIME_FORMAT")
                if registration.expires_at
                else ""
            ),
            "plenary_join_url": event.plenary_join_url if confirmed else "",
            "room_join_url": registration.room.join_url if confirmed else "",
        }
        return {
            "subject": str(SUBJECTS[kind] % {"event": event.title}),
            "text": render_to_string("emails/registration.txt", context),
            "html": render_to_string("emails/registration.html", context),
        }


def calendar_attachment(registration: Registration, kind: str) -> dict[str, str]:
    """A confirmed seat comes with a calendar invitation; a cancellation withdraws it."""
    if kind == "cancelled" and registration.email_confirmed_at:
        return {
            "ics": personal_cancellation(registration=registration).decode(),
            "ics_method": "CANCEL",
        }
    if kind != "link" and registration.status == Registration.Status.CONFIRMED:
        return {
            "ics": personal_invitation(registration=registration).decode(),
            "ics_method": "REQUEST",
        }
    return {}


def build(registration: Registration, kind: str) -> EmailMultiAlternatives:
    """The whole mail: plain text, HTML and, where the state calls for one, a calendar part."""
    content = render(registration, kind)
    message = EmailMultiAlternatives(
        subject=content["subject"], body=content["text"], to=[registration.email]
    )
    message.attach_alternative(content["html"], "text/html")
    if attachment := calendar_attachment(registration, kind):
        message.attach(
            "invite.ics",
            attachment["ics"],
            f"text/calendar; method={attachment['ics_method']}; charset=utf-8",
        )
    return message


def queue(registration: Registration, kind: str) -> None:
    """Queue one mail to the registration's address; the task renders and sends it.

    Queued inside the caller's transaction (database backend): the mail goes out only if the
    change that caused it is committed.
    """
    send_registration_mail_task.enqueue(
        registration_id=registration.pk, kind=kind, status=registration.status
    )
