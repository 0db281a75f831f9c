"""Each kind of mail koki sends, built for the demo event as the worker builds it: shared by the
design tests and the browser pass that looks at each mail."""

import datetime as dt
import email
import re
from email import policy
from email.header import decode_header, make_header
from html import unescape

from django.utils import timezone

from events.models import Reminder
from registrations import emails, mailings
from registrations.models import Mailing, Registration
from tests.factories import RegistrationFactory

Status = Registration.Status


def _registration(event, *, status=Status.CONFIRMED, number=1, language="de", **fields):
    room = event.rooms.get(number=number)
    defaults = {"first_name": "Erika", "last_name": "Mustermann", "language": language}
    if status == Status.PENDING:
        defaults |= {
            "email_confirmed_at": None,
            "expires_at": timezone.now() + dt.timedelta(hours=1),
        }
    if status == Status.WAITING:
        defaults["waiting_since"] = timezone.now()
    return RegistrationFactory(room=room, status=status, **(defaults | fields))


def samples(event, *, language="de") -> dict:
    """Kind of mail: (the mail, the registration it went to, the room it names)."""
    built = {}
    pending = _registration(event, status=Status.PENDING, language=language)
    built["received"] = (emails.build(pending, "received"), pending)
    confirmed = _registration(event, number=2, language=language)
    for kind in ("confirmed", "promoted", "room_changed", "link", "reminder"):
        built[kind] = (emails.build(confirmed, kind), confirmed)
    waiting = _registration(event, status=Status.WAITING, number=3, language=language)
    built["waiting"] = (emails.build(waiting, "received"), waiting)
    built["still_waiting"] = (emails.build(waiting, "still_waiting"), waiting)
    promoted = _registration(event, status=Status.PENDING, number=4, language=language)
    built["promoted_pending"] = (emails.build(promoted, "promoted"), promoted)
    cancelled = _registration(
        event, status=Status.CANCELLED, number=5, language=language, cancelled_at=timezone.now()
    )
    built["cancelled"] = (emails.build(cancelled, "cancelled"), cancelled)
    mailing = Mailing.objects.create(
        event=event,
        subject="Folien und Aufzeichnung",
        body="Liebe Teilnehmende,\n\nhier die Folien: https://example.org/folien\nBis bald!",
        audience=Mailing.Audience.CONFIRMED,
    )
    content = mailings.mailing_render(mailing=mailing, registration=confirmed)
    from registrations.mail_layout import message

    built["mailing"] = (
        message(
            event=event,
            subject=content["subject"],
            content=content,
            to=[confirmed.email],
            language=language,
        ),
        confirmed,
    )
    return built


def reminder_for(event) -> Reminder:
    return Reminder.objects.create(event=event, minutes_before=60)


def parsed(message):
    """The mail as a mail program reads it: from its bytes."""
    return email.message_from_bytes(message.message().as_bytes(), policy=policy.compat32)


def header(message, name: str) -> str:
    """A header decoded as RFC 2047 says (adjacent encoded words join without a space)."""
    return str(make_header(decode_header(parsed(message)[name])))


def html_of(message) -> str:
    return message.alternatives[0].content


def html_words(html: str) -> list[str]:
    """The words a reader sees in the HTML: without the head and the inbox preview line."""
    body = re.sub(r"(?s)<head>.*?</head>", " ", html)
    body = re.sub(r'(?s)<div[^>]*data-plain="skip"[^>]*>.*?</div>', " ", body)
    return unescape(re.sub(r"<[^>]+>", " ", body)).split()


def text_words(text: str) -> list[str]:
    """The words of the plain text, without the addresses it adds after each link's text."""
    without_links = re.sub(r"<[a-z]+:[^>\s]+>", " ", text)
    return re.sub(r"(?m)^- ", "", without_links).split()
