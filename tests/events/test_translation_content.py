"""The event's texts in German and English (events/translation.py): English pages, files, the API
and mails show the English texts, fall back to the German ones where an English text is missing,
and never show a German text that has an English one."""

import html
import json
import re
import subprocess

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from events.demo import DEMO_SLUG, demo_event_load
from events.models import AgendaItem, Event, Room, Speaker
from events.translation import (
    AgendaItemTranslationOptions,
    EventTranslationOptions,
    RoomTranslationOptions,
    SpeakerTranslationOptions,
)
from registrations import emails
from registrations.models import Registration
from tests.factories import AgendaItemFactory, EventFactory, RegistrationFactory, RoomFactory

pytestmark = pytest.mark.django_db

CONTENT = {
    Event: EventTranslationOptions.fields,
    AgendaItem: AgendaItemTranslationOptions.fields,
    Room: RoomTranslationOptions.fields,
    Speaker: SpeakerTranslationOptions.fields,
}
MAIL_KINDS = ["received", "confirmed", "link", "promoted", "room_changed", "reminder", "cancelled"]


def _pieces(text: str) -> list[str]:
    """A text as the pages show it: whole, or paragraph by paragraph for long ones."""
    return [piece.strip() for piece in re.split(r"\n\s*\n", text) if piece.strip()]


def german_texts_with_english(event: Event) -> set[str]:
    """Every German text of `event`'s content that has an English text of its own, except
    those that the English texts quote (a room's German name in the English source note)."""
    rows = [
        event,
        *event.agenda_items.all(),
        *event.rooms.all(),
        *Speaker.objects.filter(agenda_items__event=event).distinct(),
    ]
    german, english = set(), []
    for row in rows:
        for field in CONTENT[type(row)]:
            de, en = getattr(row, f"{field}_de") or "", getattr(row, f"{field}_en") or ""
            english.append(en)
            if en and de != en:
                german.update(_pieces(de))
    quoted = " ".join(english)
    return {text for text in german if text not in quoted}


def leaks(german: set[str], output: str) -> list[str]:
    """The German texts found in `output` (text, HTML, JSON or calendar data)."""
    flat = " ".join(html.unescape(output).replace("\\n", "\n").replace("\\,", ",").split())
    return sorted(text for text in german if " ".join(text.split()) in flat)


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text.replace("-\n", "-")  # a line broken after a hyphen


def calendar_text(content: bytes) -> str:
    """iCalendar content lines unfolded (RFC 5545 folds them at 75 octets)."""
    return content.decode().replace("\r\n ", "").replace("\\;", ";")


@pytest.fixture
def demo(db) -> Event:
    event, _created = demo_event_load(day=timezone.localdate() + timezone.timedelta(days=30))
    return event


@pytest.fixture
def english_person(demo) -> Registration:
    room = demo.rooms.get(number=3)
    registration = RegistrationFactory(room=room, language="en")
    registration.attended_at = timezone.now()  # for the certificate
    registration.save()
    return registration


def outputs_in(language: str, client: Client, event: Event, person: Registration, tmp_path):
    """Everything the site shows a reader of `event` in `language` (`person` registered in it):
    pages, files, the API and mails."""
    slug, token = event.slug, person.token
    en = "/en" if language == "en" else ""
    pages = [
        f"{en}/",
        f"{en}/events/{slug}/",
        f"{en}/events/{slug}/register/",
        f"{en}/events/{slug}/register/done/",
        f"{en}/events/{slug}/resend/",
        f"{en}/events/{slug}/privacy/",
        f"{en}/events/{slug}/embed/",
        f"{en}/r/{token}/",
        f"{en}/r/{token}/join/3/",
        f"{en}/r/{token}/data.json",
        f"{en}/events/{slug}/programme.ics?lang={language}",
        f"{en}/events/{slug}/rooms/3.ics?lang={language}",
        f"{en}/events/{slug}/schedule.xml?lang={language}",
        f"{en}/events/{slug}/schedule.json?lang={language}",
        f"/r/{token}/calendar.ics",  # the registration's language
        f"/api/events?lang={language}",
        f"/api/events/{slug}?lang={language}",
        f"/api/events/{slug}/rooms?lang={language}",
        f"/api/events/{slug}/speakers?lang={language}",
    ]
    outputs = {}
    for path in pages:
        response = client.get(path, follow=True)  # /en/ leads to the one event's page
        assert response.status_code == 200, path
        outputs[path] = (
            calendar_text(response.content) if ".ics" in path else response.content.decode()
        )
    for path in (f"{en}/events/{slug}/programme.pdf", f"/r/{token}/certificate.pdf"):
        response = client.get(path)
        assert response.status_code == 200, path
        outputs[path] = pdf_text(response.content, tmp_path)
    for kind in MAIL_KINDS:
        message = emails.build(person, kind)
        outputs[f"mail {kind}"] = "\n".join(
            [message.subject, message.body, *(part.content for part in message.alternatives)]
        )
    return outputs


