"""Every write to registrations, and the rules they follow (capacity, waiting list, window).

Seats are taken inside a transaction that locks the room's row: lock once, late, only when
taking capacity. A seat is held by a confirmed registration or by an unexpired pending one
(double opt-in), so an expired hold frees its seat without a cron job. Whenever a room is
locked, people waiting for it are promoted first, so nobody jumps the queue.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event, Room
from registrations import emails, tasks
from registrations.models import Registration


class RegistrationError(Exception):
    """A rule was broken; `message` is translated and can be shown as is."""

    def __init__(self, message, *, code: str = "invalid"):
        super().__init__(str(message))
        self.message = message
        self.code = code


class AlreadyRegistered(RegistrationError):
    """The address is registered for the event already; the caller must not reveal this."""

    def __init__(self, registration: Registration):
        super().__init__(_("This e-mail address is already registered."), code="duplicate")
        self.registration = registration


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


# The three reads every registration makes, written as SQL: the ORM spent several times as long
# composing them as the database spent answering (README "Performance"). Plain SQL that
# PostgreSQL and SQLite both run; values are always parameters, names come from the models.
LOCK_ROOM_SQL = "SELECT * FROM {table} WHERE id = %s"
OCCUPANCY_SQL = """
    SELECT COUNT(*) FILTER (WHERE status = %s OR (status = %s AND expires_at > %s)),
           COUNT(*) FILTER (WHERE status = %s)
    FROM {table} WHERE room_id = %s
"""
REGISTERED_SQL = """
    SELECT id FROM {table} WHERE event_id = %s AND LOWER(email) = LOWER(%s) AND status <> %s
    LIMIT 1
"""


def _sql(template: str, model=Registration) -> str:
    return template.format(table=connection.ops.quote_name(model._meta.db_table))


def _lock_room(room_id: int, event: Event | None = None) -> Room:
    """The room's row, locked until the transaction ends (SELECT … FOR UPDATE; SQLite has no
    row locks and serialises writers instead); with its event, given or loaded."""
    sql = _sql(LOCK_ROOM_SQL, Room)
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    room = next(iter(Room.objects.raw(sql, [room_id])), None)
    if room is None or (event is not None and room.event_id != event.pk):
        raise Room.DoesNotExist(f"No room {room_id} in this event.")
    room.event = event if event is not None else Event.objects.get(pk=room.event_id)
    return room


@dataclass
class Occupancy:
    """A locked room's seats taken and waiting-list places taken."""

    taken: int
    waiting: int


def _occupancy(room: Room, now: dt.datetime) -> Occupancy:
    """Seats taken (confirmed, or pending and unexpired) and waiting-list places, in one query."""
    Status = Registration.Status
    params = [Status.CONFIRMED, Status.PENDING, connection.ops.adapt_datetimefield_value(now)]
    with connection.cursor() as cursor:
        cursor.execute(_sql(OCCUPANCY_SQL), [*params, Status.WAITING, room.pk])
        taken, waiting = cursor.fetchone()
    return Occupancy(taken=taken, waiting=waiting)


