"""Exports of the registrations list as filtered on screen, and a registration's page without
raw values (no "None", the language by name)."""

import csv
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from registrations.models import Registration
from tests.factories import EventFactory, RegistrationFactory, RoomFactory
from tests.registrations.admin_helpers import bulk_registrations, form_data

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.room(number=2, name="Politik & Verwaltung", capacity=5),
]
CHANGELIST = "/admin/registrations/registration/"


def export(fmt: str) -> str:
    return reverse("admin:registrations_registration_export_filtered", args=[fmt])


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


@pytest.fixture
def people(room):
    other = RoomFactory(event=room.event, number=1, name="Bildung & Lernen")
    return {
        "anna": RegistrationFactory(room=room, first_name="Anna", last_name="Adler"),
        "bert": RegistrationFactory(room=room, first_name="Bert", last_name="Bauer"),
        "cem": RegistrationFactory(room=other, first_name="Cem", last_name="Can"),
        "dora": RegistrationFactory(
            room=room, first_name="Dora", last_name="Dreher", status="cancelled"
        ),
    }


def test_the_list_offers_exports_of_what_it_shows(organiser_client, room, people):
    params = f"event__id__exact={room.event_id}&room={room.pk}"
    html = organiser_client.get(f"{CHANGELIST}?{params}").content.decode()
    links = re.findall(r'<a href="([^"]+)" class="koki-export">([^<]+)</a>', html)
    assert links == [
        (f"{export('csv')}?{params.replace('&', '&amp;')}", "Diese Liste exportieren (CSV)"),
        (f"{export('xlsx')}?{params.replace('&', '&amp;')}", "Diese Liste exportieren (Excel)"),
    ]


def test_csv_export_follows_the_filter_the_search_and_the_order(organiser_client, room, people):
    response = organiser_client.get(
        export("csv"), {"event__id__exact": room.event_id, "room": room.pk, "o": "-1"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "raum-2" in response["Content-Disposition"]
    rows = csv_rows(response)
    # Room 2 only, by name Z–A as on screen; the cancelled registration too (the list shows it).
    assert [(row[0], row[6]) for row in rows[1:]] == [
        ("Dreher", "storniert"),
        ("Bauer", "bestätigt"),
        ("Adler", "bestätigt"),
    ]
    searched = csv_rows(organiser_client.get(export("csv"), {"q": "Can"}))
    assert [row[0] for row in searched[1:]] == ["Can"]
    by_status = csv_rows(organiser_client.get(export("csv"), {"status__exact": "cancelled"}))
    assert [row[0] for row in by_status[1:]] == ["Dreher"]


def test_xlsx_export_of_the_filtered_list(organiser_client, room, people):
    response = organiser_client.get(export("xlsx"), {"room": room.pk, "o": "1"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "Adler",
        "Bauer",
        "Dreher",
    ]


def test_a_list_of_several_events_asks_for_one(organiser_client, room, people):
    RegistrationFactory(room=RoomFactory(event=EventFactory()))
    response = organiser_client.get(export("csv"), {"o": "1"}, follow=True)
    assert response.redirect_chain == [(f"{CHANGELIST}?o=1", 302)]
    assert (
        "Bitte wählen Sie zuerst im Filter eine Veranstaltung aus und exportieren Sie dann."
        in response.content.decode()
    )


def test_an_empty_list_has_nothing_to_export(organiser_client, room, people):
    response = organiser_client.get(export("csv"), {"q": "niemand"}, follow=True)
    assert "Nichts zu exportieren: Die Liste zeigt niemanden." in response.content.decode()


@pytest.mark.parametrize("params", [{"o": "abc"}, {"room": "²"}, {"event__id__exact": "x"}])
def test_bad_parameters_are_no_server_error(organiser_client, room, people, params):
    response = organiser_client.get(export("csv"), params)
    assert response.status_code in {200, 302}


def test_unknown_format_is_not_found(organiser_client, room, people):
    assert organiser_client.get(export("pdf")).status_code == 404


def test_staff_outside_the_group_cannot_export(client, room, people):
    from tests.registrations.admin_helpers import make_staff_outside_group

    client.force_login(make_staff_outside_group())
    assert client.get(export("csv")).status_code == 403


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("count", [1, 300])
def test_filtered_export_query_count_is_constant(
    organiser_client, django_assert_num_queries, room, fmt, count
):
    bulk_registrations(room, count)
    organiser_client.get(CHANGELIST)
    # session, user, Organisers group, user and group permissions, whether the event has begun
    # and asks for access needs (one query), the filters' events and rooms, the list's two counts,
    # the event of the list, the event, the room, the people, their attendance, the event's
    # questions and the people's answers.
    with django_assert_num_queries(17):
        response = organiser_client.get(export(fmt), {"room": room.pk})
    assert response.status_code == 200
    if fmt == "csv":
        assert len(csv_rows(response)) == count + 1
    else:
        assert load_workbook(io.BytesIO(response.content)).active.max_row == count + 1


def test_a_registrations_page_shows_no_raw_values(organiser_client, room):
    person = RegistrationFactory(room=room, language="en")
    url = f"{CHANGELIST}{person.pk}/change/"
    html = organiser_client.get(url).content.decode()
    assert "None" not in html
    assert re.search(
        r"<label>Platz auf der Warteliste:</label>\s*<div class=\"readonly\">-</div>", html
    )
    assert re.search(r"<label>Status:</label>\s*<div class=\"readonly\">Bestätigt</div>", html)
    language = re.search(r'<select name="language"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'<option value="(\w+)"( selected)?>([^<]+)</option>', language) == [
        ("de", "", "Deutsch"),
        ("en", " selected", "Englisch"),
    ]
    data = form_data(html, "registration_form")
    organiser_client.post(url, {**data, "language": "de", "_save": "Sichern"})
    person.refresh_from_db()
    assert person.language == "de"


def test_a_waiting_persons_page_shows_the_place(organiser_client, room):
    from django.utils import timezone

    person = RegistrationFactory(
        room=room, status=Registration.Status.WAITING, waiting_since=timezone.now()
    )
    html = organiser_client.get(f"{CHANGELIST}{person.pk}/change/").content.decode()
    assert re.search(
        r"<label>Platz auf der Warteliste:</label>\s*<div class=\"readonly\">1</div>", html
    )
