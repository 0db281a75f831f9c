"""Writes for events.

Programme changes that calendars must learn about: calendar clients only replace an event they
already know when its SEQUENCE grows (RFC 5545 3.8.7.4), so every change of an agenda item's time
or place raises it. These functions are what the admin calls when it saves; raising happens with
F() in the database, so two editors saving at the same time both count.

Speaker photos: only real images, limited in size, re-encoded.
"""

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.images import ImageRules, image_clean
from events.models import (
    AgendaItem,
    AgendaItemSpeaker,
    Event,
    Question,
    QuestionChoice,
    Reminder,
    Room,
    Speaker,
)
from events.signals import event_schedule_changed

# What a calendar entry shows as its time and place.
ITEM_SCHEDULE_FIELDS = ("starts_at", "ends_at", "room_id")
ROOM_PLACE_FIELDS = ("number", "name")
EVENT_PLACE_FIELDS = ("is_online", "venue")


def _fields_to_save(instance) -> list[str]:
    """Every concrete field except the primary key and `sequence` (only F() writes that)."""
    return [
        field.name
        for field in instance._meta.concrete_fields
        if not field.primary_key and field.name != "sequence"
    ]


def _changed(model, pk: int, instance, fields: Iterable[str]) -> bool:
    fields = tuple(fields)
    stored = model.objects.filter(pk=pk).values_list(*fields).first()
    if stored is None:
        return False
    return stored != tuple(getattr(instance, name) for name in fields)


def agenda_items_sequence_raise(*, items) -> int:
    """Raise SEQUENCE (and LAST-MODIFIED) of the given agenda items; returns how many."""
    return items.update(sequence=F("sequence") + 1, updated_at=timezone.now())


@transaction.atomic
def agenda_item_save(*, item: AgendaItem) -> AgendaItem:
    """Create or update an agenda item; a change of its time or room raises its SEQUENCE."""
    if item._state.adding:
        item.save()
        return item
    moved = _changed(AgendaItem, item.pk, item, ITEM_SCHEDULE_FIELDS)
    item.save(update_fields=_fields_to_save(item))
    if moved:
        agenda_items_sequence_raise(items=AgendaItem.objects.filter(pk=item.pk))
        item.refresh_from_db(fields=["sequence", "updated_at"])
    return item


def agenda_item_delete(*, item: AgendaItem) -> None:
    """Delete an item (its event's cache generation moves on: events/cache.py)."""
    item.delete()


@transaction.atomic
def room_save(*, room: Room) -> Room:
    """Create or update a room; a new number or name moves the place of the items held in it."""
    renamed = not room._state.adding and _changed(Room, room.pk, room, ROOM_PLACE_FIELDS)
    room.save()
    if renamed:
        agenda_items_sequence_raise(items=AgendaItem.objects.filter(room=room))
    return room


@transaction.atomic
def room_delete(*, room: Room) -> None:
    """Delete a room; its items become plenary items, which is a change of place."""
    agenda_items_sequence_raise(items=AgendaItem.objects.filter(room=room))
    room.delete()


@transaction.atomic
def event_save(*, event: Event) -> Event:
    """Create or update an event; going online, offline or to another venue moves every item."""
    moved = not event._state.adding and _changed(Event, event.pk, event, EVENT_PLACE_FIELDS)
    event.save()
    if moved:
        agenda_items_sequence_raise(items=AgendaItem.objects.filter(event=event))
    return event


def reminders_default_create(*, event: Event) -> list[Reminder]:
    """The usual reminders of a new event: the day before at 09:00, one hour before the start."""
    return Reminder.objects.bulk_create(
        Reminder(event=event, **defaults) for defaults in Reminder.DEFAULTS
    )


def _shifted(moment: dt.datetime | None, days: int, zone: zoneinfo.ZoneInfo):
    """`moment` `days` later at the same local clock time in `zone` (across a change of
    summer time the UTC offset changes, the time on the clock does not)."""
    if moment is None:
        return None
    local = timezone.localtime(moment, zone)
    return dt.datetime.combine(local.date() + dt.timedelta(days=days), local.time(), tzinfo=zone)


