"""Certificates of attendance: the person's own download and the organisers' bulk action."""

import datetime as dt
import shutil
import subprocess

import pytest
from django.contrib import admin, messages
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.formats import date_format

from registrations.admin.certificates import download_certificates
from registrations.admin.registrations import RegistrationAdmin
from registrations.attendance import attendance_mark
from registrations.models import Attendance, Registration
from tests.factories import BERLIN, EventFactory, RegistrationFactory, RoomFactory, joined
from tests.registrations.admin_helpers import bulk_registrations

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/registrations/registration/"


@pytest.fixture(autouse=True)
def poppler():
    if not shutil.which("pdftotext"):
        pytest.fail("poppler-utils (pdftotext) is missing; .ci/run installs it.")


def pdf_pages(content: bytes, tmp_path) -> list[str]:
    """The text of each page, whitespace collapsed (pdftotext breaks lines where the PDF does)."""
    path = tmp_path / "certificate.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


def pdf_info(content: bytes, tmp_path) -> dict[str, str]:
    path = tmp_path / "info.pdf"
    path.write_bytes(content)
    lines = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    return {
        key: value.strip()
        for key, value in (line.split(":", 1) for line in lines.stdout.splitlines())
    }


def today(language: str) -> str:
    with translation.override(language):
        return date_format(timezone.localdate(timezone.now(), BERLIN), "DATE_FORMAT")


@pytest.fixture
def demo_rooms(demo_event):
    return {room.number: room for room in demo_event.rooms.all()}


@pytest.fixture
def erika(demo_rooms):
    """Registered for room 3, joined the plenary, her room and room 1."""
    registration = RegistrationFactory(
        room=demo_rooms[3],
        first_name="Erika",
        last_name="Mustermann",
        organisation="Freie Hansestadt Bremen",
    )
    for room in [None, demo_rooms[3], demo_rooms[1]]:
        joined(registration=registration, room=room)
    return registration


@pytest.fixture
def ben(demo_rooms):
    """Registered in English for room 7, marked as attended by the organisers."""
    registration = RegistrationFactory(
        room=demo_rooms[7], first_name="Ben", last_name="Baker", language="en"
    )
    attendance_mark(registrations=Registration.objects.filter(pk=registration.pk))
    return registration


# -- the person's own download -----------------------------------------------------------------


def test_certificate_in_german_names_person_event_date_places_and_organiser(
    client, demo_event, erika, tmp_path
):
    response = client.get(f"/r/{erika.token}/certificate.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="teilnahmebescheinigung-koki-abschluss.pdf"'
    )
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    [page] = pdf_pages(response.content, tmp_path)
    assert page == (
        "Co:Lab – Denklabor & Kollaborationsplattform für Gesellschaft & Digitalisierung e.V. "
        "https://colab-digital.de/ "
        "Teilnahmebescheinigung "
        "Hiermit wird bestätigt, dass Erika Mustermann Freie Hansestadt Bremen "
        "am 16. März 2027 an der Online-Veranstaltung "
        "Abschlussveranstaltung der Initiative „#KoKI – Künstliche Intelligenz in Kommunen“ "
        "Ergebnisse, Publikation, acht Deep Dives und ein Podium zu Digitalisierung und "
        "Nachhaltigkeit teilgenommen hat. "
        "Datum und Uhrzeit 16. März 2027, 10:00–12:45 Uhr (Europe/Berlin) "
        "Dauer 2 Stunden 45 Minuten "
        "Ort Online "
        "Teilnahme an Plenum Raum 1: Bildung & Lernen Raum 3: Pflege "
        f"Erstellt von koki am {today('de')}. "
        "Diese Bescheinigung wurde maschinell erstellt und trägt keine Unterschrift."
    )
    info = pdf_info(response.content, tmp_path)
    assert info["Title"] == f"Teilnahmebescheinigung – {demo_event.title}"
    assert info["Author"] == demo_event.organiser.name
    assert info["Pages"] == "1"
    assert info["Page size"] == "595.276 x 841.89 pts (A4)"


def test_certificate_in_english_for_an_english_registration(client, ben, tmp_path):
    response = client.get(f"/r/{ben.token}/certificate.pdf")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="certificate-koki-abschluss.pdf"'
    )
    [page] = pdf_pages(response.content, tmp_path)
    assert page == (
        "Co:Lab – Denklabor & Kollaborationsplattform für Gesellschaft & Digitalisierung e.V. "
        "https://colab-digital.de/ "
        "Certificate of attendance "
        "This is to certify that Ben Baker took part in the online event "
        "Closing event of the initiative “#KoKI – Künstliche Intelligenz in Kommunen” "
        "Results, the publication, eight deep dives and a panel on digitalisation and "
        "sustainability on March 16, 2027. "
        "Date and time March 16, 2027, 10:00–12:45 (Europe/Berlin) "
        "Duration 2 hours 45 minutes "
        "Location Online "
        "Took part in Room 7: Facing Fears "
        f"Created by koki on {today('en')}. "
        "This certificate was created automatically and bears no signature."
    )


