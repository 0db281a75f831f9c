"""Certificates of attendance (Teilnahmebescheinigung): one A4 page per person who attended.

Public employees file them for their training records. Each page is in the language the person
registered in and names the event, its date, time span and duration in the event's zone, the
places the person joined (plenary, break-out rooms: the `Attendance` rows) and the organiser.
No signature: a line says that koki created it and when.

Rendered by WeasyPrint like the printable programme (events.exports.pdf): our static
stylesheet only, no other URL is fetched.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext, ngettext, pgettext

from events.exports import pdf
from events.models import Event
from registrations.models import Attendance, Registration

CONTENT_TYPE = pdf.CONTENT_TYPE
TEMPLATE = "pdf/certificate.html"


def _with_places() -> Prefetch:
    """Each registration's places with their rooms, in one query for all of them."""
    return Prefetch("attendances", queryset=Attendance.objects.select_related("room"))


def has_certificate(registration: Registration) -> bool:
    """Attended (joined by link or marked by the organisers), not cancelled, not anonymised."""
    return (
        registration.attended_at is not None
        and registration.status != Registration.Status.CANCELLED
        and registration.anonymised_at is None
    )


def certificate_queryset(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """Those of `registrations` who get a certificate (see `has_certificate`), with their event
    and places (two queries), by event and name."""
    # A fresh queryset: the caller's may carry annotations (the admin's list does).
    return (
        Registration.objects.filter(pk__in=registrations.order_by().values("pk"))
        .filter(attended_at__isnull=False, anonymised_at__isnull=True)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("event__organiser")
        .prefetch_related(_with_places())
        .order_by("event__starts_at", "event_id", Lower("last_name"), Lower("first_name"), "pk")
    )


@dataclass(frozen=True)
class Certificate:
    """What one page says, in the person's language (see `_certificate`)."""

    registration: Registration
    event: Event
    language: str
    statement: SafeString
    span: str
    duration: str
    places: list[str]
    created_on: str


def _duration(event: Event) -> str:
    """“2 hours 45 minutes”, “3 hours”, “45 minutes”."""
    minutes = int((event.ends_at - event.starts_at).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes or not hours:
        parts.append(
            ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        )
    return " ".join(parts)


def _when(event: Event) -> str:
    """“on 16 March 2027”, or “from … to …” for an event over several days."""
    start = timezone.localtime(event.starts_at, event.tzinfo)
    end = timezone.localtime(event.ends_at, event.tzinfo)
    if event.is_one_day:
        return gettext("on %(date)s") % {"date": date_format(start, "DATE_FORMAT")}
    return gettext("from %(start)s to %(end)s") % {
        "start": date_format(start, "DATE_FORMAT"),
        "end": date_format(end, "DATE_FORMAT"),
    }


def _statement(registration: Registration, event: Event) -> SafeString:
    """The certifying sentence; the name and the title are set apart (their own lines)."""
    organisation = subtitle = ""
    if registration.organisation:
        organisation = format_html(
            '<span class="organisation">{}</span>', registration.organisation
        )
    if event.subtitle:
        subtitle = format_html('<span class="event-subtitle">{}</span>', event.subtitle)
    person = format_html(
        '<span class="person"><span class="name">{}</span>{}</span>',
        registration.full_name,
        organisation,
    )
    title = format_html(
        '<span class="event"><span class="event-title">{}</span>{}</span>', event.title, subtitle
    )
    if event.is_online:
        sentence = gettext(
            "This is to certify that %(name)s took part in the online event %(title)s %(when)s."
        )
    else:
        sentence = gettext(
            "This is to certify that %(name)s took part in the event %(title)s %(when)s."
        )
    # The translated sentence is trusted text and escaped; the parts are escaped above.
    return mark_safe(  # noqa: S308
        conditional_escape(sentence)
        % {"name": person, "title": title, "when": conditional_escape(_when(event))}
    )


def _places(registration: Registration) -> list[str]:
    """“Plenary”, then the break-out rooms by number (“Room 3: Care”)."""
    rooms = sorted(
        (attendance.room for attendance in registration.attendances.all()),
        key=lambda room: (room is not None, room.number if room else 0),
    )
    return [str(room) if room else gettext("Plenary") for room in rooms]


def _certificate(registration: Registration, now: dt.datetime) -> Certificate:
    event = registration.event
    with translation.override(registration.language):
        return Certificate(
            registration=registration,
            event=event,
            language=translation.get_language(),
            statement=_statement(registration, event),
            span=event.local_span(),
            duration=_duration(event),
            places=_places(registration),
            created_on=date_format(timezone.localtime(now, event.tzinfo), "DATE_FORMAT"),
        )


def certificate_html(*, registrations: list[Registration]) -> str:
    """The document: one page per registration, each in the person's language; the document's
    own title in the active language."""
    prefetch_related_objects(registrations, "event", _with_places())  # none if already there
    now = timezone.now()
    certificates = [_certificate(registration, now) for registration in registrations]
    events = {registration.event_id for registration in registrations}
    return render_to_string(
        TEMPLATE,
        {
            "certificates": certificates,
            "language": translation.get_language(),
            "event": registrations[0].event if len(events) == 1 else None,
            "generated_at": now,
        },
    )


def certificate_pdf(*, registrations: list[Registration]) -> bytes:
    """The certificates of `registrations` (who attended: see `certificate_queryset`), one page
    each, as one PDF. Pass them with event and places (`certificate_queryset`) to render them
    with no further query."""
    if not registrations:
        raise ValueError("No registrations to certify.")
    return pdf.html_to_pdf(certificate_html(registrations=registrations))


def registration_certificate_pdf(*, registration: Registration) -> bytes:
    """One person's certificate, in their language (also the document's title and metadata)."""
    with translation.override(registration.language):
        return certificate_pdf(registrations=[registration])


def certificate_filename(*, registrations: list[Registration], language: str) -> str:
    """teilnahmebescheinigung-<event>.pdf / certificate-<event>.pdf; for several people
    teilnahmebescheinigungen-<event>.pdf (without the event when they are from several)."""
    events = {registration.event.slug for registration in registrations}
    with translation.override(language):
        if len(registrations) == 1:
            name = pgettext("file name", "certificate")
        else:
            name = pgettext("file name", "certificates")
    parts = [slugify(name), *events] if len(events) == 1 else [slugify(name)]
    return "-".join(parts) + ".pdf"
