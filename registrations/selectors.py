"""Reads for the registration pages."""

import datetime as dt
from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from events.models import AgendaItem
from registrations import joining
from registrations.models import Registration


def registration_get_by_token(*, token: str, status: str = "") -> Registration:
    """The registration behind a secret link (in `status`, if given), else 404."""
    registrations = Registration.objects.select_related("event__organiser", "room")
    if status:
        registrations = registrations.filter(status=status)
    return get_object_or_404(registrations, token=token)


def waiting_position(*, registration: Registration) -> int | None:
    """1 for the first person waiting for the room, None when not waiting."""
    if registration.status != Registration.Status.WAITING:
        return None
    ahead = (
        Registration.objects.filter(room_id=registration.room_id)
        .waiting()
        .filter(waiting_since__lt=registration.waiting_since)
        .count()
    )
    return ahead + 1


def registration_data_export(*, registration: Registration) -> dict:
    """Everything stored about the person (DSGVO Art. 15 and 20), as plain JSON types."""

    def iso(value):
        return value.isoformat() if value else None

    return {
        "event": {
            "title": registration.event.title,
            "starts_at": iso(registration.event.starts_at),
            "organiser": registration.event.organiser.name,
        },
        "registration": {
            "first_name": registration.first_name,
            "last_name": registration.last_name,
            "email": registration.email,
            "organisation": registration.organisation,
            "role": registration.job_role,
            "language": registration.language,
            "status": registration.status,
            "room": {"number": registration.room.number, "name": registration.room.name},
            "registered_at": iso(registration.created_at),
            "consent_at": iso(registration.consent_at),
            "privacy_notice_version": registration.privacy_notice_version,
            "email_confirmed_at": iso(registration.email_confirmed_at),
            "hold_expires_at": iso(registration.expires_at),
            "waiting_since": iso(registration.waiting_since),
            "cancelled_at": iso(registration.cancelled_at),
            "attended_at": iso(registration.attended_at),
            "last_changed_at": iso(registration.updated_at),
        },
        "answers": registration_answers(registration=registration),
    }


def registration_answers(*, registration: Registration) -> list[dict]:
    """The person's answers to the event's questions, in the questions' order (two queries):
    the question and the answer as they read in the active language."""
    answers = (
        registration.answers.select_related("question")
        .prefetch_related("choices")
        .order_by("question__order", "question_id")
    )
    return [{"question": answer.question.label, "answer": answer.as_text()} for answer in answers]


@dataclass(frozen=True)
class DayItem:
    """One item of an attendee's programme, with where their join link for it leads."""

    item: AgendaItem
    place: joining.Place
    join_path: str
    is_open: bool  # the join link leads to the meeting now


@dataclass(frozen=True)
class EventDay:
    """A confirmed attendee's day: their places (plenary, own room), what is on now, what next."""

    places: list[tuple[joining.Place, str]]  # (place, personal join path)
    now: list[DayItem]
    next: DayItem | None
    over: bool


def event_day(*, registration: Registration, now: dt.datetime) -> EventDay:
    """The personal page's event-day view, from the agenda (one query)."""
    event, room = registration.event, registration.room
    agenda = list(event.agenda_items.order_by("starts_at", "pk"))
    starts = joining.place_starts(event, agenda)
    plenary = joining.place_for(event, None, starts)
    own = joining.place_for(event, room, starts)
    paths = {
        None: joining.join_path(registration, None),
        room.pk: joining.join_path(registration, room),
    }

    def day_item(item: AgendaItem) -> DayItem:
        in_room = item.room_id is not None or item.is_all_rooms
        place = own if in_room else plenary
        return DayItem(
            item=item,
            place=place,
            join_path=paths[room.pk if in_room else None],
            is_open=place.state(now) == "open",
        )

    items = [day_item(item) for item in agenda if item.room_id in (None, room.pk)]
    current = [entry for entry in items if entry.item.starts_at <= now < entry.item.ends_at]
    upcoming = [entry for entry in items if entry.item.starts_at > now]
    return EventDay(
        places=[(plenary, paths[None]), (own, paths[room.pk])],
        now=current,
        next=upcoming[0] if upcoming else None,
        over=now >= event.ends_at,
    )
