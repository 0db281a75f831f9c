"""Every write to registrations, and the rules they follow (capacity, waiting list, window).

One lock discipline for every write (registrations/occupancy.py owns the seat rule):

1. lock the rooms involved, in primary-key order (`occupancy.lock_rooms`);
2. then lock the registration's row and read it afresh (`_locked`);
3. decide from that fresh row: a cancelled registration stays cancelled, a deleted one is
   `RegistrationGone`, and a registration that changed room between the read and the lock is
   read and locked again.

Promotions from a waiting list happen under the room's lock too, so whoever holds it sees
every seat and place of the room as committed. Seats are counted after locking.
"""

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.tasks import default_task_backend, task
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event, Question, Room
from koki.prepared import PreparedQuery
from registrations import emails, hoarding, joining, occupancy, purge
from registrations.models import Answer, Registration
from registrations.occupancy import RoomSeats
from registrations.questions import Given

Status = Registration.Status


class RegistrationError(Exception):
    """A rule was broken; `message` is translated and can be shown as is."""

    def __init__(self, message, *, code: str = "invalid"):
        super().__init__(str(message))
        self.message = message
        self.code = code


class AlreadyRegistered(RegistrationError):
    """The address is registered for the event already; the caller must not reveal this.
    `placed`: the status a new registration would have been given (a seat or the waiting list)."""

    def __init__(self, registration: Registration, placed: str = ""):
        super().__init__(_("This e-mail address is already registered."), code="duplicate")
        self.registration = registration
        self.placed = placed


class RegistrationGone(RegistrationError):
    """The registration was deleted (by the person or the organisers) meanwhile."""

    def __init__(self):
        super().__init__(_("This registration no longer exists."), code="gone")


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


# --- Locks --------------------------------------------------------------------------------------


class _MovedMeanwhile(Exception):
    """The registration left the room that was locked for it: lock again."""


LOCK_ATTEMPTS = 3


def _locked[T](
    registration: Registration,
    action: Callable[[Registration, dict[int, Room]], T],
    *,
    also_rooms: Iterable[int] = (),
) -> T:
    """Run `action(fresh registration, locked rooms)` in one transaction, after locking the
    registration's room and `also_rooms` (primary-key order), then the registration's row.

    `registration` (the caller's copy) is updated to the row as it is after `action`.
    """
    for _attempt in range(LOCK_ATTEMPTS):
        room_id = Registration.objects.filter(pk=registration.pk).values_list("room_id", flat=True)
        room_id = room_id.first()
        if room_id is None:
            raise RegistrationGone
        try:
            with transaction.atomic():
                rooms = occupancy.lock_rooms(room_id, *also_rooms)
                fresh = Registration.objects.select_for_update().filter(pk=registration.pk).first()
                if fresh is None:
                    raise RegistrationGone
                if fresh.room_id != room_id:
                    raise _MovedMeanwhile
                fresh.event = registration.event
                for room in rooms.values():
                    room.event = registration.event
                fresh.room = rooms[fresh.room_id]
                result = action(fresh, rooms)
        except _MovedMeanwhile:
            continue
        for field in Registration._meta.concrete_fields:
            setattr(registration, field.attname, getattr(fresh, field.attname))
        registration.room = fresh.room
        return result
    raise RegistrationError(
        _("Your registration changed at this very moment. Please try again."), code="busy"
    )


def _lock_room(room_id: int, event: Event) -> Room:
    """Lock one room of `event` (a registration not yet stored has no row to lock)."""
    room = occupancy.lock_rooms(room_id).get(room_id)
    if room is None or room.event_id != event.pk:
        raise RegistrationError(_("Please choose one of this event's rooms."), code="room")
    room.event = event
    return room


# --- Hold expiry: the waiting list moves up when an unconfirmed hold runs out -------------------


