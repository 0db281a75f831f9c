"""Set up the rooms before the rush and audit the database after it, through the ORM.

Call `django_setup()` after the bench environment is in `os.environ` (Stack.apply_to_this_process).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

MAIL_TASK = "registrations.tasks.send_registration_mail_task"
EXPIRY_TASK = "registrations.tasks.promote_waiting_list_task"


def mail_tasks(status: str) -> int:
    """How many registration mails are in the queue with this status (READY, SUCCESSFUL …)."""
    from django.db import connections
    from django_tasks_db.models import DBTaskResult

    count = DBTaskResult.objects.filter(task_path=MAIL_TASK, status=status).count()
    connections.close_all()
    return count


def django_setup() -> None:
    import django

    django.setup()


def set_capacities(
    *, slug: str, capacity: int, waiting_list_size: int
) -> list[tuple[int, str, int]]:
    """Every room gets `capacity` seats and a waiting list; the rush starts from none taken."""
    from django.core.cache import cache
    from django.db import connections

    from events.models import Event
    from registrations.models import Registration

    event = Event.objects.get(slug=slug)
    if Registration.objects.filter(event=event).exists():
        raise SystemExit("bench: the fresh database already has registrations")
    event.rooms.update(capacity=capacity, waiting_list_size=waiting_list_size)
    cache.clear()  # whatever the page caches about seats was computed with the old capacities
    rooms = [(room.number, str(room.pk), room.capacity) for room in event.rooms.order_by("number")]
    connections.close_all()
    return rooms


@dataclass
class Audit:
    rooms: list[dict] = field(default_factory=list)
    overbooked: list[str] = field(default_factory=list)
    waiting_in_free_rooms: list[str] = field(default_factory=list)
    waiting_lists_over: list[str] = field(default_factory=list)
    accepted: int = 0
    stored: int = 0
    lost: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    mails_queued: int = 0
    tasks_by_path: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not (
            self.overbooked
            or self.waiting_lists_over
            or self.lost
            or self.unexpected
            or self.duplicates
        )


def audit(*, slug: str, email_prefix: str, accepted: set[str]) -> Audit:
    from django.db import connections
    from django.db.models import Count
    from django.db.models.functions import Lower
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from events.models import Event
    from registrations.models import Registration

    now = timezone.now()
    event = Event.objects.get(slug=slug)
    result = Audit(accepted=len(accepted))
    registrations = Registration.objects.filter(event=event)

    for room in event.rooms.order_by("number"):
        in_room = registrations.filter(room=room)
        confirmed = in_room.filter(status="confirmed").count()
        pending = in_room.filter(status="pending", expires_at__gt=now).count()
        waiting = in_room.filter(status="waiting").count()
        held = confirmed + pending
        result.rooms.append(
            {
                "number": room.number,
                "capacity": room.capacity,
                "held": held,
                "waiting": waiting,
                "waiting_list_size": room.waiting_list_size,
            }
        )
        if held > room.capacity:
            result.overbooked.append(f"room {room.number}: {held} > {room.capacity}")
        if waiting > room.waiting_list_size:
            result.waiting_lists_over.append(
                f"room {room.number}: {waiting} waiting > {room.waiting_list_size}"
            )
        if waiting and held < room.capacity:
            result.waiting_in_free_rooms.append(
                f"room {room.number}: {waiting} waiting, {room.capacity - held} seats free"
            )

    ours = registrations.filter(email__startswith=email_prefix)
    result.statuses = Counter(ours.values_list("status", flat=True))
    active = ours.exclude(status="cancelled")
    stored = Counter(email.lower() for email in active.values_list("email", flat=True))
    result.stored = len(stored)
    result.duplicates = sorted(
        row["e"]
        for row in ours.annotate(e=Lower("email"))
        .values("e")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    result.lost = sorted(accepted - set(stored))
    result.unexpected = sorted(set(stored) - accepted)
    tasks = DBTaskResult.objects.all()
    result.tasks_by_path = Counter(tasks.values_list("task_path", flat=True))
    result.mails_queued = result.tasks_by_path[MAIL_TASK]
    connections.close_all()
    return result
