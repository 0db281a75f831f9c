"""Reads that the public pages and exports share."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from events.models import AgendaItem, AgendaItemSpeaker, Event, Room, Speaker


def event_list_public() -> QuerySet[Event]:
    """Published events that have not ended yet, soonest first."""
    return Event.objects.published().upcoming().select_related("organiser").order_by("starts_at")


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


def programme_for(*, event: Event) -> Programme:
    """The programme in three queries (items, their speakers, rooms)."""
    items = list(agenda_items_for(event=event))
    speakers: dict[int, Speaker] = {}
    for item in items:
        item.ordered_speakers = [link.speaker for link in item.speaker_links.all()]
        for speaker in item.ordered_speakers:
            speakers.setdefault(speaker.pk, speaker)
    rooms = list(event.rooms.order_by("number"))
    return Programme(event=event, items=items, rooms=rooms, speakers=list(speakers.values()))
