"""Attendance: who came, where and when.

Two sources, one table (`Attendance`: one row per person and place): the first click on a
personal join link once it leads to the meeting, and the organisers' marks in the admin.
`Registration.attended_at` keeps the first of them, for lists and filters.
"""

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from events.models import Room
from registrations.models import Attendance, Registration


def attendance_record(*, registration: Registration, room: Room | None, now=None) -> None:
    """A confirmed attendee followed their join link to the plenary (room None) or a room.

    The first click per place is kept (one insert that does nothing once the row is there);
    the first click anywhere also sets `attended_at`.
    """
    now = now or timezone.now()
    Attendance.objects.bulk_create(
        [
            Attendance(
                registration=registration,
                room=room,
                joined_at=now,
                source=Attendance.Source.JOIN_LINK,
            )
        ],
        ignore_conflicts=True,
    )
    if registration.attended_at is None:
        Registration.objects.filter(pk=registration.pk, attended_at__isnull=True).update(
            attended_at=now
        )
        registration.attended_at = now


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
