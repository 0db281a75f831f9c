"""Shared set-up for the admin tests: an organiser, other staff, registrations in bulk."""

import datetime as dt
import html
import re
from contextlib import contextmanager
from html.parser import HTMLParser

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import post_save
from django.utils import timezone

from events.models import Event
from registrations.models import Registration
from registrations.permissions import MODERATORS_GROUP, ORGANISERS_GROUP

PASSWORD = "correct horse battery staple"


def make_organiser(username: str = "orga"):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=True, email=f"{username}@example.org"
    )
    user.groups.add(Group.objects.get(name=ORGANISERS_GROUP))
    return user


def make_moderator(username: str = "moderation", *, rooms=()):
    """A staff member of the "Moderators" group who moderates `rooms`."""
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, is_staff=True, email=f"{username}@example.org"
    )
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    user.moderated_rooms.add(*rooms)
    return user


@contextmanager
def in_every_team(user):
    """`user` runs every event: those there already and those created inside the block."""

    def join(sender, instance, created, **kwargs):
        if created:
            instance.team.add(user)

    user.koki_events.add(*Event.objects.all())
    post_save.connect(join, sender=Event, weak=False, dispatch_uid="tests_in_every_team")
    try:
        yield user
    finally:
        post_save.disconnect(sender=Event, dispatch_uid="tests_in_every_team")


def make_staff_outside_group(username: str = "programme"):
    """Staff who may edit the programme and (directly) view registrations, but is no organiser;
    in the team of every event there is."""
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    user.koki_events.add(*Event.objects.all())
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


class _FormFields(HTMLParser):
    """The values a browser would submit for the form with the given id (no JavaScript)."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.data.append((name, attrs.get("value", "on")))
            elif kind not in {"submit", "button", "file"}:
                self.data.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.append((self._select, attrs.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data.append((self._textarea, html.unescape(self._text).lstrip("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text += data


def form_data(page: str, form_id: str) -> dict[str, list[str]]:
    """The form's current values, as a dict of lists for the test client's post()."""
    parser = _FormFields(form_id)
    parser.feed(page)
    result: dict[str, list[str]] = {}
    for name, value in parser.data:
        result.setdefault(name, []).append(value)
    return result