@task(queue_name="promotions")  # never behind a queue of mails: its own worker can run it
def promote_waiting_list_task(*, room_id: int) -> int:
    """Runs when unconfirmed holds of the room expire: their seats go to the people waiting."""
    room = Room.objects.select_related("event").filter(pk=room_id).first()
    if room is None:
        return 0
    return len(waitlist_promote(room=room))


def expiry_run_after(expires_at: dt.datetime) -> dt.datetime:
    """When the promotion for a hold runs: the next whole minute at or after it expires."""
    whole_minute = expires_at.replace(second=0, microsecond=0)
    return whole_minute if whole_minute == expires_at else whole_minute + dt.timedelta(minutes=1)


def _schedule_hold_expiry(*, room_id: int, expires_at: dt.datetime) -> None:
    """Promote the waiting list when a hold runs out, where the backend can defer tasks.

    One promotion per room and minute serves every hold of that room expiring within the
    minute (a rush gives out dozens a second, and each promotion locks the room): a seat moves
    on at most a minute after its hold ran out. The cache remembers a scheduled promotion once
    its transaction committed; a lost or unreachable cache costs a second task, nothing more.

    Without a deferring backend (development) the waiting list moves up the next time anyone
    registers for, confirms in or leaves the room (each of them promotes under the lock).
    """
    if not default_task_backend.supports_defer:
        return
    run_after = expiry_run_after(expires_at)
    key = f"koki:hold-expiry:{room_id}:{run_after:%Y%m%d%H%M}"
    if cache.get(key) is not None:
        return
    promote_waiting_list_task.using(run_after=run_after).enqueue(room_id=room_id)
    seconds = max(int((run_after - timezone.now()).total_seconds()) + 60, 60)
    transaction.on_commit(lambda: cache.set(key, True, seconds))


# --- Placing people -----------------------------------------------------------------------------


def _hold_or_confirm(registration: Registration, event: Event, now: dt.datetime) -> None:
    """Give the registration a seat: confirmed, or a pending hold while e-mail is unconfirmed."""
    registration.waiting_since = None
    if event.double_opt_in and registration.email_confirmed_at is None:
        registration.status = Status.PENDING
        registration.expires_at = now + dt.timedelta(minutes=event.hold_minutes)
        _schedule_hold_expiry(room_id=registration.room_id, expires_at=registration.expires_at)
    else:
        registration.status = Status.CONFIRMED
        registration.expires_at = None


def _promote_locked(room: Room, now: dt.datetime) -> RoomSeats:
    """Fill free seats of a locked room from its waiting list, first come first served.

    Returns the room's seats afterwards (callers that go on to place someone need not count
    again); the promoted registrations are in `room.promoted`.
    """
    seats = occupancy.room_seats(room, now=now)
    room.promoted = []
    if not seats.free or not seats.waiting or now >= room.event.ends_at:
        return seats  # nothing to give, nobody waiting, or too late to come
    waiting = Registration.objects.filter(room=room, status=Status.WAITING)
    for registration in waiting.order_by("waiting_since", "pk")[: seats.free]:
        registration.room = room
        _hold_or_confirm(registration, room.event, now)
        registration.save(update_fields=["status", "expires_at", "waiting_since", "updated_at"])
        emails.queue(registration, "promoted")
        room.promoted.append(registration)
    confirmed = sum(r.status == Status.CONFIRMED for r in room.promoted)
    return dataclasses.replace(
        seats,
        confirmed=seats.confirmed + confirmed,
        pending=seats.pending + len(room.promoted) - confirmed,
        waiting=seats.waiting - len(room.promoted),
    )


def _live_switch(registration: Registration, now: dt.datetime) -> bool:
    """Whether an attendee's room change is a switch during the event (free seats only)."""
    event = registration.event
    return event.registration_state(now) != "open" and joining.is_live(event, now)


