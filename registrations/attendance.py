"""Attendance: organisers record who joined the (virtual) event."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from registrations.models import Registration


@transaction.atomic
def attendance_mark(
    *, registrations: QuerySet[Registration], attended: bool = True, now=None
) -> list[Registration]:
    """Mark confirmed registrations as attended (or take the mark back).

    Returns the registrations that changed; others (not confirmed, or already in the wanted
    state) are left alone.
    """
    now = now or timezone.now()
    # A fresh queryset: the caller's may carry annotations or DISTINCT, which FOR UPDATE refuses.
    selected = Registration.objects.filter(pk__in=list(registrations.values_list("pk", flat=True)))
    if attended:
        candidates = selected.filter(status=Registration.Status.CONFIRMED, attended_at__isnull=True)
    else:
        candidates = selected.filter(attended_at__isnull=False)
    changed = list(candidates.select_related("room").select_for_update(of=("self",)))
    Registration.objects.filter(pk__in=[r.pk for r in changed]).update(
        attended_at=now if attended else None, updated_at=now
    )
    for registration in changed:
        registration.attended_at = now if attended else None
    return changed
