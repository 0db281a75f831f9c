import datetime as dt
import re
import uuid
import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


# An origin as a Content Security Policy names it: scheme, host, optional port (nothing that could
# end the header's directive: no space, comma or semicolon).
_ORIGIN = re.compile(r"^https?://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:(?P<port>[0-9]{1,5}))?/?$")


def _origin(line: str) -> str:
    """`line` as an origin (lower case, no trailing slash), or "" if it is none."""
    origin = line.strip().lower()
    match = _ORIGIN.match(origin)
    if not match or int(match["port"] or 443) not in range(1, 65536):
        return ""
    return origin.rstrip("/")


def validate_embed_origins(value: str) -> None:
    """One https origin per line (https://www.example.org), no path; empty lines are fine."""
    errors = []
    for line in value.splitlines():
        origin = line.strip()
        if not origin:
            continue
        parts = urlsplit(origin)
        if parts.scheme.lower() != "https":
            message = _(
                "“%(value)s” does not start with https://: only secure websites may "
                "show the programme."
            )
        elif parts.path not in {"", "/"} or parts.query or parts.fragment:
            message = _(
                "“%(value)s” has a path: enter the website's address only, such as "
                "https://www.example.org."
            )
        elif not _origin(origin):
            message = _("“%(value)s” is not a website address such as https://www.example.org.")
        else:
            continue
        errors.append(ValidationError(message, code="embed_origin", params={"value": origin}))
    if errors:
        raise ValidationError(errors)


def embed_origin_list(value: str) -> list[str]:
    """The origins in `value` (Event.embed_origins) as the frame-ancestors directive names them.
    A line that is no origin is left out (the validator also insists on https; this list is
    what is safe to put in the header)."""
    origins = [_origin(line) for line in value.splitlines()]
    return list(dict.fromkeys(origin for origin in origins if origin))


def validate_https(value: str) -> None:
    """A meeting platform's address: encrypted (https) only, since it carries the meeting."""
    if value and urlsplit(value).scheme.lower() != "https":
        raise ValidationError(
            _("Please enter an address that starts with https:// (an encrypted connection)."),
            code="https",
        )


def default_hold_minutes() -> int:
    return settings.KOKI_HOLD_MINUTES


# Sent by ProgrammeQuerySet.update() with `event_ids`: the events whose programme it changed
# (events/cache.py replaces their cache generation, as it does for saves and deletes).
programme_changed = Signal()


class ProgrammeQuerySet(models.QuerySet):
    """The queryset of every model a public page or export shows: `update()` tells the cache."""

    event_path = "event_id"  # how a row reaches its event

    def update(self, **kwargs):
        event_ids = set(self.values_list(self.event_path, flat=True))
        moved_to = kwargs.get("event_id", kwargs.get("event"))  # rows moved to another event
        if moved_to is not None:
            event_ids.add(getattr(moved_to, "pk", moved_to))
        rows = super().update(**kwargs)
        programme_changed.send(sender=self.model, event_ids=event_ids)
        return rows

    update.alters_data = True


class EventQuerySet(ProgrammeQuerySet):
    event_path = "pk"

    def published(self):
        return self.filter(is_published=True)

    def upcoming(self):
        return self.filter(ends_at__gte=timezone.now())