def _check_window(event: Event, now: dt.datetime) -> None:
    state = event.registration_state(now)
    if state == "not_yet_open":
        raise RegistrationError(_("Registration has not opened yet."), code="closed")
    if state == "closed":
        raise RegistrationError(_("Registration is closed."), code="closed")
    if state == "over":
        raise RegistrationError(_("This event is over."), code="closed")


def _place(
    registration: Registration, room: Room, *, seats: RoomSeats, join_waitlist: bool, now
) -> None:
    """Put a registration into a locked room: a seat if one is free, else its waiting list."""
    registration.room = room
    if not seats.is_full:
        _hold_or_confirm(registration, room.event, now)
        return
    if not join_waitlist:
        raise RegistrationError(
            _("Room %(room)s is full. You can join its waiting list or choose another room.")
            % {"room": room.number},
            code="full",
        )
    if seats.waiting_list_full:
        raise RegistrationError(
            _("Room %(room)s and its waiting list are full. Please choose another room.")
            % {"room": room.number},
            code="waitlist_full",
        )
    registration.status = Status.WAITING
    registration.expires_at = None
    registration.waiting_since = now


_active_ids = PreparedQuery(
    lambda event_id, email: (
        Registration.objects.alias(email_lower=Lower("email"))
        .filter(event_id=event_id, email_lower=email)
        .exclude(status=Status.CANCELLED)
        .order_by()
        .values_list("pk")[:1]
    ),
    event_id=-7_000_001,
    email="\x01sample@koki.invalid",
)


def _active_registration(event: Event, email: str) -> Registration | None:
    """The active registration of `email` (any case) for the event, if there is one: its id
    (usually none, composed once: koki/prepared.py), then the row."""
    rows = _active_ids(event_id=event.pk, email=email.lower())
    # .first(): the registration may have been deleted since.
    return Registration.objects.filter(pk=rows[0][0]).first() if rows else None


# --- The writes ---------------------------------------------------------------------------------


def registration_create(
    *,
    event: Event,
    room: Room,
    first_name: str,
    last_name: str,
    email: str,
    organisation: str = "",
    job_role: str = "",
    language: str = "de",
    consent: bool,
    join_waitlist: bool = False,
    network: str = "",
    challenge_passed: bool = False,
    answers: Iterable[Given] = (),
    now: dt.datetime | None = None,
) -> Registration:
    """Register a person for a room: a seat (held or confirmed), a waiting-list place, or an error.

    `answers` to the event's questions (registrations/questions.py) are stored with the
    registration, in the same transaction.

    `network` is the client's network (koki.ratelimit.client_network): its unconfirmed holds
    are limited (registrations/hoarding.py); beyond the first few, `challenge_passed` must say
    that the form's challenge was solved. Empty: not limited (organisers, scripts).

    Raises AlreadyRegistered when the address is registered for the event already. Every rule
    (the window, the network's holds, the room's seats) is decided before that, the same way
    for a registered and an unknown address: the answer tells nobody whether an address is
    registered.
    """
    now = _now(now)
    if not consent:
        raise RegistrationError(
            _("Please agree to the privacy notice to register."), code="consent"
        )
    if room.event_id != event.pk:
        raise RegistrationError(_("Please choose one of this event's rooms."), code="room")
    answers = list(answers)
    _check_answers(event, answers)
    _check_window(event, now)

    with hoarding.network_holds(event=event, network=network, now=now) as holds:
        if holds is not None:
            _check_holds(holds.needs(challenge_passed=challenge_passed))
        for _attempt in range(LOCK_ATTEMPTS):
            with transaction.atomic():
                locked = _lock_room(room.pk, event)
                seats = _promote_locked(locked, now)
                registration = Registration(
                    event=event,
                    first_name=first_name,
                    last_name=last_name,
                    email=email,
                    organisation=organisation,
                    job_role=job_role,
                    language=language,
                    consent_at=now,
                    privacy_notice_version=event.organiser.privacy_notice_version,
                )
                _place(registration, locked, seats=seats, join_waitlist=join_waitlist, now=now)
                stored = _insert_or_find(registration)
                if stored is not None and stored.token == registration.token:
                    registration.pk = stored.pk
                    _answers_store(registration, answers)
                    emails.queue(registration, "received")
                    if holds is not None:
                        holds.record(registration, now)
                    return registration
            # Registered already: the transaction commits (it failed no statement, and any
            # promotion above stands).
            if stored is not None:
                raise AlreadyRegistered(stored, placed=registration.status)
            # That registration was cancelled or deleted this very moment: try again.
    raise RegistrationError(
        _("Your registration changed at this very moment. Please try again."), code="busy"
    )


