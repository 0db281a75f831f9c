"""Messages to attendees as drafts: the event chosen where there is only one, "Als Entwurf
speichern", the page staying open after saving, and a test sent to the organiser only."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from events.models import Event
from registrations.models import Mailing, MailingRecipient
from tests.factories import EventFactory, RegistrationFactory
from tests.registrations.admin_helpers import form_data

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.room(number=4, name="Stadt- & Regionalplanung", capacity=10),
]
ADD = "/admin/registrations/mailing/add/"


def selected(html: str, name: str) -> str:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    found = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return found.group(1) if found else ""


@pytest.fixture
def draft(room):
    RegistrationFactory(room=room, first_name="Anna", email="anna@example.org")
    return Mailing.objects.create(
        event=room.event,
        room=room,
        subject="Ihr Raum öffnet um 11:05",
        body="Guten Tag,\n\nder Deep Dive beginnt pünktlich.",
    )


def test_the_only_event_is_chosen_already(organiser_client, room):
    html = organiser_client.get(ADD).content.decode()
    assert selected(html, "event") == str(room.event_id)
    # One event: the rooms are named without it; empty means every room.
    rooms = re.search(r'<select name="room"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r"<option[^>]*>([^<]*)</option>", rooms) == [
        "Alle Räume der Veranstaltung",
        "Raum 4: Stadt- &amp; Regionalplanung",
    ]


def test_with_two_current_events_nothing_is_chosen(organiser_client, room):
    EventFactory()
    html = organiser_client.get(ADD).content.decode()
    assert selected(html, "event") == ""


def test_a_past_event_does_not_stop_the_current_one_being_chosen(organiser_client, room):
    past = EventFactory()
    Event.objects.filter(pk=past.pk).update(
        starts_at=room.event.starts_at.replace(year=2020),
        ends_at=room.event.ends_at.replace(year=2020),
    )
    html = organiser_client.get(ADD).content.decode()
    assert selected(html, "event") == str(room.event_id)


@pytest.mark.parametrize(
    ("url", "model"),
    [
        ("/admin/events/room/add/", "room"),
        ("/admin/events/agendaitem/add/", "agendaitem"),
        ("/admin/events/reminder/add/", "reminder"),
    ],
)
def test_other_add_forms_choose_the_only_event_too(organiser_client, room, url, model):
    html = organiser_client.get(url).content.decode()
    assert selected(html, "event") == str(room.event_id)


def test_a_draft_is_saved_as_a_draft_and_stays_open(organiser_client, draft):
    change_url = reverse("admin:registrations_mailing_change", args=[draft.pk])
    page = organiser_client.get(change_url).content.decode()
    buttons = re.findall(r'<input type="submit" value="([^"]*)"[^>]*name="(\w+)"', page)
    assert buttons == [("Als Entwurf speichern", "_save")]
    assert "Entwurf löschen" in page

    data = form_data(page, "mailing_form")
    data["subject"] = ["Ihr Raum öffnet um 11:10"]
    response = organiser_client.post(change_url, {**data, "_save": "Als Entwurf speichern"})
    assert response.status_code == 302
    assert response["Location"] == change_url
    page = organiser_client.get(change_url).content.decode()
    assert "Entwurf gespeichert. Prüfen Sie die Empfänger und die Vorschau" in page
    draft.refresh_from_db()
    assert (draft.subject, draft.queued_at) == ("Ihr Raum öffnet um 11:10", None)


def test_the_add_form_offers_only_save_as_draft(organiser_client, room):
    page = organiser_client.get(ADD).content.decode()
    buttons = re.findall(r'<input type="submit" value="([^"]*)"[^>]*name="(\w+)"', page)
    assert buttons == [("Als Entwurf speichern", "_save")]


def test_the_preview_is_not_monospace(organiser_client, draft):
    page = organiser_client.get(
        reverse("admin:registrations_mailing_change", args=[draft.pk])
    ).content.decode()
    preview = re.search(r'<div class="koki-preview">(.*?)</div>', page, re.DOTALL).group(1)
    assert "Guten Tag,\n\nder Deep Dive beginnt pünktlich." in preview


def test_a_test_goes_to_the_organiser_only_and_is_not_recorded(organiser_client, organiser, draft):
    change_url = reverse("admin:registrations_mailing_change", args=[draft.pk])
    test_url = reverse("admin:registrations_mailing_test", args=[draft.pk])
    page = organiser_client.get(change_url).content.decode()
    assert f'action="{test_url}"' in page
    assert "Test an mich senden" in page

    response = organiser_client.post(test_url, follow=True)

    assert response.redirect_chain == [(change_url, 302)]
    assert (
        "Ein Test ist unterwegs an orga@example.org. Niemand sonst hat ihn erhalten; die "
        "Nachricht ist weiter ein Entwurf." in response.content.decode()
    )
    (sent,) = mail.outbox
    assert sent.to == ["orga@example.org"]
    assert sent.subject == "[TEST] Ihr Raum öffnet um 11:05"
    notice = (
        "TEST – nur Sie erhalten diese E-Mail. Die Teilnehmenden erhalten die Nachricht "
        "unten erst, wenn Sie sie in der Verwaltung senden, jede Person mit ihrem eigenen "
        "persönlichen Link.\n\nGuten Tag,\n\nder Deep Dive beginnt pünktlich."
    )
    assert notice in sent.body
    ((html, _kind),) = sent.alternatives
    assert "TEST – nur Sie erhalten diese E-Mail." in html
    assert "[der persönliche Link jeder Empfängerin und jedes Empfängers]" in sent.body
    assert "Raum 4: Stadt- & Regionalplanung" in sent.body
    assert "/r/" not in sent.body  # nobody's personal link
    draft.refresh_from_db()
    assert draft.queued_at is None
    assert not MailingRecipient.objects.exists()


def test_without_an_address_there_is_no_test(organiser_client, organiser, draft):
    organiser.email = ""
    organiser.save()
    change_url = reverse("admin:registrations_mailing_change", args=[draft.pk])
    test_url = reverse("admin:registrations_mailing_test", args=[draft.pk])
    assert f'action="{test_url}"' not in organiser_client.get(change_url).content.decode()
    response = organiser_client.post(test_url, follow=True)
    assert "Ihr Konto hat keine E-Mail-Adresse für den Test." in response.content.decode()
    assert mail.outbox == []


def test_a_sent_message_offers_no_test(organiser_client, draft):
    from registrations import mailings

    mailings.mailing_send(mailing=draft)
    mail.outbox.clear()
    test_url = reverse("admin:registrations_mailing_test", args=[draft.pk])
    assert organiser_client.post(test_url).status_code == 403
    assert mail.outbox == []
