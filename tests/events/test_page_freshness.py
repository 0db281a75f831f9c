"""A change to an event or its programme shows on the very next request, however it was made.

`save()` (admin, services, shell) and the bulk `QuerySet.update()` alike: every update of the
event's programme models changes the event's cache generation.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from events.models import AgendaItem, Event, Room
from tests.factories import (
    BERLIN,
    AgendaItemFactory,
    EventFactory,
    RegistrationFactory,
    RoomFactory,
)

pytestmark = pytest.mark.django_db

HOW = ["save", "update"]


@pytest.fixture
def forum():
    """A published event with one room (2 of 40 seats taken) and one agenda item."""
    event = EventFactory(title="Herbstforum Verwaltung")
    room = RoomFactory(event=event, name="Ethik", capacity=40)
    RegistrationFactory.create_batch(2, room=room)
    AgendaItemFactory(
        event=event,
        title="Begrüßung",
        starts_at=event.starts_at + dt.timedelta(minutes=30),
        ends_at=event.starts_at + dt.timedelta(minutes=45),
    )
    return event


def get(client, path: str, **headers):
    response = client.get(path, **headers)
    assert response.status_code == 200
    return response


def page(client, event: Event) -> str:
    return get(client, f"/events/{event.slug}/").content.decode()


def seats_on_event_page(html: str) -> list[str]:
    return [
        " ".join(s.split()) for s in re.findall(r'<p class="card-text seats">(.*?)</p>', html, re.S)
    ]


def seats_on_register_page(html: str) -> list[str]:
    return re.findall(r'<span class="room-choice-seats">(.*?)</span>', html)


def time_tag(moment: dt.datetime) -> str:
    local = timezone.localtime(moment, BERLIN)
    return f'<time datetime="{local.isoformat()}">{local:%H:%M}</time>'


def change_capacity(room: Room, capacity: int, how: str) -> None:
    if how == "save":
        room.capacity = capacity
        room.save()
    else:
        Room.objects.filter(pk=room.pk).update(capacity=capacity)


def change_time(item: AgendaItem, starts_at: dt.datetime, ends_at: dt.datetime, how: str) -> None:
    if how == "save":
        item.starts_at, item.ends_at = starts_at, ends_at
        item.save()
    else:
        AgendaItem.objects.filter(pk=item.pk).update(starts_at=starts_at, ends_at=ends_at)


def change_title(model, obj, title: str, how: str) -> None:
    if how == "save":
        obj.title = title
        obj.save()
    else:
        model.objects.filter(pk=obj.pk).update(title=title)


@pytest.mark.parametrize("how", HOW)
def test_event_page_shows_a_changed_capacity_at_once(client, forum, how):
    assert seats_on_event_page(page(client, forum)) == ["38 Plätze frei"]

    change_capacity(forum.rooms.get(), 50, how)

    assert seats_on_event_page(page(client, forum)) == ["48 Plätze frei"]


@pytest.mark.parametrize("how", HOW)
def test_event_page_shows_a_changed_agenda_time_at_once(client, forum, how):
    item = forum.agenda_items.get()
    old = time_tag(item.starts_at) + "–" + time_tag(item.ends_at)
    assert old in page(client, forum)
    starts_at = forum.starts_at + dt.timedelta(hours=1, minutes=20)
    ends_at = starts_at + dt.timedelta(minutes=25)

    change_time(item, starts_at, ends_at, how)

    html = page(client, forum)
    assert time_tag(starts_at) + "–" + time_tag(ends_at) in html
    assert old not in html


@pytest.mark.parametrize("how", HOW)
def test_event_page_shows_a_changed_event_title_at_once(client, forum, how):
    assert "<h1>Herbstforum Verwaltung</h1>" in page(client, forum)

    change_title(Event, forum, "Winterforum Digitale Verwaltung", how)

    html = page(client, forum)
    assert "<h1>Winterforum Digitale Verwaltung</h1>" in html
    assert "Herbstforum" not in html


@pytest.mark.parametrize("how", HOW)
def test_event_page_shows_a_changed_agenda_title_at_once(client, forum, how):
    assert '<h3 class="h5 mb-1">Begrüßung</h3>' in page(client, forum)

    change_title(AgendaItem, forum.agenda_items.get(), "Eröffnung", how)

    html = page(client, forum)
    assert '<h3 class="h5 mb-1">Eröffnung</h3>' in html
    assert "Begrüßung" not in html


@pytest.mark.parametrize("how", HOW)
def test_register_page_shows_a_changed_capacity_at_once(client, forum, how):
    register = f"/events/{forum.slug}/register/"
    assert seats_on_register_page(get(client, register).content.decode()) == ["38 Plätze frei"]

    change_capacity(forum.rooms.get(), 50, how)

    assert seats_on_register_page(get(client, register).content.decode()) == ["48 Plätze frei"]


@pytest.mark.parametrize("how", HOW)
def test_programme_calendar_shows_a_changed_agenda_title_with_a_new_etag(client, forum, how):
    calendar = f"/events/{forum.slug}/programme.ics"
    first = get(client, calendar)
    assert "SUMMARY:Begrüßung\r\n" in first.content.decode()

    change_title(AgendaItem, forum.agenda_items.get(), "Eröffnung", how)

    # A calendar app asks with the ETag it has: it must get the new file, not 304.
    second = get(client, calendar, HTTP_IF_NONE_MATCH=first["ETag"])
    body = second.content.decode()
    assert "SUMMARY:Eröffnung\r\n" in body
    assert "Begrüßung" not in body
    assert second["ETag"] != first["ETag"]
