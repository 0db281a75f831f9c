"""Attendance: who came, where and when.

Two sources, one table (`Attendance`: one row per person and place): the first click on a
personal join link once it leads to the meeting, and the organisers' marks in the admin.
`Registration.attended_at` keeps the first of them, for lists and filters.
"""

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from registrations.models import Attendance, Registration


def _statements() -> tuple[str, str]:
    """The two writes of a click, as SQL that PostgreSQL and SQLite both run (their names from
    the models): keep the first visit of a place; set `attended_at` if it is still empty."""
    quote = connection.ops.quote_name
    attendance, registration = Attendance._meta, Registration._meta
    # Names from the models' metadata, quoted; every value goes as a parameter.
    insert = (
        f"INSERT INTO {quote(attendance.db_table)} "  # noqa: S608
        f"({quote('registration_id')}, {quote('room_id')}, {quote('joined_at')}, "
        f"{quote('source')}) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
    )
    update = (
        f"UPDATE {quote(registration.db_table)} SET {quote('attended_at')} = %s "  # noqa: S608
        f"WHERE {quote('id')} = %s AND {quote('attended_at')} IS NULL"
    )
    return insert, update


def attendance_record(
    *, registration_id: int, room_id: int | None, attended: bool = False, now=None
) -> None:
    """A confirmed attendee followed their join link to the plenary (room None) or a room.

    The first click per place is kept (an insert that does nothing once the row is there);
    the first click anywhere also sets `attended_at`, in the same transaction. `attended`:
    the caller knows `attended_at` is set already (it saves the update).

    Two plain statements rather than the ORM: this runs for every attendee in the minute before
    the start, and composing the ORM's insert and update cost most of a click (`make bench`).
    """
    now = now or timezone.now()
    insert, update = _statements()
    moment = connection.ops.adapt_datetimefield_value(now)
    row = [registration_id, room_id, moment, Attendance.Source.JOIN_LINK]
    if attended:
        with connection.cursor() as cursor:
            cursor.execute(insert, row)
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(insert, row)
        cursor.execute(update, [moment, registration_id])


@transaction.atomic
def attendance_mark(
    *, registrations: QuerySet[Registration], attended: bool = True, now=None
) -> list[Registration]:
    """Mark confirmed registrations as attended in their room (or take every mark back).

    Someone whose join link already recorded the plenary can still be marked in their room.

    Returns the registrations that changed; others (not confirmed, or already in the wanted
    state) are left alone. Taking the mark back also removes what their join links recorded:
    the organisers know better (someone clicked, but did not stay).
    """
    now = now or timezone.now()
    # A fresh queryset: the caller's may carry annotations or DISTINCT, which FOR UPDATE refuses.
    selected = Registration.objects.filter(pk__in=list(registrations.values_list("pk", flat=True)))
    if attended:  # confirmed, and not yet recorded in their own room (the plenary may be)
        in_own_room = Attendance.objects.filter(registration=OuterRef("pk"), room=OuterRef("room"))
        candidates = selected.filter(status=Registration.Status.CONFIRMED).exclude(
            Exists(in_own_room)
        )
    else:
        candidates = selected.filter(attended_at__isnull=False)
    changed = list(candidates.select_related("room").select_for_update(of=("self",)))
    keys = [registration.pk for registration in changed]
    if attended:
        Attendance.objects.bulk_create(
            [
                Attendance(
                    registration=registration,
                    room=registration.room,
                    joined_at=now,
                    source=Attendance.Source.ORGANISERS,
                )
                for registration in changed
            ],
            ignore_conflicts=True,
        )
    else:
        Attendance.objects.filter(registration_id__in=keys).delete()
    if attended:
        Registration.objects.filter(pk__in=keys, attended_at__isnull=True).update(attended_at=now)
        Registration.objects.filter(pk__in=keys).update(updated_at=now)
    else:
        Registration.objects.filter(pk__in=keys).update(attended_at=None, updated_at=now)
    for registration in changed:
        if not attended or registration.attended_at is None:
            registration.attended_at = now if attended else None
    return changed