class Event(models.Model):
    slug = models.SlugField(_("short name (URL)"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    subtitle = models.CharField(_("subtitle"), max_length=300, blank=True)
    description = models.TextField(
        _("description"), blank=True, help_text=_("Paragraphs are separated by a blank line.")
    )
    source_note = models.TextField(
        _("about this information"),
        blank=True,
        help_text=_(
            "Sources of the facts and what is illustrative; shown folded at the end of the event "
            "page and at the end of the PDF."
        ),
    )
    organiser = models.CharField(_("organiser"), max_length=200)
    organiser_url = models.URLField(_("organiser's website"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    timezone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Berlin", validators=[validate_timezone]
    )
    is_online = models.BooleanField(_("online event"), default=True)
    venue = models.CharField(
        _("venue"), max_length=300, blank=True, help_text=_("Only for events that are not online.")
    )
    plenary_join_url = models.URLField(
        _("plenary meeting address"),
        blank=True,
        validators=[validate_https],
        help_text=_(
            "The platform's address (https://…: BigBlueButton, Jitsi, Zoom, …). Private: confirmed "
            "attendees reach it through their personal join link, never on a public page. It can "
            "be changed at any time; the personal links stay the same."
        ),
    )
    join_opens_minutes = models.PositiveSmallIntegerField(
        _("join links open (minutes before)"),
        default=15,
        help_text=_(
            "Personal join links lead to the meeting this many minutes before the first item "
            "in the plenary or the room starts; before that they show a waiting page."
        ),
    )
    registration_opens_at = models.DateTimeField(
        _("registration opens"), null=True, blank=True, help_text=_("Empty: open now.")
    )
    registration_closes_at = models.DateTimeField(
        _("registration closes"), null=True, blank=True, help_text=_("Empty: at the event's start.")
    )
    double_opt_in = models.BooleanField(
        _("double opt-in"),
        default=True,
        help_text=_("Registrations hold their seat until the link in the e-mail is clicked."),
    )
    hold_minutes = models.PositiveIntegerField(
        _("minutes an unconfirmed registration holds its seat"), default=default_hold_minutes
    )
    privacy_notice = models.TextField(
        _("privacy notice"),
        blank=True,
        help_text=_("Empty: the site-wide default notice is shown."),
    )
    privacy_notice_version = models.PositiveIntegerField(
        _("privacy notice version"),
        default=1,
        help_text=_("Raise it when the notice changes; each consent records the version."),
    )
    is_published = models.BooleanField(_("published"), default=False)
    embed_origins = models.TextField(
        _("websites that may embed the programme"),
        blank=True,
        validators=[validate_embed_origins],
        help_text=_(
            "One address per line, such as https://www.example.org (https, no path). Only these "
            "websites may show the programme in a frame."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(registration_closes_at__isnull=True)
                | Q(registration_opens_at__isnull=True)
                | Q(registration_closes_at__gt=F("registration_opens_at")),
                name="event_registration_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("registrations:event", kwargs={"slug": self.slug})

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def clean(self) -> None:
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The event must end after it starts.")})
        if (
            self.registration_opens_at
            and self.registration_closes_at
            and self.registration_closes_at <= self.registration_opens_at
        ):
            raise ValidationError(
                {"registration_closes_at": _("Registration must close after it opens.")}
            )

    @property
    def registration_closes(self):
        return self.registration_closes_at or self.starts_at

    def registration_state(self, now=None) -> str:
        """One of "not_yet_open", "open", "closed", "over"."""
        now = now or timezone.now()
        if now >= self.ends_at:
            return "over"
        if self.registration_opens_at and now < self.registration_opens_at:
            return "not_yet_open"
        if now >= self.registration_closes:
            return "closed"
        return "open"

    def local_span(self) -> str:
        """The date and time span in the event's own zone, formatted for the active language."""
        start = timezone.localtime(self.starts_at, self.tzinfo)
        end = timezone.localtime(self.ends_at, self.tzinfo)
        if start.date() == end.date():
            return _("%(date)s, %(start)s–%(end)s") % {
                "date": date_format(start, "DATE_FORMAT"),
                "start": date_format(start, "TIME_FORMAT"),
                "end": date_format(end, "TIME_FORMAT"),
            }
        return f"{date_format(start, 'DATETIME_FORMAT')} – {date_format(end, 'DATETIME_FORMAT')}"


class SpeakerQuerySet(ProgrammeQuerySet):
    event_path = "agenda_items__event_id"


class Speaker(models.Model):
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=300, blank=True)
    affiliation = models.CharField(_("affiliation"), max_length=300, blank=True)
    bio = models.TextField(_("short biography"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="speakers/", blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = SpeakerQuerySet.as_manager()

    class Meta:
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("event")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=200)
    topic = models.TextField(_("topic"), blank=True)
    capacity = models.PositiveIntegerField(_("capacity"))
    waiting_list_size = models.PositiveIntegerField(
        _("waiting list size"), default=20, help_text=_("0: no waiting list for this room.")
    )
    join_url = models.URLField(
        _("meeting address"),
        blank=True,
        validators=[validate_https],
        help_text=_(
            "The platform's address of this room (https://…). Private: the room's confirmed "
            "attendees reach it through their personal join link."
        ),
    )
    moderators = models.CharField(_("moderators"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("break-out room")
        verbose_name_plural = _("break-out rooms")
        ordering = ["event", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "number"], name="room_unique_number_per_event"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=0), name="room_capacity_not_negative"),
        ]

    def __str__(self) -> str:
        return _("Room %(number)s: %(name)s") % {"number": self.number, "name": self.name}


class AgendaItem(models.Model):
    class Kind(models.TextChoices):
        WELCOME = "welcome", _("Welcome")
        IMPULSE = "impulse", _("Impulse")
        TALK = "talk", _("Talk")
        DEEP_DIVE = "deep_dive", _("Deep dive")
        WORKSHOP = "workshop", _("Workshop")
        NETWORKING = "networking", _("Networking")
        PANEL = "panel", _("Panel discussion")
        BREAK = "break", _("Break")
        OTHER = "other", _("Other")

    uid = models.UUIDField(_("calendar UID"), default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="agenda_items", verbose_name=_("event")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TALK)
    room = models.ForeignKey(
        Room,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agenda_items",
        verbose_name=_("room"),
        help_text=_("Empty: plenary, or for a deep dive: in all rooms at once."),
    )
    speakers = models.ManyToManyField(
        Speaker,
        through="AgendaItemSpeaker",
        related_name="agenda_items",
        blank=True,
        verbose_name=_("speakers"),
    )
    sequence = models.PositiveIntegerField(
        _("calendar sequence"),
        default=0,
        editable=False,
        help_text=_("Raised whenever the time or place changes, so calendars update."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["event", "starts_at", "room__number", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="agenda_item_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if not (self.starts_at and self.ends_at):
            return
        if self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("An agenda item must end after it starts.")})
        event = getattr(self, "event", None) if self.event_id else None
        if event and (self.starts_at < event.starts_at or self.ends_at > event.ends_at):
            raise ValidationError(
                _("An agenda item must lie inside the event's time (%(span)s).")
                % {"span": event.local_span()}
            )
        if self.room_id and event and self.room.event_id != event.pk:
            raise ValidationError({"room": _("This room belongs to another event.")})

    @property
    def is_all_rooms(self) -> bool:
        return self.kind == self.Kind.DEEP_DIVE and self.room_id is None


class AgendaItemSpeakerQuerySet(ProgrammeQuerySet):
    event_path = "agenda_item__event_id"


class AgendaItemSpeaker(models.Model):
    agenda_item = models.ForeignKey(
        AgendaItem, on_delete=models.CASCADE, related_name="speaker_links"
    )
    speaker = models.ForeignKey(
        Speaker, on_delete=models.CASCADE, related_name="agenda_links", verbose_name=_("speaker")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = AgendaItemSpeakerQuerySet.as_manager()

    class Meta:
        verbose_name = _("speaker of the item")
        verbose_name_plural = _("speakers of the item")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agenda_item", "speaker"], name="agenda_item_speaker_once"
            ),
        ]

    def __str__(self) -> str:
        return str(self.speaker)


class Reminder(models.Model):
    """When the attendees of an event are reminded: on a day before at a local time (the day
    before at 09:00), or a number of minutes before the start (60)."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("event")
    )
    days_before = models.PositiveSmallIntegerField(
        _("days before"),
        null=True,
        blank=True,
        help_text=_("With “at”: 1 is the day before the event."),
    )
    at_time = models.TimeField(
        _("at (local time)"), null=True, blank=True, help_text=_("In the event's time zone.")
    )
    minutes_before = models.PositiveIntegerField(
        _("or: minutes before the start"), null=True, blank=True
    )
    scheduled_for = models.DateTimeField(
        _("queued for"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The due time the worker has been given (moves with the event)."),
    )

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["event", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(days_before__isnull=False, at_time__isnull=False)
                    & Q(minutes_before__isnull=True)
                )
                | (
                    Q(days_before__isnull=True, at_time__isnull=True)
                    & Q(minutes_before__isnull=False)
                ),
                name="reminder_day_and_time_or_minutes",
                violation_error_message=_(
                    "Give either a number of days before and a time, or minutes before the start."
                ),
            ),
        ]

    DEFAULTS = ({"days_before": 1, "at_time": dt.time(9, 0)}, {"minutes_before": 60})

    def __str__(self) -> str:
        if self.minutes_before is not None:
            return _("%(minutes)s minutes before the start") % {"minutes": self.minutes_before}
        return _("%(days)s day(s) before at %(time)s") % {
            "days": self.days_before,
            "time": self.at_time.strftime("%H:%M") if self.at_time else "",
        }

    def clean(self) -> None:
        super().clean()
        by_day = self.days_before is not None or self.at_time is not None
        if by_day and self.minutes_before is not None:
            raise ValidationError(
                _("Give either a number of days before and a time, or minutes before the start.")
            )
        if by_day and (self.days_before is None or self.at_time is None):
            raise ValidationError(_("A reminder on a day before needs both the days and the time."))
        if not by_day and self.minutes_before is None:
            raise ValidationError(
                _("Give either a number of days before and a time, or minutes before the start.")
            )

    def due_at(self, event: Event | None = None) -> dt.datetime:
        """When this reminder goes out, for the event's current start."""
        event = event or self.event
        if self.minutes_before is not None:
            return event.starts_at - dt.timedelta(minutes=self.minutes_before)
        start_day = timezone.localtime(event.starts_at, event.tzinfo).date()
        day = start_day - dt.timedelta(days=self.days_before)
        return dt.datetime.combine(day, self.at_time, tzinfo=event.tzinfo)
