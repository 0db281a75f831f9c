"""Attendee lists as CSV (German Excel) and XLSX."""

import csv
import datetime as dt
import io
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from registrations.attendance import attendance_mark
from registrations.models import Attendance, Registration
from tests.factories import RegistrationFactory, RoomFactory, joined
from tests.registrations.admin_helpers import bulk_registrations

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.room(number=2, name="Politik & Verwaltung", capacity=2),
]
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def header() -> list[str]:
    """The German column titles (the two attendance columns by their msgids)."""
    with translation.override("de"):
        return [*HEADER, gettext("Joined the plenary at"), gettext("Joined rooms")]


HEADER = [
    "Nachname",
    "Vorname",
    "E-Mail-Adresse",
    "Organisation",
    "Funktion",
    "Raum",
    "Status",
    "Platz auf der Warteliste",
    "Angemeldet am",
    "Teilgenommen",
]


@pytest.fixture
def people(room):
    """Room 2's people of every status (the confirmed, unconfirmed and waiting ones returned),
    and one in the event's other room, room 1. Jürgen joined the plenary at 10:02 and room 2 at
    10:47 by his links; the organisers marked him in room 1 at 11:20 (Berlin time)."""
    other = RoomFactory(event=room.event, number=1, name="Bildung & Lernen")
    RegistrationFactory(room=other, last_name="Anderer Raum")
    registered = dt.datetime(2027, 1, 5, 9, 30, tzinfo=dt.UTC)
    jurgen = RegistrationFactory(
        room=room,
        first_name="Jürgen",
        last_name="Größer",
        email="jg@example.org",
        organisation="Stadt Köln – Amt für Straßen",
        job_role="Referentin für Digitalisierung",
    )
    day = dt.datetime(2027, 3, 16, tzinfo=dt.UTC)
    joined(registration=jurgen, room=None, now=day.replace(hour=9, minute=2))
    joined(registration=jurgen, room=room, now=day.replace(hour=9, minute=47))
    Attendance.objects.create(
        registration=jurgen,
        room=other,
        joined_at=day.replace(hour=10, minute=20),
        source=Attendance.Source.ORGANISERS,
    )
    zoe = RegistrationFactory(
        room=room,
        first_name="Zoë",
        last_name="Äbel",
        email="zoe@example.org",
        organisation='=HYPERLINK("http://evil.example")',
        status=Registration.Status.PENDING,
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    waiting = RegistrationFactory(
        room=room,
        first_name="Ömer",
        last_name="Özdemir",
        email="oe@example.org",
        status=Registration.Status.WAITING,
        waiting_since=timezone.now(),
    )
    RegistrationFactory(room=room, last_name="Storniert", status="cancelled")
    Registration.objects.filter(room=room).update(created_at=registered)
    return jurgen, zoe, waiting


def export_url(room, fmt):
    url = reverse("admin:registrations_registration_export", args=[room.event_id, fmt])
    return f"{url}?room={room.pk}"


REGISTERED = dt.datetime(2027, 1, 5, 10, 30)
# The `people` fixture's rows as the XLSX holds them (room 2, confirmed, unconfirmed, waiting).
PEOPLE = [
    [
        "Größer",
        "Jürgen",
        "jg@example.org",
        "Stadt Köln – Amt für Straßen",
        "Referentin für Digitalisierung",
        "Raum 2: Politik & Verwaltung",
        "bestätigt",
        None,
        REGISTERED,
        "ja",
        dt.datetime(2027, 3, 16, 10, 2),
        "Raum 2 (10:47), Raum 1 (11:20)",
    ],
    [
        "Äbel",
        "Zoë",
        "zoe@example.org",
        '=HYPERLINK("http://evil.example")',
        None,
        "Raum 2: Politik & Verwaltung",
        "Bestätigung ausstehend",
        None,
        REGISTERED,
        "nein",
        None,
        None,
    ],
    [
        "Özdemir",
        "Ömer",
        "oe@example.org",
        None,
        None,
        "Raum 2: Politik & Verwaltung",
        "Warteliste",
        1,
        REGISTERED,
        "nein",
        None,
        None,
    ],
]


def csv_cell(value) -> str:
    """A PEOPLE cell as the CSV writes it: text throughout, a formula neutralised with '."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value:%d.%m.%Y %H:%M}"
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return str(value)


def test_csv_of_one_room_opens_in_german_excel_with_umlauts(organiser_client, room, people):
    response = organiser_client.get(export_url(room, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="teilnehmende_{room.event.slug}_raum-2.csv"'
    )
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    assert "Größer".encode() in body  # UTF-8, not Latin-1
    text = body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows == [header(), *([csv_cell(value) for value in row] for row in PEOPLE)]
    assert text.endswith("\r\n")


def test_xlsx_of_one_room_reads_back_with_openpyxl(organiser_client, room, people):
    response = organiser_client.get(export_url(room, "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Raum 2 Politik & Verwaltung"
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows == [header(), *PEOPLE]
    # A formula typed into the form stays text; no cell is a formula.
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.freeze_panes == "A2"


def csv_rows(client, url) -> list[list[str]]:
    response = client.get(url)
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def test_export_shows_the_organisers_mark_and_its_removal(organiser_client, room, people):
    jurgen, zoe, _waiting = people
    Registration.objects.filter(pk=zoe.pk).update(status=Registration.Status.CONFIRMED)
    marked_at = dt.datetime(2027, 3, 16, 13, 5, tzinfo=dt.UTC)  # 14:05 in Berlin
    attendance_mark(registrations=Registration.objects.filter(pk=zoe.pk), now=marked_at)
    attendance_mark(registrations=Registration.objects.filter(pk=jurgen.pk), attended=False)

    rows = csv_rows(organiser_client, export_url(room, "csv"))

    attendance = {row[0]: row[-3:] for row in rows[1:]}
    assert attendance == {
        "Größer": ["nein", "", ""],
        "Äbel": ["ja", "", "Raum 2 (14:05)"],
        "Özdemir": ["nein", "", ""],
    }


def test_export_of_the_whole_event_orders_by_room(organiser_client, room, people):
    url = reverse("admin:registrations_registration_export", args=[room.event_id, "csv"])
    response = organiser_client.get(url)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == ["Anderer Raum", "Größer", "Äbel", "Özdemir"]
    assert response["Content-Disposition"] == (
        f'attachment; filename="teilnehmende_{room.event.slug}.csv"'
    )


def test_export_rejects_a_room_of_another_event_and_unknown_formats(organiser_client, room):
    stranger = RoomFactory()
    url = reverse("admin:registrations_registration_export", args=[room.event_id, "csv"])
    assert organiser_client.get(f"{url}?room={stranger.pk}").status_code == 404
    pdf = reverse("admin:registrations_registration_export", args=[room.event_id, "pdf"])
    assert organiser_client.get(pdf).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("count", [1, 300])
def test_export_query_count_is_constant(organiser_client, django_assert_num_queries, fmt, count):
    room = RoomFactory(capacity=400)
    people = bulk_registrations(room, count)
    joined = timezone.now()
    Attendance.objects.bulk_create(
        Attendance(registration=person, room=place, joined_at=joined, source="link")
        for person in people
        for place in (None, room)
    )
    # session, user, Organisers group, user and group permissions, event, room, the list, their
    # attendance and answers, the event's questions.
    with django_assert_num_queries(11):
        response = organiser_client.get(export_url(room, fmt))
    assert response.status_code == 200
    if fmt == "csv":
        assert response.content.decode("utf-8-sig").count("\r\n") == count + 1
    else:
        assert load_workbook(io.BytesIO(response.content)).active.max_row == count + 1


@pytest.mark.parametrize("value", ["abc", "1\x00", "²", "-1", "1.0", "99999999999999999999"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_with_a_bad_room_id_is_not_found(organiser_client, room, fmt, value):
    url = reverse("admin:registrations_registration_export", args=[room.event_id, fmt])
    response = organiser_client.get(url, {"room": value})
    assert response.status_code == 404
    assert "Content-Disposition" not in response
