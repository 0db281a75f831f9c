import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from events.models import AgendaItem, Event, Room
from tests.factories import AgendaItemFactory, EventFactory, RoomFactory

pytestmark = pytest.mark.django_db


def test_event_end_before_start_rejected_by_database():
    event = EventFactory()
    event.ends_at = event.starts_at - dt.timedelta(minutes=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()


def test_event_clean_end_before_start_message():
    event = EventFactory.build(slug="x")
    event.ends_at = event.starts_at
    with pytest.raises(ValidationError) as excinfo:
        event.full_clean()
    assert excinfo.value.message_dict["ends_at"] == [
        "Die Veranstaltung muss nach ihrem Beginn enden."
    ]


def test_event_slug_unique():
    EventFactory(slug="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        EventFactory(slug="same")


def test_room_number_unique_per_event():
    room = RoomFactory(number=1)
    RoomFactory(number=1)  # another event: allowed
    with pytest.raises(IntegrityError), transaction.atomic():
        RoomFactory(number=1, event=room.event)


def test_room_capacity_not_negative():
    room = RoomFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.filter(pk=room.pk).update(capacity=-1)


def test_agenda_item_end_after_start_in_database():
    item = AgendaItemFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AgendaItem.objects.filter(pk=item.pk).update(ends_at=item.starts_at)


def test_agenda_item_outside_event_span_rejected_with_message():
    event = EventFactory()
    item = AgendaItemFactory.build(
        event=event,
        starts_at=event.ends_at - dt.timedelta(minutes=5),
        ends_at=event.ends_at + dt.timedelta(minutes=10),
    )
    with pytest.raises(ValidationError) as excinfo:
        item.full_clean()
    assert excinfo.value.messages == [
        f"Ein Programmpunkt muss innerhalb der Veranstaltungszeit liegen ({event.local_span()})."
    ]


def test_agenda_item_room_of_other_event_rejected():
    item = AgendaItemFactory.build(event=EventFactory(), room=RoomFactory())
    with pytest.raises(ValidationError) as excinfo:
        item.full_clean()
    assert excinfo.value.message_dict["room"] == [
        "Dieser Raum gehört zu einer anderen Veranstaltung."
    ]


def test_event_registration_state_follows_window():
    event = EventFactory()
    before = event.starts_at - dt.timedelta(days=2)
    event.registration_opens_at = event.starts_at - dt.timedelta(days=1)
    assert event.registration_state(now=before) == "not_yet_open"
    assert event.registration_state(now=event.starts_at - dt.timedelta(hours=1)) == "open"
    assert event.registration_state(now=event.starts_at) == "closed"
    assert event.registration_state(now=event.ends_at) == "over"


def test_event_published_upcoming_queryset():
    shown = EventFactory()
    EventFactory(is_published=False)
    past = EventFactory()
    Event.objects.filter(pk=past.pk).update(
        starts_at=past.starts_at - dt.timedelta(days=400),
        ends_at=past.ends_at - dt.timedelta(days=400),
    )
    assert list(Event.objects.published().upcoming()) == [shown]
