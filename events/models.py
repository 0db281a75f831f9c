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

from events.theme import validate_accent_colour, validate_logo


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


# The conciliation body under § 16 BGG, the enforcement body for federal public bodies.
SCHLICHTUNGSSTELLE_URL = "https://www.schlichtungsstelle-bgg.de/"


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


class OrganiserQuerySet(models.QuerySet):
    def site_operator(self) -> "Organiser | None":
        """Whose legal notice, privacy notice and accessibility statement the site's own pages
        show: the organiser marked as the site's operator, else the organiser of the next
        published event, else the first one entered; None on a site without organisers."""
        marked = self.filter(is_site_operator=True).first()
        if marked is not None:
            return marked
        upcoming = Event.objects.published().upcoming().order_by("starts_at")
        next_event = upcoming.select_related("organiser").first()
        return next_event.organiser if next_event else self.order_by("pk").first()


class Organiser(models.Model):
    """Who holds an event: its legal notice (Impressum), privacy notice and accessibility
    statement, and the name and reply address of its mails."""

    class Conformance(models.TextChoices):
        FULL = "full", _("fully compliant")
        PARTIAL = "partial", _("partially compliant")
        NONE = "none", _("not compliant")

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(
        _("short name (URL)"),
        max_length=80,
        unique=True,
        help_text=_("Used in the addresses of the legal pages: /impressum/<short name>/."),
    )
    website = models.URLField(_("website"), blank=True)
    contact_email = models.EmailField(
        _("contact e-mail"),
        blank=True,
        help_text=_("Shown on the legal pages and in the footer; replies to koki's mails go here."),
    )
    phone = models.CharField(_("telephone"), max_length=60, blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    represented_by = models.CharField(
        _("represented by"),
        max_length=300,
        blank=True,
        help_text=_("Who represents the organisation (board, managing director, mayor)."),
    )
    register_entry = models.CharField(
        _("register entry"),
        max_length=300,
        blank=True,
        help_text=_("Register, court and number, e.g. Vereinsregister Amtsgericht Berlin, VR 1."),
    )
    vat_id = models.CharField(_("VAT identification number"), max_length=40, blank=True)
    content_responsible = models.CharField(
        _("responsible for the content"),
        max_length=300,
        blank=True,
        help_text=_("Name and address under § 18(2) MStV, if different from the above."),
    )
    imprint_extra = models.TextField(
        _("further legal notice"),
        blank=True,
        help_text=_("Supervisory authority, professional rules, … Paragraphs: a blank line."),
    )
    privacy_contact = models.TextField(
        _("data protection contact"),
        blank=True,
        help_text=_("The data protection officer, or whom to ask about personal data."),
    )
    privacy_notice = models.TextField(
        _("privacy notice"),
        blank=True,
        help_text=_("Empty: koki's default notice, filled in with the details above."),
    )
    privacy_notice_version = models.PositiveIntegerField(
        _("privacy notice version"),
        default=1,
        help_text=_(
            "Raise it when the notice changes; each registration records the version its "
            "consent was given to."
        ),
    )
    privacy_notice_date = models.DateField(_("privacy notice as of"), default=timezone.localdate)
    accessibility_status = models.CharField(
        _("conformance with BITV 2.0 / WCAG"),
        max_length=10,
        choices=Conformance.choices,
        default=Conformance.PARTIAL,
    )
    accessibility_limitations = models.TextField(
        _("known limitations"),
        blank=True,
        help_text=_("Empty: the limitations koki knows of. Paragraphs: a blank line."),
    )
    accessibility_date = models.DateField(
        _("accessibility statement as of"), default=timezone.localdate
    )
    accessibility_email = models.EmailField(
        _("accessibility feedback e-mail"), blank=True, help_text=_("Empty: the contact e-mail.")
    )
    accessibility_phone = models.CharField(
        _("accessibility feedback telephone"), max_length=60, blank=True
    )
    enforcement_body = models.TextField(
        _("enforcement body"),
        blank=True,
        help_text=_(
            "Empty: the conciliation body under § 16 BGG (federal bodies). Bodies of a Land "
            "name their Land's enforcement or conciliation body here."
        ),
    )
    enforcement_url = models.URLField(
        _("enforcement body's website"), blank=True, default=SCHLICHTUNGSSTELLE_URL
    )
    is_site_operator = models.BooleanField(
        _("operates this site"),
        default=False,
        help_text=_(
            "The site's own legal pages (/impressum/, …) show this organiser's details. "
            "Without one: the organiser of the next event."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = OrganiserQuerySet.as_manager()

    class Meta:
        verbose_name = _("organiser")
        verbose_name_plural = _("organisers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_site_operator"],
                condition=Q(is_site_operator=True),
                name="organiser_one_site_operator",
                violation_error_message=_("Only one organiser can operate this site."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def feedback_email(self) -> str:
        return self.accessibility_email or self.contact_email


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
    organiser = models.ForeignKey(
        Organiser,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("organiser"),
        help_text=_("Their legal notice, privacy notice and contact apply to the event."),
    )
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
    is_published = models.BooleanField(_("published"), default=False)
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="koki_events",
        limit_choices_to={"is_staff": True, "is_active": True},
        verbose_name=_("team"),
        help_text=_(
            "The staff accounts that run this event: only they (and superusers) see and change "
            "it, its registrations, lists and messages in the admin."
        ),
    )
    embed_origins = models.TextField(
        _("websites that may embed the programme"),
        blank=True,
        validators=[validate_embed_origins],
        help_text=_(
            "One address per line, such as https://www.example.org (https, no path). Only these "
            "websites may show the programme in a frame."
        ),
    )
    # The event's look on its pages (events/theme.py).
    logo = models.ImageField(
        _("logo"),
        upload_to="logos/",
        blank=True,
        validators=[validate_logo],
        help_text=_("PNG, JPEG or WebP, at most 1 MB; shown next to the organiser's name."),
    )
    accent_colour = models.CharField(
        _("accent colour"),
        max_length=7,
        blank=True,
        validators=[validate_accent_colour],
        help_text=_(
            "As # and six hexadecimal digits, such as #0b5394; used for buttons and links, so "
            "white text on it needs a contrast of 4.5:1. Empty: koki's blue."
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

    @property
    def is_one_day(self) -> bool:
        """Starts and ends on the same day in its own zone."""
        start = timezone.localtime(self.starts_at, self.tzinfo)
        return start.date() == timezone.localtime(self.ends_at, self.tzinfo).date()

    def local_span(self) -> str:
        """The date and time span in the event's own zone, formatted for the active language."""
        start = timezone.localtime(self.starts_at, self.tzinfo)
        end = timezone.localtime(self.ends_at, self.tzinfo)
        if self.is_one_day:
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
    moderators = models.CharField(
        _("moderators"),
        max_length=300,
        blank=True,
        help_text=_("Their names as the public programme shows them."),
    )
    moderator_accounts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="moderated_rooms",
        limit_choices_to={"is_staff": True, "is_active": True, "groups__name": "Moderators"},
        verbose_name=_("moderator accounts"),
        help_text=_(
            "Staff accounts of the “Moderators” group who see this room's list in the admin, "
            "mark attendance and write to its attendees (nothing else)."
        ),
    )
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


class Question(models.Model):
    """A question of the organisers on the registration form (besides the built-in fields).

    Its label and help text come in German and English (events/translation.py). Answers are
    registrations.Answer; they go with the registration (deleted and anonymised with it).
    """

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        YES_NO = "yes_no", _("Yes or no")

    CHOICE_KINDS = (Kind.SINGLE, Kind.MULTIPLE)

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="questions", verbose_name=_("event")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(
        _("hint"), max_length=500, blank=True, help_text=_("Shown below the question.")
    )
    required = models.BooleanField(_("required"), default=False)
    is_access_need = models.BooleanField(
        _("access need"),
        default=False,
        help_text=_(
            "The answers are about accessibility (captions, sign language, …): they are shown "
            "with the registration to whoever looks after the person's room."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("question on the registration form")
        verbose_name_plural = _("questions on the registration form")
        ordering = ["event", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["text", "single", "multiple", "yes_no"]),
                name="question_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def has_choices(self) -> bool:
        return self.kind in self.CHOICE_KINDS


class QuestionChoiceQuerySet(ProgrammeQuerySet):
    event_path = "question__event_id"


class QuestionChoice(models.Model):
    """One of the options of a single- or multiple-choice question."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    label = models.CharField(_("option"), max_length=200)

    objects = QuestionChoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["question", "order", "pk"]

    def __str__(self) -> str:
        return self.label
