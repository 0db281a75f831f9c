"""Reads that the public pages and exports share."""

from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Greatest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from events.models import AgendaItem, AgendaItemSpeaker, Event, Room, Speaker


def event_list_public() -> QuerySet[Event]:
    """Published events that have not ended yet, soonest first."""
    return Event.objects.published().upcoming().order_by("starts_at")


def rooms_with_occupancy(*, event: Event, now=None) -> QuerySet[Room]:
    """The event's rooms, each annotated with `confirmed_count`, `pending_count` (unexpired
    holds), `waiting_count`, and from those `seats_taken` and `seats_left` (never below 0)."""
    now = now or timezone.now()
    rooms = event.rooms.annotate(
        confirmed_count=Count("registrations", filter=Q(registrations__status="confirmed")),
        pending_count=Count(
            "registrations",
            filter=Q(registrations__status="pending", registrations__expires_at__gt=now),
        ),
        waiting_count=Count("registrations", filter=Q(registrations__status="waiting")),
        seats_taken=F("confirmed_count") + F("pending_count"),
        seats_left=Greatest(F("capacity") - F("seats_taken"), Value(0)),
    ).order_by("number")
    return rooms


def agenda_items_for(*, event: Event) -> QuerySet[AgendaItem]:
    """The event's agenda with room and ordered speakers, in two extra queries at most."""
    return (
        event.agenda_items.select_related("room")
        .prefetch_related(
            Prefetch(
                "speaker_links",
                queryset=AgendaItemSpeaker.objects.select_related("speaker").order_by(
                    "order", "pk"
                ),
            )
        )
        .order_by("starts_at", "room__number", "pk")
    )


@dataclass
class Programme:
    """Everything the event page and the exports show, loaded in a fixed number of queries."""

    event: Event
    items: list[AgendaItem]
    rooms: list[Room]
    speakers: list[Speaker]

    def items_for_room(self, room: Room) -> list[AgendaItem]:
        return [item for item in self.items if item.room_id in (None, room.pk)]


def programme_for(*, event: Event, with_occupancy: bool = True) -> Programme:
    """The programme in three queries; exports leave out the seat counts (`with_occupancy`)."""
    items = list(agenda_items_for(event=event))
    speakers: dict[int, Speaker] = {}
    for item in items:
        item.ordered_speakers = [link.speaker for link in item.speaker_links.all()]
        for speaker in item.ordered_speakers:
            speakers.setdefault(speaker.pk, speaker)
    if with_occupancy:
        rooms = list(rooms_with_occupancy(event=event))
    else:
        rooms = list(event.rooms.order_by("number"))
    return Programme(event=event, items=items, rooms=rooms, speakers=list(speakers.values()))


def event_get_public(*, slug: str) -> Event:
    return get_object_or_404(Event.objects.published(), slug=slug)