def _active_registration(event: Event, email: str) -> Registration | None:
    """The active registration of `email` (any case) for the event, if there is one: the id
    from plain SQL (the common answer is none), then the row."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(REGISTERED_SQL), [event.pk, email, Registration.Status.CANCELLED])
        row = cursor.fetchone()
    # .first(): the registration may have been deleted since.
    return Registration.objects.filter(pk=row[0]).first() if row else None


def _hold_or_confirm(registration: Registration, event: Event, now: dt.datetime) -> None:
    """Give the registration a seat: confirmed, or a pending hold while e-mail is unconfirmed."""
    registration.waiting_since = None
    if event.double_opt_in and registration.email_confirmed_at is None:
        registration.status = Registration.Status.PENDING
        registration.expires_at = now + dt.timedelta(minutes=event.hold_minutes)
        tasks.schedule_hold_expiry(room_id=registration.room_id, expires_at=registration.expires_at)
    else:
        registration.status = Registration.Status.CONFIRMED
        registration.expires_at = None


def _promote_locked(room: Room, now: dt.datetime) -> tuple[list[Registration], Occupancy]:
    """Fill free seats of a locked room from its waiting list, first come first served.

    Returns the promoted registrations and the room's occupancy afterwards, so callers that go
    on to place someone need not count again.
    """
    occupancy = _occupancy(room, now)
    free = room.capacity - occupancy.taken
    if free <= 0 or occupancy.waiting == 0:
        return [], occupancy
    promoted = list(Registration.objects.filter(room=room).waiting()[:free])
    for registration in promoted:
        _hold_or_confirm(registration, room.event, now)
        registration.save(update_fields=["status", "expires_at", "waiting_since", "updated_at"])
        emails.queue(registration, "promoted")
    occupancy.taken += len(promoted)
    occupancy.waiting -= len(promoted)
    return promoted, occupancy


def _check_window(event: Event, now: dt.datetime) -> None:
    state = event.registration_state(now)
    if state == "not_yet_open":
        raise RegistrationError(_("Registration has not opened yet."), code="closed")
    if state == "closed":
        raise RegistrationError(_("Registration is closed."), code="closed")
    if state == "over":
        raise RegistrationError(_("This event is over."), code="closed")


def _place(
    registration: Registration, room: Room, *, occupancy: Occupancy, join_waitlist: bool, now
) -> None:
    """Put a registration into a locked room: a seat if one is free, else its waiting list."""
    registration.room = room
    if occupancy.taken < room.capacity:
        _hold_or_confirm(registration, room.event, now)
        return
    if not join_waitlist:
        raise RegistrationError(
            _("Room %(room)s is full. You can join its waiting list or choose another room.")
            % {"room": room.number},
            code="full",
        )
    if occupancy.waiting >= room.waiting_list_size:
        raise RegistrationError(
            _("Room %(room)s and its waiting list are full. Please choose another room.")
            % {"room": room.number},
            code="waitlist_full",
        )
    registration.status = Registration.Status.WAITING
    registration.expires_at = None
    registration.waiting_since = now


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
    now: dt.datetime | None = None,
) -> Registration:
    """Register a person for a room: a seat (held or confirmed), a waiting-list place, or an error.

    Raises AlreadyRegistered when the address is registered for the event already.
    """
    now = _now(now)
    if not consent:
        raise RegistrationError(
            _("Please agree to the privacy notice to register."), code="consent"
        )
    if room.event_id != event.pk:
        raise RegistrationError(_("Please choose one of this event's rooms."), code="room")
    _check_window(event, now)
    if existing := _active_registration(event, email):
        raise AlreadyRegistered(existing)

    try:
        with transaction.atomic():
            room = _lock_room(room.pk, event)
            _promoted, occupancy = _promote_locked(room, now)
            registration = Registration(
                event=event,
                first_name=first_name,
                last_name=last_name,
                email=email,
                organisation=organisation,
                job_role=job_role,
                language=language,
                consent_at=now,
                privacy_notice_version=event.privacy_notice_version,
            )
            _place(registration, room, occupancy=occupancy, join_waitlist=join_waitlist, now=now)
            registration.save()
            emails.queue(registration, "received")
    except IntegrityError as error:
        # The same address, registered by a concurrent request since the check above: the
        # whole transaction is rolled back (also any promotion: the next write repeats it).
        if existing := _active_registration(event, email):
            raise AlreadyRegistered(existing) from error
        raise
    return registration


def registration_confirm(*, registration: Registration, now=None) -> Registration:
    """The person clicked the link in the e-mail (double opt-in).

    A valid hold becomes confirmed. After the hold expired the seat is given again if one is
    free; otherwise the registration stays unconfirmed and `status` tells the caller to offer
    the waiting list. Confirming twice changes nothing.
    """
    now = _now(now)
    if registration.status == Registration.Status.CANCELLED:
        raise RegistrationError(_("This registration was cancelled."), code="cancelled")
    with transaction.atomic():
        room = _lock_room(registration.room_id, registration.event)
        registration.refresh_from_db()
        first_confirmation = registration.email_confirmed_at is None
        if first_confirmation:
            registration.email_confirmed_at = now
        # A hold still valid keeps its seat; an expired one gets a seat if one is free.
        if registration.status == Registration.Status.PENDING and (
            registration.expires_at > now or _promote_locked(room, now)[1].taken < room.capacity
        ):
            registration.status = Registration.Status.CONFIRMED
            registration.expires_at = None
        registration.save()
        if first_confirmation and registration.status == Registration.Status.CONFIRMED:
            emails.queue(registration, "confirmed")
    return registration


def hold_expired(registration: Registration, now=None) -> bool:
    now = _now(now)
    return registration.status == Registration.Status.PENDING and registration.expires_at <= now


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
    Attendees can move only while registration is open; organisers (`by_organiser`) also
    afterwards, on the event day included.
    """
    now = _now(now)
    if room.event_id != registration.event_id:
        raise RegistrationError(_("Please choose one of this event's rooms."), code="room")
    if registration.status == Registration.Status.CANCELLED:
        raise RegistrationError(_("This registration was cancelled."), code="cancelled")
    if room.pk == registration.room_id and not hold_expired(registration, now):
        return registration
    if not by_organiser:
        _check_window(registration.event, now)
    with transaction.atomic():
        # Lock both rooms in a fixed order, so two opposite moves cannot deadlock.
        rooms = {
            pk: _lock_room(pk, registration.event) for pk in sorted({registration.room_id, room.pk})
        }
        old_room, new_room = rooms[registration.room_id], rooms[room.pk]
        registration.refresh_from_db()
        _promoted, occupancy = _promote_locked(new_room, now)
        _place(
            registration,
            new_room,
            occupancy=occupancy,
            join_waitlist=join_waitlist,
            now=now,
        )
        registration.save()
        if old_room.pk != new_room.pk:
            _promote_locked(old_room, now)
        emails.queue(registration, "room_changed")
    return registration


