"""Attendee lists as CSV and XLSX for organisers.

CSV: UTF-8 with a byte order mark and semicolons. Excel with German regional settings splits
CSV fields on the list separator of the system, which is ";" (the comma is the decimal
separator there), and it reads a file as UTF-8 only when it starts with a BOM; otherwise
umlauts come out as "Ã¼". A "sep=;" first line is not written, because Excel then ignores the
BOM. LibreOffice and Numbers detect both. XLSX needs none of this and keeps dates as dates.

Attendance comes in three columns: attended at all (yes/no), when the person first joined the
plenary (a date, empty if never) and the rooms they joined with the time, first joined first
("Raum 3 (10:47), Raum 5 (11:20)"); times in the event's time zone.

The answers to the event's questions follow, one column per question in the question's order
(the options chosen joined with ", "; "ja"/"nein" for a yes/no question).

Values that a spreadsheet would run as a formula (=, +, -, @ at the start) are neutralised:
in CSV with a leading apostrophe (OWASP "CSV injection"), in XLSX by storing them as text.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from events.models import Event, Question, Room
from registrations.models import Registration
from registrations.questions import answers_text
from registrations.roster import place_label

CSV_DELIMITER = ";"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def event_questions(event: Event) -> list[Question]:
    """The questions whose answers are exported, in their order (one query)."""
    return list(event.questions.order_by("order", "pk"))


def columns(questions: Iterable[Question] = ()) -> list[str]:
    return [
        _("Last name"),
        _("First name"),
        _("E-mail address"),
        _("Organisation"),
        _("Role"),
        _("Room"),
        _("Status"),
        _("Place on the waiting list"),
        _("Registered at"),
        _("Attended"),
        _("Joined the plenary at"),
        _("Joined rooms"),
        *(question.label for question in questions),
    ]


def _local(value: dt.datetime | None, event: Event) -> dt.datetime | None:
    if value is None:
        return None
    return timezone.localtime(value, event.tzinfo).replace(tzinfo=None, microsecond=0)


def _attendance(registration: Registration, event: Event) -> tuple[dt.datetime | None, str]:
    """When the person joined the plenary, and the rooms they joined: "Raum 3 (10:47), …".

    From the prefetched attendance (roster.with_attendances), first joined first.
    """
    plenary = None
    rooms = []
    for attendance in registration.attendances.all():
        if attendance.room_id is None:
            plenary = _local(attendance.joined_at, event)
        else:
            time = _local(attendance.joined_at, event).strftime("%H:%M")
            rooms.append(f"{place_label(attendance)} ({time})")
    return plenary, ", ".join(rooms)


def rows(
    registrations: Iterable[Registration], event: Event, questions: list[Question] = ()
) -> Iterable[list]:
    """One list per person, in the order of `columns()`; dates in the event's time zone.

    The registrations come with their attendance and answers prefetched (roster.attendee_list).
    """
    for registration in registrations:
        plenary, rooms = _attendance(registration, event)
        yield [
            registration.last_name,
            registration.first_name,
            registration.email,
            registration.organisation,
            registration.job_role,
            str(registration.room),
            registration.get_status_display(),
            registration.waitlist_position,
            _local(registration.created_at, event),
            _("yes") if registration.attended_at else _("no"),
            plenary,
            rooms,
            *(answers_text(registration, questions) if questions else ()),
        ]


def filename(event: Event, room: Room | None, extension: str) -> str:
    parts = [slugify(_("attendees")), event.slug]
    if room is not None:
        parts.append(slugify(_("room %(number)s") % {"number": room.number}))
    return "_".join(parts) + "." + extension


def _neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, str):
        return _neutralise(value)
    return str(value)


def attendees_csv(registrations: Iterable[Registration], event: Event) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    questions = event_questions(event)
    writer.writerow([_csv_value(title) for title in columns(questions)])  # questions: any text
    for row in rows(registrations, event, questions):
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def attendees_xlsx(registrations: Iterable[Registration], event: Event, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    # Sheet names: at most 31 characters, none of []:*?/\
    sheet.title = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "1"
    questions = event_questions(event)
    header = columns(questions)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.data_type = "s"  # a question's text is never a formula either
    widths = [len(name) for name in header]
    for row_number, row in enumerate(rows(registrations, event, questions), start=2):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula
            elif isinstance(value, dt.datetime):
                cell.number_format = "DD.MM.YYYY HH:MM"
            widths[column - 1] = max(widths[column - 1], len(str(value or "")))
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(width + 2, 60)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