def _check_answers(event: Event, answers: list[Given]) -> None:
    """Answers to this event's questions only, once each, with options of their question."""
    seen = set()
    for answer in answers:
        question = answer.question
        options = {choice.question_id for choice in answer.choices}
        if (
            question.event_id != event.pk
            or question.pk in seen
            or options - {question.pk}
            or (answer.choices and not question.has_choices)
            or (question.kind == Question.Kind.SINGLE and len(answer.choices) > 1)
        ):
            raise RegistrationError(
                _("Please answer only the questions on this form."), code="answers"
            )
        seen.add(question.pk)


def _answers_store(registration: Registration, answers: list[Given]) -> None:
    """Store the answers of a new registration (two INSERTs at most)."""
    if not answers:
        return
    stored = Answer.objects.bulk_create(
        Answer(registration=registration, question=a.question, text=a.text, yes=a.yes)
        for a in answers
    )
    Answer.choices.through.objects.bulk_create(
        Answer.choices.through(answer_id=row.pk, questionchoice_id=choice.pk)
        for row, answer in zip(stored, answers, strict=True)
        for choice in answer.choices
    )


def registration_answers_update(*, registration: Registration, answers: Iterable[Given]) -> None:
    """Replace the person's answers (their personal page): the answers given now are all
    there are. Not for a cancelled registration."""
    answers = list(answers)
    _check_answers(registration.event, answers)
    with transaction.atomic():
        fresh = Registration.objects.select_for_update().filter(pk=registration.pk).first()
        if fresh is None:
            raise RegistrationGone
        _refuse_cancelled(fresh)
        Answer.objects.filter(registration=fresh).delete()
        _answers_store(fresh, answers)


def _check_holds(need: str) -> None:
    if need == "wait":
        raise RegistrationError(
            _(
                "Many registrations from your network are still waiting for their e-mail "
                "address to be confirmed. As soon as some of them are confirmed (with the link "
                "in the e-mail), you can register. Please try again later."
            ),
            code="holds_max",
        )
    if need == "challenge":
        raise RegistrationError(
            _(
                "Several registrations from your network are still waiting for their e-mail "
                "address to be confirmed. Please answer the question below and send the form "
                "again."
            ),
            code="challenge",
        )


def _insert_or_find(registration: Registration) -> Registration | None:
    """Insert a new registration unless its address is registered for the event already (the
    constraint registration_one_per_email_per_event), and return the address's active
    registration: the new one (it has the new token), or the one before.

    `INSERT … ON CONFLICT DO NOTHING` (SQLite: `INSERT OR IGNORE`): a duplicate, also one that
    a concurrent request committed this moment, fails no statement, so PostgreSQL logs no failed
    INSERT with the person's data. An unknown and a registered address take the same two
    statements, so neither the answer nor its time tells them apart.
    """
    Registration.objects.bulk_create([registration], ignore_conflicts=True)
    return (
        Registration.objects.alias(email_lower=Lower("email"))
        .filter(event_id=registration.event_id, email_lower=registration.email.lower())
        .exclude(status=Status.CANCELLED)
        .first()
    )


def hold_expired(registration: Registration, now=None) -> bool:
    now = _now(now)
    return registration.status == Status.PENDING and registration.expires_at <= now