def registration_cancel(*, registration: Registration, now=None) -> Registration:
    """Cancel: the seat or waiting-list place is freed and the next person waiting moves up."""
    now = _now(now)
    with transaction.atomic():
        room = _lock_room(registration.room_id, registration.event)
        registration.refresh_from_db()
        if registration.status == Registration.Status.CANCELLED:
            return registration
        registration.status = Registration.Status.CANCELLED
        registration.cancelled_at = now
        registration.expires_at = None
        registration.waiting_since = None
        registration.save()
        _promote_locked(room, now)
        emails.queue(registration, "cancelled")
    return registration


def waitlist_promote(*, room: Room, now=None) -> list[Registration]:
    """Fill the room's free seats from its waiting list (after a cancellation, an expired hold,
    or a capacity raised by an organiser). Returns the promoted registrations."""
    now = _now(now)
    with transaction.atomic():
        locked = _lock_room(room.pk)
        promoted, _occupancy = _promote_locked(locked, now)
        return promoted


def registration_send_link(*, event: Event, email: str) -> None:
    """Send the manage link again. Says nothing about whether the address is registered."""
    if registration := _active_registration(event, email.strip()):
        registration_link_resend(registration=registration)


def registration_link_resend(*, registration: Registration) -> None:
    """Mail the person their personal link again."""
    emails.queue(registration, "link")


def registration_delete(*, registration: Registration, now=None) -> None:
    """Erase the person's data (DSGVO Art. 17): cancel first so the seat moves on, then delete."""
    holds_a_place = registration.status != Registration.Status.CANCELLED
    with transaction.atomic():
        room = _lock_room(registration.room_id, registration.event) if holds_a_place else None
        Registration.objects.filter(pk=registration.pk).delete()
        if room is not None:
            _promote_locked(room, _now(now))


def registration_resend_confirmation(*, registration: Registration) -> None:
    """Send the mail for the registration's current state again (organisers' action)."""
    confirmed = registration.status == Registration.Status.CONFIRMED
    emails.queue(registration, "confirmed" if confirmed else "received")