def test_no_english_output_shows_a_german_text_that_has_an_english_one(
    client, demo, english_person, tmp_path, poppler
):
    german = german_texts_with_english(demo)
    assert len(german) > 30  # the demo's German texts: title, items, rooms, bios, note

    outputs = outputs_in("en", client, demo, english_person, tmp_path)

    assert {where: leaks(german, text) for where, text in outputs.items()} == {
        where: [] for where in outputs
    }


def test_the_guard_sees_the_german_texts_in_every_german_output(client, demo, tmp_path, poppler):
    """The check above is not blind: each of the outputs it reads shows German texts in German
    (the same pages, files, API answers and mails for a German reader)."""
    german = german_texts_with_english(demo)
    person = RegistrationFactory(room=demo.rooms.get(number=3), language="de")
    person.attended_at = timezone.now()
    person.save()

    outputs = outputs_in("de", client, demo, person, tmp_path)

    assert [where for where, text in outputs.items() if not leaks(german, text)] == []


def test_the_guard_finds_german_texts_where_they_are(client, demo, tmp_path, poppler):
    german = german_texts_with_english(demo)
    page = client.get(f"/events/{DEMO_SLUG}/").content.decode()
    programme = pdf_text(client.get(f"/events/{DEMO_SLUG}/programme.pdf").content, tmp_path)

    with translation.override("de"):
        expected = {demo.title, demo.subtitle, *(room.name for room in demo.rooms.all())} & german
    assert len(expected) == 7  # the title, subtitle and five rooms' names (others are quoted)
    assert expected <= set(leaks(german, page))
    assert expected <= set(leaks(german, programme))


def test_the_demo_has_every_text_in_both_languages(demo):
    speakers = Speaker.objects.filter(agenda_items__event=demo).distinct()
    for row in [demo, *demo.agenda_items.all(), *demo.rooms.all(), *speakers]:
        for field in CONTENT[type(row)]:
            de, en = getattr(row, f"{field}_de"), getattr(row, f"{field}_en")
            assert bool(de) == bool(en), (row, field)  # both or neither (an empty description)
    assert (
        demo.title_en
        == "Closing event of the initiative “#KoKI – Künstliche Intelligenz in Kommunen”"
    )
    assert [room.name_en for room in demo.rooms.order_by("number")] == [
        "Education & Learning",
        "Politics & Administration",
        "Nursing Care",
        "Urban & Regional Planning",
        "Law",
        "Ethics",
        "Facing Fears",
        "(Open) Data",
    ]
    assert demo.source_note_en.startswith("This demo shows a real event: the closing event took")
    assert "Illustrative (not documented)" in demo.source_note_en


def test_english_page_shows_the_english_texts(client):
    event = EventFactory(
        slug="tag",
        title_de="Abschlusstag",
        title_en="Closing day",
        description_de="Ein Tag über KI.",
        description_en="A day about AI.",
    )
    RoomFactory(event=event, number=1, name_de="Ethik", name_en="Ethics")
    AgendaItemFactory(event=event, title_de="Begrüßung", title_en="Welcome")

    english = client.get("/en/events/tag/").content.decode()
    german = client.get("/events/tag/").content.decode()

    assert "<title>Closing day" in english
    for text in ("Closing day", "A day about AI.", "Room 1: Ethics", "Welcome"):
        assert text in english
    for text in ("Abschlusstag", "Ein Tag über KI.", "Ethik", "Begrüßung"):
        assert text not in english
        assert text in german