def _refuse_cancelled(registration: Registration) -> None:
    if registration.status == Status.CANCELLED:
        raise RegistrationError(_("This registration was cancelled."), code="cancelled")


def registration_confirm(*, registration: Registration, now=None) -> Registration:
    """The person clicked the link in the e-mail (double opt-in).

    A valid hold becomes confirmed. After the hold expired the seat is given again if one is
    free; otherwise the registration stays unconfirmed and `status` tells the caller to offer
    the waiting list. Confirming twice changes nothing.
    """
    now = _now(now)

    def confirm(fresh: Registration, rooms: dict[int, Room]) -> None:
        _refuse_cancelled(fresh)
        first_confirmation = fresh.email_confirmed_at is None
        if first_confirmation:
            fresh.email_confirmed_at = now
        # A hold still valid keeps its seat; an expired one gets a seat if one is free.
        if fresh.status == Status.PENDING and (
            fresh.expires_at > now or not _promote_locked(fresh.room, now).is_full
        ):
            fresh.status = Status.CONFIRMED
            fresh.expires_at = None
        fresh.save()
        if first_confirmation and fresh.status == Status.CONFIRMED:
            emails.queue(fresh, "confirmed")

    _locked(registration, confirm)
    return registration


def registration_change_room(
    *,
    registration: Registration,
    room: Room,
    join_waitlist: bool = False,
    by_organiser: bool = False,
    now=None,
) -> Registration:
    """Move to another room of the same event, within its capacity (or onto its waiting list).

    The old seat is given up only when the move succeeds; the old room's waiting list moves up.
    Attendees can move while registration is open; during the event (from the moment the join
    links open) a confirmed attendee can switch to a room with a free seat, at once and without
    a waiting list. Organisers (`by_organiser`) can move people at any time.
    """
    now = _now(now)
    if room.event_id != registration.event_id:
        raise RegistrationError(_("Please choose one of this event's rooms."), code="room")
    if room.pk == registration.room_id and not hold_expired(registration, now):
        _refuse_cancelled(registration)
        return registration  # nothing to do (decided again under the locks below otherwise)
    live = not by_organiser and _live_switch(registration, now)
    if not by_organiser and not live:
        _check_window(registration.event, now)

    def change(fresh: Registration, rooms: dict[int, Room]) -> None:
        _refuse_cancelled(fresh)
        if room.pk == fresh.room_id and not hold_expired(fresh, now):
            return
        old_room, new_room = rooms[fresh.room_id], rooms.get(room.pk)
        if new_room is None:  # deleted since the form was shown
            raise RegistrationError(_("Please choose one of this event's rooms."), code="room")
        seats = _promote_locked(new_room, now)
        if live:
            if fresh.status != Status.CONFIRMED:
                raise RegistrationError(
                    _("Only confirmed attendees can switch rooms during the event."),
                    code="closed",
                )
            if seats.is_full:
                raise RegistrationError(
                    _("Room %(room)s has no free seat right now. Please choose another room.")
                    % {"room": new_room.number},
                    code="full",
                )
        _place(fresh, new_room, seats=seats, join_waitlist=join_waitlist and not live, now=now)
        fresh.calendar_sequence = F("calendar_sequence") + 1
        fresh.save()
        fresh.refresh_from_db(fields=["calendar_sequence"])
        if old_room.pk != new_room.pk:
            _promote_locked(old_room, now)
        emails.queue(fresh, "room_changed")

    _locked(registration, change, also_rooms=[room.pk])
    return registration