def event_slug_free(*, base: str) -> str:
    """`base`, or `base-2`, `base-3`, … whichever no event has yet (at most 80 characters)."""
    base = base[:76].rstrip("-") or "event"
    taken = set(Event.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _clone(instance, **changes):
    """`instance` as a new row (every field, both languages of its texts) with `changes`."""
    instance.pk = None
    instance._state.adding = True
    for name, value in changes.items():
        setattr(instance, name, value)
    return instance


@transaction.atomic
def event_copy(*, event: Event, starts_on: dt.date, title: str, slug: str) -> Event:
    """A new, unpublished edition of `event` starting on `starts_on`, titled `title` (German;
    its English title is left empty and shows the German one until entered).

    Carried over: every field of the event (texts in both languages, organiser, look,
    settings, the team), the rooms with their capacity, waiting list and moderators' names,
    the agenda with its speakers (the same speaker records), the reminders and the questions
    of the form with their options. Every time moves by the same number of days and keeps its
    local clock time in the event's zone, summer time or not. Not carried over:
    registrations, messages, the meeting addresses (plenary and rooms: a meeting of the last
    edition must not open for the next one) and the moderators' accounts (access to a room's
    attendees is given for each edition anew).
    """
    zone = event.tzinfo
    days = (starts_on - timezone.localtime(event.starts_at, zone).date()).days
    source_pk = event.pk
    new = _clone(
        Event.objects.get(pk=source_pk),
        title_de=title,
        title_en="",
        slug=slug,
        is_published=False,
        plenary_join_url="",
    )
    for name in ["starts_at", "ends_at", "registration_opens_at", "registration_closes_at"]:
        setattr(new, name, _shifted(getattr(new, name), days, zone))
    new.save()
    new.team.set(event.team.all())

    rooms = list(Room.objects.filter(event_id=source_pk).order_by("number"))
    old_room_pks = [room.pk for room in rooms]
    new_rooms = Room.objects.bulk_create(_clone(room, event=new, join_url="") for room in rooms)
    room_for = dict(zip(old_room_pks, new_rooms, strict=True))

    items = list(AgendaItem.objects.filter(event_id=source_pk).order_by("pk"))
    old_item_pks = [item.pk for item in items]
    new_items = AgendaItem.objects.bulk_create(
        _clone(
            item,
            event=new,
            uid=uuid.uuid4(),
            sequence=0,
            starts_at=_shifted(item.starts_at, days, zone),
            ends_at=_shifted(item.ends_at, days, zone),
            room=room_for.get(item.room_id),
        )
        for item in items
    )
    item_for = dict(zip(old_item_pks, new_items, strict=True))
    AgendaItemSpeaker.objects.bulk_create(
        AgendaItemSpeaker(
            agenda_item=item_for[link.agenda_item_id], speaker_id=link.speaker_id, order=link.order
        )
        for link in AgendaItemSpeaker.objects.filter(agenda_item__event_id=source_pk)
    )
    Reminder.objects.bulk_create(
        Reminder(
            event=new,
            days_before=reminder.days_before,
            at_time=reminder.at_time,
            minutes_before=reminder.minutes_before,
        )
        for reminder in Reminder.objects.filter(event_id=source_pk).order_by("pk")
    )
    questions = list(Question.objects.filter(event_id=source_pk).prefetch_related("choices"))
    options = [list(question.choices.all()) for question in questions]
    new_questions = Question.objects.bulk_create(_clone(q, event=new) for q in questions)
    QuestionChoice.objects.bulk_create(
        _clone(option, question=question)
        for question, its_options in zip(new_questions, options, strict=True)
        for option in its_options
    )
    transaction.on_commit(lambda: event_schedule_changed.send(sender=Event, event=new))
    return new


def speaker_delete(*, speaker: Speaker) -> None:
    """Delete a speaker (with their links, which move the events' cache generation on)."""
    speaker.delete()


PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO = ImageRules(
    max_bytes=PHOTO_MAX_BYTES,
    max_side=4000,
    stored_side=1200,  # the page shows photos small
    not_an_image=_(
        "This file is not an image we can use. Please upload a JPEG, PNG or WebP photo."
    ),
    too_large=_("The photo is too large: at most %(max)s MB."),
    too_many_pixels=_("The photo is too large: at most %(max)s × %(max)s pixels."),
)


def speaker_photo_clean(*, upload) -> ContentFile:
    """A speaker photo checked and re-encoded without its metadata (events/images.py): a
    JPEG, PNG or WebP image of at most 2 MB and 4000 × 4000 pixels, stored at most 1200 px."""
    return image_clean(upload=upload, rules=PHOTO)
