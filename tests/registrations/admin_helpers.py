"""Shared set-up for the admin tests: an organiser, other staff, registrations in bulk."""

import datetime as dt
import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from registrations.models import Registration
from registrations.permissions import ORGANISERS_GROUP

PASSWORD = "correct horse battery staple"


def make_organiser(username: str = "orga"):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=True, email=f"{username}@example.org"
    )
    user.groups.add(Group.objects.get(name=ORGANISERS_GROUP))
    return user


def make_staff_outside_group(username: str = "programme"):
    """Staff who may edit the programme and (directly) view registrations, but is no organiser."""
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="events"),
        *Permission.objects.filter(
            content_type__app_label="registrations", codename__startswith="view_"
        ),
    )
    return user


def bulk_registrations(room, count: int, *, status="confirmed", start: int = 0, **fields):
    """Create `count` registrations in one INSERT (factories would take minutes for 5,000)."""
    now = timezone.now()
    objects = []
    for i in range(start, start + count):
        extra = {}
        if status == Registration.Status.PENDING:
            extra["expires_at"] = now + dt.timedelta(hours=1)
        if status == Registration.Status.WAITING:
            extra["waiting_since"] = now + dt.timedelta(seconds=i)
        if status == Registration.Status.CANCELLED:
            extra["cancelled_at"] = now
        objects.append(
            Registration(
                event_id=room.event_id,
                room=room,
                status=status,
                first_name=f"Vorname{i}",
                last_name=f"Nachname{i}",
                email=f"bulk{i}@example.org",
                consent_at=now,
                privacy_notice_version=1,
                **{**extra, **fields},
            )
        )
    return Registration.objects.bulk_create(objects)


ROW = re.compile(r'<tr data-room="(?P<room>[^"]+)">(?P<cells>.*?)</tr>', re.S)
CELL = re.compile(r'data-col="(?P<col>[a-z]+)">(?P<value>\d+)<')


def occupancy_rows(html: str) -> dict[str, dict[str, int]]:
    """The numbers of the occupancy table(s): {room number or "total": {column: value}}."""
    rows = {}
    for match in ROW.finditer(html):
        rows[match["room"]] = {c["col"]: int(c["value"]) for c in CELL.finditer(match["cells"])}
    return rows
