"""The event page is served from the cache until something it shows changes (events/cache.py,
events/pages.py)."""

import datetime as dt
import re

import pytest
from django.core.cache import cache as shared_cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registrations import services
from tests.factories import (
    AgendaItemFactory,
    EventFactory,
    RegistrationFactory,
    RoomFactory,
    SpeakerFactory,
)
from tests.registrations.test_views import form_data, register_url

pytestmark = [pytest.mark.django_db, pytest.mark.room(capacity=3, name="Ethik")]


@pytest.fixture(autouse=True)
def _welcome_item(room):
    """Every test here looks at the page of `room`'s event, whose programme has one item."""
    AgendaItemFactory(event=room.event, title="Begrüßung")


def page(client, event) -> str:
    response = client.get(event.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_seats_shown_lag_a_registration_by_at_most_the_snapshot(client, room):
    assert "3 Plätze frei" in page(client, room.event)
    RegistrationFactory(room=room)

    assert "3 Plätze frei" in page(client, room.event)  # within occupancy.SNAPSHOT_SECONDS
    shared_cache.clear()  # as if SNAPSHOT_SECONDS had passed: the next view counts again
    assert "2 Plätze frei" in page(client, room.event)


def test_second_view_is_served_from_the_cache_without_a_query(
    client, room, django_assert_num_queries
):
    first = page(client, room.event)

    with django_assert_num_queries(0):
        second = page(client, room.event)

    assert second == first  # no form, no per-visitor token: the same page for everyone
    assert "Begrüßung" in second
    assert "3 Plätze frei" in second


def first_token(html: str) -> str:
    """The CSRF token of the page's form: the one part that differs per visitor."""
    return html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


def test_edited_agenda_item_shows_at_once(client, room):
    item = room.event.agenda_items.get()
    page(client, room.event)

    item.title = "Begrüßung und Einführung"
    item.save()

    assert "Begrüßung und Einführung" in page(client, room.event)


def test_speaker_added_to_an_item_shows_at_once(client, room):
    item = room.event.agenda_items.get()
    page(client, room.event)

    item.speakers.add(SpeakerFactory(name="Henning Lühr"))

    assert "Henning Lühr" in page(client, room.event)


def test_renamed_speaker_shows_at_once(client, room):
    speaker = SpeakerFactory(name="Tobias Krafft")
    room.event.agenda_items.get().speakers.add(speaker)
    assert "Tobias Krafft" in page(client, room.event)

    speaker.name = "Dr. Tobias Krafft"
    speaker.save()

    assert "Dr. Tobias Krafft" in page(client, room.event)


def test_registration_changes_the_seats_left_at_once(client, room, seats_uncached):
    assert "3 Plätze frei" in page(client, room.event)

    registration = RegistrationFactory(room=room)
    assert "2 Plätze frei" in page(client, room.event)

    services.registration_cancel(registration=registration)
    assert "3 Plätze frei" in page(client, room.event)


def seats_label(html: str) -> str:
    return " ".join(re.search(r'<p class="card-text seats">(.*?)</p>', html, re.S)[1].split())


def test_full_room_says_whether_its_waiting_list_is_open(client, room, seats_uncached):
    room.waiting_list_size = 1
    room.save()
    for _ in range(3):
        RegistrationFactory(room=room)
    assert seats_label(page(client, room.event)) == "<strong>Ausgebucht – Warteliste offen</strong>"

    RegistrationFactory(room=room, status="waiting", waiting_since=timezone.now())
    assert seats_label(page(client, room.event)) == "<strong>Ausgebucht – Warteliste voll</strong>"


def test_full_room_and_raised_capacity(client, room):
    for _ in range(3):
        RegistrationFactory(room=room)
    assert "Ausgebucht – Warteliste offen" in page(client, room.event)

    room.capacity = 5
    room.save()

    html = page(client, room.event)
    assert "2 Plätze frei" in html
    assert "Ausgebucht" not in html


def test_registration_closing_shows_without_any_write(client, room, monkeypatch):
    """The state follows the clock, not a write: the cached page closes on time."""
    event = room.event
    event.registration_closes_at = timezone.now() + dt.timedelta(minutes=5)
    event.save()
    assert "Die Anmeldung ist geöffnet" in page(client, event)

    later = timezone.now() + dt.timedelta(minutes=6)
    monkeypatch.setattr(timezone, "now", lambda: later)  # the clock moves on, nothing is saved
    html = page(client, event)
    assert "Die Anmeldung ist geschlossen." in html
    assert "Die Anmeldung ist geöffnet" not in html


def test_unpublished_event_is_gone_at_once(client, room):
    page(client, room.event)

    room.event.is_published = False
    room.event.save()

    assert client.get(room.event.get_absolute_url()).status_code == 404


def test_edited_event_shows_at_once(client, room):
    page(client, room.event)

    room.event.title = "Abschlussveranstaltung"
    room.event.save()

    assert "Abschlussveranstaltung" in page(client, room.event)


def test_languages_are_cached_apart(client, room):
    german = page(client, room.event)
    client.get(reverse("switch_language", args=["en"]))

    english = client.get(f"/en{room.event.get_absolute_url()}").content.decode()

    assert '<html lang="de">' in german
    assert "3 Plätze frei" in german
    assert '<html lang="en">' in english
    assert "3 seats left" in english


def test_other_events_do_not_share_the_cache(client, room):
    other = RoomFactory(capacity=7, event=EventFactory(title="Zweite Veranstaltung"))
    assert "3 Plätze frei" in page(client, room.event)

    html = page(client, other.event)

    assert "Zweite Veranstaltung" in html
    assert "7 Plätze frei" in html
    assert "3 Plätze frei" not in html


def test_whole_page_from_the_cache_renders_no_template(client, room):
    page(client, room.event)

    response = client.get(room.event.get_absolute_url())

    assert response.templates == []
    assert "Begrüßung" in response.content.decode()
    assert response["Content-Type"] == "text/html; charset=utf-8"


def test_cached_form_carries_a_working_csrf_token_per_visitor(room):
    url = register_url(room.event)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_html = first.get(url).content.decode()

    second_html = second.get(url).content.decode()  # from the cache
    response = second.post(
        url,
        {**form_data(room), "csrfmiddlewaretoken": first_token(second_html)},
    )

    assert first_token(second_html) != first_token(first_html)
    assert "koki-hole-" not in second_html
    assert response.status_code == 302
    assert response["Location"].endswith("/register/done/")


def test_event_page_has_no_form_and_sets_no_cookie(client, room):
    page(client, room.event)  # stored

    response = client.get(room.event.get_absolute_url())

    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert list(response.cookies) == []


def test_pending_message_is_shown_not_the_cached_page(client, room):
    page(client, room.event)
    registration = RegistrationFactory(room=room)

    response = client.post(
        reverse("registrations:delete", kwargs={"token": registration.token}), follow=True
    )
    html = response.content.decode()

    assert "Ihre Anmeldung und alle Ihre Daten sind gelöscht." in html
    assert "3 Plätze frei" in html
    assert "Ihre Anmeldung und alle Ihre Daten sind gelöscht." not in page(client, room.event)


def test_page_with_a_query_string_is_rendered_and_not_stored(client, room):
    page(client, room.event)

    response = client.get(room.event.get_absolute_url() + "?utm_source=newsletter")

    assert response.templates != []
    assert "?next=/events/" in response.content.decode()
    assert "%3Futm_source%3Dnewsletter" in response.content.decode()
    assert "utm_source" not in page(client, room.event)


def test_logged_in_organiser_gets_a_rendered_page(admin_client, room):
    page(admin_client, room.event)

    response = admin_client.get(room.event.get_absolute_url())

    assert response.templates != []


def test_a_change_outdates_the_cache_at_once_and_again_when_it_commits(
    client, room, django_capture_on_commit_callbacks
):
    """A page stored between the save and the commit (from the data still committed then) is
    stored under the first new generation; the second one, at the commit, leaves it behind."""
    from events.cache import generation

    event = room.event
    page(client, event)  # cached under the current generation
    before = generation(event.pk)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event.title = "Neuer Titel"
        event.save()
        during = generation(event.pk)
    after = generation(event.pk)

    assert len(callbacks) == 1
    assert len({before, during, after}) == 3
    assert "Neuer Titel" in page(client, event)