def test_missing_english_texts_fall_back_to_german(client):
    event = EventFactory(
        slug="tag", title_de="Abschlusstag", title_en="", description_de="Ein Tag."
    )
    RoomFactory(event=event, number=1, name_de="Ethik", name_en=None)
    AgendaItemFactory(event=event, title_de="Begrüßung", title_en="Welcome")

    english = client.get("/en/events/tag/").content.decode()
    api = json.loads(client.get("/api/events/tag?lang=en").content)

    assert '<html lang="en">' in english
    for text in ("Abschlusstag", "Ein Tag.", "Room 1: Ethik", "Welcome"):
        assert text in english
    assert (api["title"], api["description"], api["agenda"][0]["title"]) == (
        "Abschlusstag",
        "Ein Tag.",
        "Welcome",
    )
    with translation.override("en"):
        assert str(Event.objects.get(pk=event.pk)) == "Abschlusstag"


def test_mails_are_in_the_registrations_language_with_its_links(demo):
    room = demo.rooms.get(number=1)
    english = RegistrationFactory(room=room, language="en")
    german = RegistrationFactory(room=room, language="de")

    emails.queue(english, "confirmed")
    emails.queue(german, "confirmed")

    by_address = {message.to[0]: message for message in mail.outbox}
    english_mail, german_mail = by_address[english.email], by_address[german.email]
    assert "Room 1: Education & Learning" in english_mail.body
    assert f"/en/r/{english.token}/" in english_mail.body
    assert "Raum 1: Bildung & Lernen" in german_mail.body
    assert f"http://127.0.0.1:8000/r/{german.token}/" in german_mail.body


def test_admin_edits_both_languages(organiser_client):
    event = EventFactory(slug="tag", title_de="Abschlusstag", title_en="Closing day")

    page = organiser_client.get(f"/admin/events/event/{event.pk}/change/").content.decode()

    for field in ("title", "subtitle", "description", "source_note"):
        assert f'name="{field}_de"' in page
        assert f'name="{field}_en"' in page
    assert 'value="Closing day"' in page
    assert "jquery-ui" not in page.lower()  # the plain forms: nothing from a CDN


def test_admin_edits_rooms_items_and_speakers_in_both_languages(organiser_client, demo):
    item = demo.agenda_items.get(title_de="Networking")
    speaker = Speaker.objects.get(name="Tobias Krafft")
    pages = {
        f"/admin/events/event/{demo.pk}/change/": ["rooms-0-name"],
        f"/admin/events/agendaitem/{item.pk}/change/": ["title", "description"],
        f"/admin/events/room/{demo.rooms.get(number=1).pk}/change/": ["name", "topic"],
        f"/admin/events/speaker/{speaker.pk}/change/": ["role", "affiliation", "bio"],
    }
    for url, fields in pages.items():
        response = organiser_client.get(url)
        page = response.content.decode()
        assert response.status_code == 200, url
        for field in fields:
            assert f'name="{field}_de"' in page, (url, field)
            assert f'name="{field}_en"' in page, (url, field)
    assert (
        "Managing director at Trusted AI"
        in organiser_client.get(f"/admin/events/speaker/{speaker.pk}/change/").content.decode()
    )


def test_a_demo_loaded_before_english_texts_gets_them_once(demo):
    """As the data migration leaves it: the German texts only, the note in the description."""
    note = "Hinweis zu diesen Demodaten: Illustrativ sind die Zeiten."
    Event.objects.filter(pk=demo.pk).update(
        description_de=f"{demo.description_de}\n\n{note}", title_en=None, source_note_de=""
    )
    Room.objects.filter(event=demo).update(name_en=None, topic_en=None)
    AgendaItem.objects.filter(event=demo).update(title_en=None, description_en=None)
    Speaker.objects.update(role_en=None, affiliation_en=None, bio_en=None)
    AgendaItem.objects.filter(event=demo, title_de="Networking").update(title_de="Kaffee")

    event, created = demo_event_load()

    event.refresh_from_db()
    assert not created
    assert note not in event.description_de
    assert event.source_note_de.startswith("Diese Demo zeigt eine echte Veranstaltung")
    assert event.title_en.startswith("Closing event of the initiative")
    assert event.rooms.get(number=3).name_en == "Nursing Care"
    assert event.agenda_items.get(title_de="Kaffee").title_en is None  # changed by an organiser
    assert event.agenda_items.get(title_de="Abschluss und Ausblick").title_en == (
        "Closing and outlook"
    )
    assert Speaker.objects.get(name="Tobias Krafft").affiliation_en == (
        "Managing director at Trusted AI"
    )
    event.title_en = "Eigener Titel"
    event.save()
    demo_event_load()  # a second time changes nothing
    event.refresh_from_db()
    assert event.title_en == "Eigener Titel"
