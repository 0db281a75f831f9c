"""The bench's look into the database, through the ORM (after django.setup()): the rooms before
the rush, the audit after it, the mail queue."""

from collections import Counter

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from events.models import Event
from registrations.models import Registration

MAIL_TASK = "send_registration_mail_task"  # wherever its module is


def set_capacities(slug: str, capacity: int, waiting_list_size: int) -> None:
    Event.objects.get(slug=slug).rooms.update(
        capacity=capacity, waiting_list_size=waiting_list_size
    )
    cache.clear()  # nothing cached about the rooms' old sizes


def audit(slug: str, accepted: set[str]) -> dict:
    """No room holds more seats (confirmed, or pending and unexpired) or waiting people than it
    has; every address the rush saw accepted is stored once, and no other."""
    now = timezone.now()
    registrations = Registration.objects.filter(event__slug=slug)
    report = {"over": [], "held": 0, "seats": 0, "waiting": 0}
    for room in Event.objects.get(slug=slug).rooms.order_by("number"):
        in_room = registrations.filter(room=room)
        held = in_room.filter(
            Q(status="confirmed") | Q(status="pending", expires_at__gt=now)
        ).count()
        waiting = in_room.filter(status="waiting").count()
        if held > room.capacity or waiting > room.waiting_list_size:
            report["over"].append(
                f"room {room.number}: {held}/{room.capacity} seats, "
                f"{waiting}/{room.waiting_list_size} waiting"
            )
        report["held"] += held
        report["seats"] += room.capacity
        report["waiting"] += waiting
    active = {
        e.lower() for e in registrations.exclude(status="cancelled").values_list("email", flat=True)
    }
    every = Counter(e.lower() for e in registrations.values_list("email", flat=True))
    report["statuses"] = Counter(registrations.values_list("status", flat=True))
    report["lost"] = sorted(accepted - active)
    report["extra"] = sorted(active - accepted)
    report["twice"] = sorted(email for email, n in every.items() if n > 1)
    return report


def mail_tasks(status: str) -> int:
    """Registration mails in the task queue with this status (READY, SUCCESSFUL, FAILED)."""
    return DBTaskResult.objects.filter(task_path__endswith=MAIL_TASK, status=status).count()