def test_certificate_of_an_event_on_site_over_two_days(client, tmp_path):
    starts = dt.datetime(2027, 5, 3, 9, 0, tzinfo=BERLIN)
    event = EventFactory(
        slug="fachtag",
        title="Fachtag",
        is_online=False,
        venue="Rathaus, Markt 1",
        starts_at=starts,
        ends_at=starts + dt.timedelta(days=1, hours=7, minutes=30),
    )
    registration = RegistrationFactory(
        room=RoomFactory(event=event), first_name="Ada", last_name="Lovelace"
    )
    joined(registration=registration, room=None)

    content = client.get(f"/r/{registration.token}/certificate.pdf").content

    [page] = pdf_pages(content, tmp_path)
    assert (
        "Hiermit wird bestätigt, dass Ada Lovelace vom 3. Mai 2027 bis 4. Mai 2027 an der "
        "Veranstaltung Fachtag teilgenommen hat."
    ) in page
    assert "Dauer 31 Stunden 30 Minuten Ort Rathaus, Markt 1 Teilnahme an Plenum Erstellt" in page
    assert "Online" not in page


def test_markup_in_names_is_printed_as_text(client, room, tmp_path):
    registration = RegistrationFactory(
        room=room,
        first_name='<img src="https://example.org/x.png">',
        last_name="<b>Fett</b>",
        organisation="Amt für <Digitales> & Co",
    )
    joined(registration=registration, room=room)

    content = client.get(f"/r/{registration.token}/certificate.pdf").content

    [page] = pdf_pages(content, tmp_path)
    assert '<img src="https://example.org/x.png"> <b>Fett</b> Amt für <Digitales> & Co' in page


def test_certificate_link_on_the_personal_page_only_after_attending(client, erika, demo_rooms):
    absent = RegistrationFactory(room=demo_rooms[3])
    cancelled = RegistrationFactory(
        room=demo_rooms[3], status="cancelled", cancelled_at=timezone.now()
    )
    joined(registration=cancelled, room=None)

    page = client.get(erika.get_absolute_url()).content.decode()

    assert (
        f'<a href="/r/{erika.token}/certificate.pdf" type="application/pdf" download '
        'rel="nofollow">Ihre Teilnahmebescheinigung herunterladen '
        '<span class="file-hint">(PDF-Dokument, A4)</span></a>'
    ) in page
    assert '<h2 id="certificate-heading">Ihre Teilnahmebescheinigung</h2>' in page
    for person in [absent, cancelled]:
        other_page = client.get(person.get_absolute_url()).content.decode()
        assert "certificate" not in other_page
        assert "Teilnahmebescheinigung" not in other_page


def _not_attended(room):
    return RegistrationFactory(room=room).token


def _cancelled_after_attending(room):
    registration = RegistrationFactory(room=room)
    joined(registration=registration, room=None)
    Registration.objects.filter(pk=registration.pk).update(
        status=Registration.Status.CANCELLED, cancelled_at=timezone.now()
    )
    return registration.token


def _anonymised_after_attending(room):
    now = timezone.now()
    return RegistrationFactory(room=room, attended_at=now, anonymised_at=now).token


def _unknown(room):
    return "A" * 32


@pytest.mark.parametrize(
    "token_of",
    [_not_attended, _cancelled_after_attending, _anonymised_after_attending, _unknown],
    ids=["not-attended", "cancelled", "anonymised", "unknown-token"],
)
def test_no_certificate_is_not_found(client, room, token_of):
    response = client.get(f"/r/{token_of(room)}/certificate.pdf")

    assert response.status_code == 404
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.templates[0].name == "404.html"
    assert not response.content.startswith(b"%PDF")


def test_certificate_answers_get_and_head_only(client, erika):
    response = client.post(f"/r/{erika.token}/certificate.pdf")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("rooms_joined", [1, 8])
def test_certificate_query_count_does_not_grow_with_places(
    client, demo_rooms, django_assert_num_queries, rooms_joined, tmp_path
):
    registration = RegistrationFactory(room=demo_rooms[1])
    for number in range(1, rooms_joined + 1):
        joined(registration=registration, room=demo_rooms[number])

    with django_assert_num_queries(2):  # the registration with its event, its places
        response = client.get(f"/r/{registration.token}/certificate.pdf")

    [page] = pdf_pages(response.content, tmp_path)
    assert f"Raum {rooms_joined}: {demo_rooms[rooms_joined].name}" in page


# -- the organisers' bulk action ----------------------------------------------------------------


@pytest.fixture
def certificates_action(monkeypatch):
    """The registrations list offers the action (once)."""
    others = [action for action in RegistrationAdmin.actions if action is not download_certificates]
    monkeypatch.setattr(RegistrationAdmin, "actions", [*others, download_certificates])


