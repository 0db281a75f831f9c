import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from tests.events.test_speaker_photos import png_bytes
from tests.factories import (
    AgendaItemFactory,
    AgendaItemSpeakerFactory,
    EventFactory,
    RegistrationFactory,
    RoomFactory,
    SpeakerFactory,
)

pytestmark = pytest.mark.django_db


def test_event_page_shows_the_whole_programme_in_german(client, demo_event):
    response = client.get("/events/koki-abschluss/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="de">' in html
    assert html.count("<h1>") == 1
    assert "Abschlussveranstaltung der Initiative" in html
    assert "16. März 2027, 10:00–12:45" in html
    assert "Europe/Berlin" in html
    for item in demo_event.agenda_items.all():
        assert escape(item.title) in html
    for name in ["Henning Lühr", "Tobias Krafft", "Christian Mainka", "Dr. Anja C. Wagner"]:
        assert name in html
    for room in demo_event.rooms.all():
        assert (
            f'<h3 class="room-card-title"><span class="room-number">Raum {room.number}<span '
            f'class="room-colon">:</span></span> <span class="room-name">'
            f"{escape(room.name)}</span></h3>"
        ) in html
        assert (
            f'<a class="room-choose" href="/events/koki-abschluss/register/?room={room.number}">'
            f'Diesen Raum wählen<span class="visually-hidden">: {escape(room)}</span></a>'
        ) in html
    assert html.count('<li class="room-card room-free">') == 8
    assert html.count('<p class="card-text seats">40 Plätze frei</p>') == 8
    assert "In 8 parallelen Break-out-Räumen" in html
    assert "Kostenlos" in html
    # Private join links never appear on a public page.
    assert "konferenz.example.org" not in html


def test_event_page_times_in_event_zone(client):
    event = EventFactory(timezone="America/New_York")
    AgendaItemFactory(event=event, title="Start")
    response = client.get(event.get_absolute_url())
    local = event.starts_at.astimezone(event.tzinfo)
    assert f"{local:%H:%M}" in response.content.decode()


def test_event_page_seats_left_count_holds_and_confirmations(client):
    room = RoomFactory(capacity=3, name="Ethik")
    RegistrationFactory(room=room)
    RegistrationFactory(room=room, status="waiting", waiting_since=room.event.starts_at)
    response = client.get(room.event.get_absolute_url())
    assert "2 Plätze frei" in response.content.decode()


def test_event_page_full_room_offers_waiting_list(client):
    room = RoomFactory(capacity=1)
    RegistrationFactory(room=room)
    response = client.get(room.event.get_absolute_url())
    html = response.content.decode()
    assert '<p class="card-text seats"><strong>Ausgebucht – Warteliste offen</strong></p>' in html
    assert '<li class="room-card room-waitlist">' in html


def test_event_page_room_without_any_place_left_is_closed(client):
    room = RoomFactory(capacity=1, waiting_list_size=0)
    RegistrationFactory(room=room)
    html = client.get(room.event.get_absolute_url()).content.decode()
    assert '<li class="room-card room-closed">' in html
    assert "<strong>Ausgebucht – Warteliste voll</strong>" in html


def test_event_page_calls_to_register_beside_and_after_the_programme(client):
    room = RoomFactory()
    html = client.get(room.event.get_absolute_url()).content.decode()
    register = f'href="/events/{room.event.slug}/register/"'
    # The card beside the programme, after the programme (phones), after the rooms.
    assert html.count(f'<a class="btn btn-primary btn-lg w-100" {register}>') == 1
    assert html.count(f'<a class="btn btn-primary btn-lg" {register}>') == 2
    assert html.count('<div class="register-band register-band-compact d-lg-none">') == 1
    # "Free of charge" once: in the facts.
    assert html.count("ostenlos") == 1


def test_event_page_without_open_registration_has_no_call_to_register(client):
    event = EventFactory(registration_closes_at=timezone.now() - dt.timedelta(minutes=1))
    RoomFactory(event=event)
    html = client.get(event.get_absolute_url()).content.decode()
    assert f"/events/{event.slug}/register/" not in html
    assert "Die Anmeldung ist geschlossen." in html


def test_event_page_shows_speaker_photos_or_initials(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    item = AgendaItemFactory(title="Impuls")
    with_photo = SpeakerFactory(name="Dr. Anja C. Wagner")
    with_photo.photo.save("anja.png", ContentFile(png_bytes()), save=True)
    without = SpeakerFactory(name="Henning Lühr")
    for order, speaker in enumerate([with_photo, without]):
        AgendaItemSpeakerFactory(agenda_item=item, speaker=speaker, order=order)
    html = client.get(item.event.get_absolute_url()).content.decode()
    assert (
        f'<img class="avatar avatar-lg" src="{with_photo.photo.url}" alt="" loading="lazy" '
        'width="96" height="96">'
    ) in html
    assert '<span class="avatar avatar-lg avatar-initials" aria-hidden="true">HL</span>' in html


def test_event_page_with_accent_colour_and_logo(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    event = EventFactory(accent_colour="#7a1f5c")
    event.logo.save("logo.png", ContentFile(png_bytes()), save=True)
    html = client.get(event.get_absolute_url()).content.decode()
    assert (f'<link rel="stylesheet" href="/events/{event.slug}/theme.css?v=7a1f5c">') in html
    assert f'<img class="event-logo" src="{event.logo.url}" alt="" height="48">' in html
    assert "style=" not in html


def test_event_page_without_accent_colour_links_no_theme(client):
    event = EventFactory()
    html = client.get(event.get_absolute_url()).content.decode()
    assert "theme.css" not in html
    assert "event-logo" not in html


def test_unpublished_event_is_404(client):
    event = EventFactory(is_published=False, title="Geheimer Entwurf")
    response = client.get(event.get_absolute_url())
    assert response.status_code == 404
    assert "Geheimer Entwurf" not in response.content.decode()


def test_unknown_event_is_404(client):
    assert client.get("/events/gibt-es-nicht/").status_code == 404


def test_start_page_redirects_to_the_only_event(client, demo_event):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/events/koki-abschluss/"


def test_start_page_lists_several_events(client):
    first = EventFactory(title="Erste")
    second = EventFactory(
        title="Zweite",
        starts_at=first.starts_at + dt.timedelta(days=1),
        ends_at=first.ends_at + dt.timedelta(days=1),
    )
    EventFactory(title="Entwurf", is_published=False)
    response = client.get("/")
    assert response.status_code == 200
    assert [e.pk for e in response.context["events"]] == [first.pk, second.pk]
    assert "Entwurf" not in response.content.decode()


def test_start_page_without_events(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Derzeit sind keine Veranstaltungen geplant." in response.content.decode()


def test_event_page_in_english_by_choice(client, demo_event):
    client.get(reverse("switch_language", args=["en"]))
    response = client.get("/events/koki-abschluss/", follow=True)
    assert response.redirect_chain == [("/en/events/koki-abschluss/", 302)]
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Programme" in html
    assert "March 16, 2027" in html


def build_event(n: int):
    event = EventFactory()
    rooms = [RoomFactory(event=event, number=i + 1) for i in range(n)]
    for i in range(n):
        item = AgendaItemFactory(
            event=event,
            starts_at=event.starts_at + dt.timedelta(minutes=i),
            room=rooms[i] if i % 2 else None,
        )
        AgendaItemSpeakerFactory(agenda_item=item)
        RegistrationFactory(room=rooms[i])
    return event


@pytest.mark.parametrize("n", [1, 20])
def test_event_page_query_count_is_constant(client, django_assert_num_queries, n):
    event = build_event(n)
    # event, seats left (page cache key), agenda items (+room), speaker links (+speaker),
    # rooms with occupancy; a cached page needs the event alone (tests/events/test_caching.py)
    with django_assert_num_queries(6):  # and first the event's key
        response = client.get(event.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["programme"].items) == n
    assert len(response.context["programme"].speakers) == n
    assert len(response.context["programme"].rooms) == n


def test_browser_language_does_not_switch_the_page(client):
    event = EventFactory()
    response = client.get(event.get_absolute_url(), headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="de">' in response.content.decode()


@pytest.mark.parametrize(
    ("name", "letters"),
    [("Dr. Anja C. Wagner", "AW"), ("Henning Lühr", "HL"), ("Prof. Dr. Özlem", "Ö"), ("", "")],
)
def test_speaker_initials(name, letters):
    from events.templatetags.koki_people import initials

    assert initials(name) == letters