def registration_cancel(*, registration: Registration, now=None) -> Registration:
    """Cancel: the seat or waiting-list place is freed and the next person waiting moves up.
    Cancelling twice changes nothing; after the event's end there is nothing to cancel (and
    the attendance, with its certificate, stays)."""
    now = _now(now)

    if registration.event.registration_state(now) == "over":
        raise RegistrationError(_("This event is over."), code="closed")

    def cancel(fresh: Registration, rooms: dict[int, Room]) -> None:
        if fresh.status == Status.CANCELLED:
            return
        fresh.status = Status.CANCELLED
        fresh.cancelled_at = now
        fresh.expires_at = None
        fresh.waiting_since = None
        fresh.calendar_sequence = F("calendar_sequence") + 1
        fresh.save()
        fresh.refresh_from_db(fields=["calendar_sequence"])
        _promote_locked(fresh.room, now)
        emails.queue(fresh, "cancelled")

    _locked(registration, cancel)
    return registration


def registration_delete(*, registration: Registration, now=None) -> None:
    """Erase the person's data (DSGVO Art. 17); the seat or place moves on. Deleting what is
    gone already changes nothing."""
    now = _now(now)

    def delete(fresh: Registration, rooms: dict[int, Room]) -> None:
        holds_a_place = fresh.status != Status.CANCELLED
        Registration.objects.filter(pk=fresh.pk).delete()
        purge.log_entries_anonymise(registration_ids=[fresh.pk])  # no name left behind
        if holds_a_place:
            _promote_locked(fresh.room, now)

    try:
        _locked(registration, delete)
    except RegistrationGone:
        return


def waitlist_promote(*, room: Room, now=None) -> list[Registration]:
    """Fill the room's free seats from its waiting list (after a cancellation, an expired hold,
    or a capacity raised by an organiser). Returns the promoted registrations."""
    now = _now(now)
    event = room.event
    with transaction.atomic():
        locked = _lock_room(room.pk, event)
        _promote_locked(locked, now)
        return locked.promoted


def registration_send_link(*, event: Event, email: str) -> None:
    """Send the manage link again. Says nothing about whether the address is registered."""
    if registration := _active_registration(event, email.strip()):
        registration_link_resend(registration=registration)


def registration_link_resend(*, registration: Registration) -> None:
    """Mail the person their personal link again."""
    emails.queue(registration, "link")


# What organisers may correct by hand; everything else changes only through the writes above.
PERSON_FIELDS = ["first_name", "last_name", "email", "organisation", "job_role", "language"]


def registration_update_details(*, registration: Registration) -> None:
    """Store the person's corrected details, never the state: the caller's copy of the status,
    room or hold may be stale (a write above may have changed them since it was loaded)."""
    registration.save(update_fields=[*PERSON_FIELDS, "updated_at"])


def registration_resend_confirmation(*, registration: Registration) -> None:
    """Send the mail for the registration's current state again (organisers' action)."""
    confirmed = registration.status == Status.CONFIRMED
    emails.queue(registration, "confirmed" if confirmed else "received")


@dataclass(frozen=True)
class MoveOutcome:
    """What an organiser's batch move did: who moved, who was there already, who stayed and why."""

    moved: list[tuple[Registration, Room]]  # (registration, the room it left)
    unchanged: list[Registration]
    refused: list[tuple[Registration, str]]  # (registration, translated reason)


def registrations_move(*, registrations, room: Room) -> MoveOutcome:
    """Move registrations of one event to `room` (organisers, also after registration closed).

    First registered, first moved: when the seats run out, the later ones stay where they are.
    Each move is one `registration_change_room` with its own locks.
    """
    moved, unchanged, refused = [], [], []
    for registration in sorted(registrations, key=lambda r: (r.created_at, r.pk)):
        if registration.room_id == room.pk:
            unchanged.append(registration)
            continue
        old_room = registration.room
        try:
            registration_change_room(registration=registration, room=room, by_organiser=True)
        except RegistrationError as error:
            reason = (
                _("the room is full") if error.code in {"full", "waitlist_full"} else error.message
            )
            refused.append((registration, str(reason)))
            continue
        moved.append((registration, old_room))
    return MoveOutcome(moved=moved, unchanged=unchanged, refused=refused)