def run_action(client, registrations, **extra):
    return client.post(
        CHANGELIST,
        {
            "action": "download_certificates",
            "_selected_action": [registration.pk for registration in registrations],
            "index": 0,
        },
        **extra,
    )


def test_bulk_certificates_one_page_per_attendee_in_their_language(
    organiser_client, certificates_action, erika, ben, demo_rooms, tmp_path
):
    absent = RegistrationFactory(room=demo_rooms[3], last_name="Abwesend")
    cancelled = RegistrationFactory(room=demo_rooms[3], last_name="Abgesagt")
    joined(registration=cancelled, room=None)
    Registration.objects.filter(pk=cancelled.pk).update(
        status=Registration.Status.CANCELLED, cancelled_at=timezone.now()
    )

    response = run_action(organiser_client, [erika, absent, ben, cancelled])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="teilnahmebescheinigungen-koki-abschluss.pdf"'
    )
    assert response["Cache-Control"] == "no-store, max-age=0, no-cache, must-revalidate, private"
    assert pdf_info(response.content, tmp_path)["Pages"] == "2"
    baker, mustermann = pdf_pages(response.content, tmp_path)
    assert "This is to certify that Ben Baker took part in the online event" in baker
    assert baker.endswith(
        "Took part in Room 7: Facing Fears "
        f"Created by koki on {today('en')}. "
        "This certificate was created automatically and bears no signature."
    )
    assert (
        "Hiermit wird bestätigt, dass Erika Mustermann Freie Hansestadt Bremen "
        "am 16. März 2027 an der Online-Veranstaltung"
    ) in mustermann
    assert "Teilnahme an Plenum Raum 1: Bildung & Lernen Raum 3: Pflege Erstellt" in mustermann


def test_bulk_certificate_of_one_person(organiser_client, certificates_action, ben, tmp_path):
    response = run_action(organiser_client, [ben])

    assert response["Content-Disposition"] == (
        'attachment; filename="teilnahmebescheinigung-koki-abschluss.pdf"'
    )
    [page] = pdf_pages(response.content, tmp_path)
    assert "This is to certify that Ben Baker" in page


def test_certificate_from_the_registration_page(
    organiser_client, certificates_action, erika, tmp_path
):
    change_url = f"{CHANGELIST}{erika.pk}/change/"
    page = organiser_client.get(change_url)
    choices = dict(page.context["action_form"].fields["action"].choices)
    assert choices["download_certificates"] == "Teilnahmebescheinigung herunterladen (PDF)"

    response = organiser_client.post(
        change_url,
        {"CHANGE_FORM-action": "download_certificates", "_selected_action": [erika.pk]},
    )

    assert response["Content-Disposition"] == (
        'attachment; filename="teilnahmebescheinigung-koki-abschluss.pdf"'
    )
    [text] = pdf_pages(response.content, tmp_path)
    assert "Hiermit wird bestätigt, dass Erika Mustermann" in text


def test_bulk_certificates_without_attendees_warn(
    organiser_client, certificates_action, demo_rooms
):
    absent = RegistrationFactory(room=demo_rooms[3])

    response = run_action(organiser_client, [absent], follow=True)

    assert response.redirect_chain == [(CHANGELIST, 302)]
    assert [(m.level, m.message) for m in response.context["messages"]] == [
        (
            messages.WARNING,
            "Keine der ausgewählten Personen hat teilgenommen: Es gibt keine "
            "Teilnahmebescheinigung zum Herunterladen.",
        )
    ]


def test_bulk_certificates_are_offered_to_organisers(organiser_client, certificates_action, ben):
    page = organiser_client.get(CHANGELIST)

    choices = dict(page.context["action_form"].fields["action"].choices)
    assert choices["download_certificates"] == (
        "Teilnahmebescheinigungen herunterladen (PDF, für alle, die teilgenommen haben)"
    )


@pytest.mark.parametrize("count", [1, 12])
def test_bulk_certificates_query_count_is_constant(
    organiser, django_assert_num_queries, count, tmp_path
):
    room = RoomFactory(capacity=100)
    now = timezone.now()
    people = bulk_registrations(room, count, attended_at=now)
    Attendance.objects.bulk_create(
        Attendance(registration=person, room=place, joined_at=now, source="link")
        for person in people
        for place in [None, room]
    )
    request = RequestFactory().post(CHANGELIST)
    request.user = organiser
    modeladmin = admin.site.get_model_admin(Registration)

    with django_assert_num_queries(2):  # the registrations with their events, their places
        response = download_certificates(modeladmin, request, Registration.objects.all())

    pages = pdf_pages(response.content, tmp_path)
    assert len(pages) == count
    assert all(f"Teilnahme an Plenum Raum {room.number}: {room.name}" in page for page in pages)
