import secrets
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from events.models import Event, Question, QuestionChoice, Reminder, Room

TOKEN_BYTES = 24  # 192 bits, url-safe base64: 32 characters


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def validate_plain_text(value: str) -> None:
    """Names and the like: no control or format characters (Unicode Cc, Cf). They would let
    someone break lines in a mail's greeting or turn text around (U+202E) where it is shown."""
    if any(unicodedata.category(character) in {"Cc", "Cf"} for character in value):
        raise ValidationError(
            _("Please use only letters, digits, spaces and punctuation here."),
            code="control_characters",
        )


class RegistrationQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(status=Registration.Status.WAITING).order_by("waiting_since", "pk")

    def active(self):
        return self.exclude(status=Registration.Status.CANCELLED)


class Registration(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        WAITING = "waiting", _("waiting list")
        CANCELLED = "cancelled", _("cancelled")

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("event")
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("room")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    first_name = models.CharField(_("first name"), max_length=100, validators=[validate_plain_text])
    last_name = models.CharField(_("last name"), max_length=100, validators=[validate_plain_text])
    email = models.EmailField(_("e-mail address"), max_length=254)
    organisation = models.CharField(
        _("organisation"), max_length=200, blank=True, validators=[validate_plain_text]
    )
    job_role = models.CharField(
        _("role"), max_length=200, blank=True, validators=[validate_plain_text]
    )
    language = models.CharField(_("language"), max_length=8, default="de")
    token = models.CharField(
        _("secret link token"), max_length=64, unique=True, default=new_token, editable=False
    )
    consent_at = models.DateTimeField(_("consent given at"))
    privacy_notice_version = models.PositiveIntegerField(_("privacy notice version"))
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed at"), null=True, blank=True)
    expires_at = models.DateTimeField(
        _("unconfirmed hold expires"), null=True, blank=True, db_index=True
    )
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    attended_at = models.DateTimeField(
        _("attended"),
        null=True,
        blank=True,
        help_text=_("First joined (link or organisers' mark)."),
    )
    calendar_sequence = models.PositiveIntegerField(
        _("calendar revision"),
        default=0,
        editable=False,
        help_text=_("Raised when the room changes or the registration is cancelled."),
    )
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "event",
                condition=~Q(status="cancelled"),
                name="registration_one_per_email_per_event",
                violation_error_message=_("This e-mail address is already registered."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "confirmed", "waiting", "cancelled"]),
                name="registration_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(expires_at__isnull=False),
                name="registration_pending_has_expiry",
            ),
            models.CheckConstraint(
                condition=~Q(status="waiting") | Q(waiting_since__isnull=False),
                name="registration_waiting_has_since",
            ),
        ]
        indexes = [
            models.Index(
                fields=["room", "status", "waiting_since"], name="registration_room_status"
            ),
            models.Index(fields=["event", "status"], name="registration_event_status"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("registrations:manage", kwargs={"token": self.token})

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Mailing(models.Model):
    """A message from the organisers to the attendees of an event or of one room."""

    class Audience(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmed attendees")
        HOLDING_SEAT = "holding_seat", _("confirmed and not yet confirmed attendees")
        WAITING = "waiting", _("people on the waiting list")
        ATTENDED = "attended", _("people who attended")
        NO_SHOW = "no_show", _("confirmed attendees who did not attend")

    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="mailings", verbose_name=_("event")
    )
    room = models.ForeignKey(
        Room,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mailings",
        verbose_name=_("room"),
        help_text=_("Empty: the attendees of all rooms."),
    )
    audience = models.CharField(
        _("send to"), max_length=20, choices=Audience.choices, default=Audience.CONFIRMED
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("text"),
        help_text=_(
            "Plain text; links (slides, recordings, a feedback form) can be pasted as they are. "
            "Each person gets their own mail; the link to their registration is added at the end."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    queued_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("message to attendees")
        verbose_name_plural = _("messages to attendees")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_sent(self) -> bool:
        return self.queued_at is not None


class MailingRecipient(models.Model):
    """One mail of a mailing: to whom it went, and when (or why not).

    No copy of the address is kept: it is the registration's, so deleting or anonymising the
    registration (DSGVO) removes it here too.
    """

    mailing = models.ForeignKey(
        Mailing, on_delete=models.CASCADE, related_name="recipients", verbose_name=_("message")
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="mailings_received",
        verbose_name=_("registration"),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["mailing", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailing", "registration"], name="mailing_recipient_once"
            ),
        ]

    def __str__(self) -> str:
        return str(self.registration)


class Attendance(models.Model):
    """Someone was there: in the plenary (no room) or in a break-out room, first seen when."""

    class Source(models.TextChoices):
        JOIN_LINK = "link", _("join link")
        ORGANISERS = "organisers", _("marked by the organisers")

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("registration"),
    )
    room = models.ForeignKey(
        Room,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attendances",
        verbose_name=_("room"),
        help_text=_("Empty: the plenary."),
    )
    joined_at = models.DateTimeField(_("first joined"))
    source = models.CharField(_("recorded by"), max_length=12, choices=Source.choices)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["registration", "joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "room"],
                condition=Q(room__isnull=False),
                name="attendance_once_per_room",
            ),
            models.UniqueConstraint(
                fields=["registration"],
                condition=Q(room__isnull=True),
                name="attendance_once_in_plenary",
            ),
        ]

    def __str__(self) -> str:
        return str(self.room) if self.room_id else str(_("Plenary"))


class ReminderDelivery(models.Model):
    """One reminder to one person for one due time: claimed once, then sent once.

    The unique constraint is the guarantee that nobody gets a reminder twice, also when two
    workers run the same reminder at once; a moved event has a new due time, so its reminders
    go out again.
    """

    reminder = models.ForeignKey(
        Reminder, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("reminder")
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="reminders_received",
        verbose_name=_("registration"),
    )
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(_("status then"), max_length=12, choices=Registration.Status.choices)
    claimed_at = models.DateTimeField(_("queued"))
    batch = models.UUIDField(_("batch"), editable=False)  # which run claimed it
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["reminder", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "registration", "due_at"], name="reminder_delivery_once"
            ),
        ]

    def __str__(self) -> str:
        return str(self.reminder)


class Answer(models.Model):
    """A person's answer to one of the event's questions (events.Question): text for a text
    question, `yes` for a yes/no question, the chosen options for a choice question.

    It is personal data of the registration: deleted with it (CASCADE) and when the
    registration is anonymised (registrations/purge.py).
    """

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("registration"),
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    text = models.TextField(_("text"), blank=True)
    yes = models.BooleanField(_("yes or no"), null=True, blank=True)
    choices = models.ManyToManyField(
        QuestionChoice, blank=True, related_name="answers", verbose_name=_("options chosen")
    )

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["registration", "question__order", "question_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "question"], name="answer_once_per_question"
            ),
            models.CheckConstraint(
                condition=Q(text="") | Q(yes__isnull=True), name="answer_text_or_yes_no"
            ),
        ]

    def __str__(self) -> str:
        return self.as_text()

    def as_text(self) -> str:
        """The answer as one line, in the active language ("Kommune, Land"; "ja"; the text).
        Uses `choices.all()`: prefetch them for lists."""
        if self.yes is not None:
            return str(_("yes") if self.yes else _("no"))
        if self.text:
            return self.text
        return ", ".join(choice.label for choice in self.choices.all())
