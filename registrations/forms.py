from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout, LayoutObject
from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from events.models import Event, Room
from events.pages import hole
from registrations import hoarding, joining, occupancy, questions, services
from registrations.models import Registration, validate_plain_text
from registrations.occupancy import RoomSeats


def normalise_email(value: str) -> str:
    local, _at, domain = value.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if local else value.strip()


TOO_LONG = _("Please enter at most %(limit_value)d characters (you entered %(show_value)d).")


def seats_label(seats: RoomSeats | None) -> str:
    """What a room offers, as text: seats left, a waiting list, or nothing."""
    if seats is None:
        return ""
    if seats.state == "free":
        return ngettext("%(count)s seat left", "%(count)s seats left", seats.free) % {
            "count": seats.free
        }
    if seats.state == "waitlist":
        return ngettext(
            "Full – waiting list: %(count)s person waiting",
            "Full – waiting list: %(count)s people waiting",
            seats.waiting,
        ) % {"count": seats.waiting}
    return str(_("Full – waiting list full"))


def seats_card(seats: RoomSeats | None) -> str:
    """What a room offers, for its card on the event page (HTML)."""
    if seats is None or seats.state == "free":
        return escape(seats_label(seats))
    if seats.state == "waitlist":
        return format_html("<strong>{}</strong>", _("Full – waiting list open"))
    return format_html("<strong>{}</strong>", _("Full – waiting list full"))


def seats_state(seats: RoomSeats | None) -> str:
    """The room's state as its card's class names it: free, waitlist or closed."""
    return seats.state if seats else "free"


class RoomChoiceField(forms.ModelChoiceField):
    """A room for each choice, shown as a card (RoomPicker) with its topic, moderation and seats.

    `seats` (room pk: RoomSeats) are the seats to show; with `holes` the cards carry hole
    markers instead (a cached page fills them in, events/pages.py).
    """

    seats: dict[int, RoomSeats] = {}
    holes = False

    def label_from_instance(self, room: Room) -> str:
        return str(room)

    def state(self, room: Room) -> dict[str, str]:
        """The parts of a room's card that change with its seats: its state (free, waitlist,
        closed), the seats as text, and "disabled" for a room that takes nobody."""
        if self.holes:
            return {
                "state": hole(f"state_{room.pk}"),
                "seats": hole(f"seats_{room.pk}"),
                "disabled": hole(f"disabled_{room.pk}"),
            }
        seats = self.seats.get(room.pk)
        state = seats_state(seats)
        return {
            "state": state,
            "seats": seats_label(seats),
            "disabled": "disabled" if state == "closed" else "",
        }


class RoomPicker(LayoutObject):
    """The rooms as radio cards in one fieldset, with the waiting-list choice (if the form has
    one) beside them: shown for a full room that still has a waiting list
    (templates/registrations/includes/room_picker.html)."""

    template = "registrations/includes/room_picker.html"

    def __init__(self, field: str, waitlist: str | None = None):
        self.field, self.waitlist = field, waitlist
        self.fields = [name for name in (field, waitlist) if name]

    def render(self, form, context, template_pack=None, **kwargs):
        bound = form[self.field]
        options = []
        for choice in bound:
            room = choice.data["value"].instance
            options.append({"choice": choice, "room": room, **bound.field.state(room)})
        waitlist = form[self.waitlist] if self.waitlist and self.waitlist in form.fields else None
        return render_to_string(
            self.template, {"field": bound, "options": options, "waitlist": waitlist}
        )


def room_field(label) -> RoomChoiceField:
    return RoomChoiceField(
        label=label,
        queryset=Room.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Please choose a break-out room."),
            "invalid_choice": _("Please choose one of the rooms listed."),
        },
    )


def email_field(**kwargs) -> forms.EmailField:
    return forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        error_messages={
            "required": _("Please enter your e-mail address."),
            "invalid": _("Please enter a valid e-mail address, such as name@example.org."),
            "max_length": TOO_LONG,
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        **kwargs,
    )


class RegistrationForm(forms.Form):
    first_name = forms.CharField(
        validators=[validate_plain_text],
        label=_("First name"),
        max_length=100,
        error_messages={"required": _("Please enter your first name."), "max_length": TOO_LONG},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        validators=[validate_plain_text],
        label=_("Last name"),
        max_length=100,
        error_messages={"required": _("Please enter your last name."), "max_length": TOO_LONG},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = email_field(
        help_text=_("We send the confirmation and your personal link to this address.")
    )
    organisation = forms.CharField(
        validators=[validate_plain_text],
        label=_("Organisation (optional)"),
        max_length=200,
        required=False,
        error_messages={"max_length": TOO_LONG},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    job_role = forms.CharField(
        validators=[validate_plain_text],
        label=_("Role (optional)"),
        max_length=200,
        required=False,
        error_messages={"max_length": TOO_LONG},
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    room = room_field(_("Break-out room for the deep dives"))
    join_waitlist = forms.BooleanField(
        label=_("Put me on this room's waiting list: when a seat becomes free, I move up."),
        required=False,
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("Please agree to the privacy notice to register.")},
    )
    # A honeypot: hidden from people (and screen readers), filled in by bots.
    homepage = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    # The challenge, shown only when the client's network holds several unconfirmed seats
    # (registrations/hoarding.py): a signed token, the browser's proof of work for it, or the
    # answer to its question.
    challenge = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    proof = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)
    answer = forms.CharField(
        required=False,
        max_length=10,
        help_text=_("Please answer in digits."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(
        self,
        *,
        event: Event,
        language: str,
        seats: dict[int, RoomSeats],
        holes: bool = False,
        **kwargs,
    ):
        """`seats`: the rooms' seats to show (the service counts afresh under the room's lock);
        `holes`: show hole markers instead (a cached page)."""
        super().__init__(**kwargs)
        self.event = event
        self.language = language
        self.fields["room"].queryset = event.rooms.order_by("number")
        self.fields["room"].seats = seats
        self.fields["room"].holes = holes
        self.questions = questions.question_fields(event, language)  # the organisers' questions
        self.fields.update(self.questions)  # in the layout: registrations/includes/questions.html
        self.asked: hoarding.Challenge | None = None  # the challenge the form shows, if any
        if self.is_bound and self.data.get("challenge"):
            self.asked = hoarding.challenge_read(self.data["challenge"], event=event)
            if self.asked is None:  # too old (or not ours): a new one
                self.ask_challenge()
            else:
                self._label_question()
        privacy_url = reverse("events:privacy", kwargs={"slug": event.slug})
        # The translated sentence is trusted text; only the URL is inserted.
        self.fields["consent"].label = mark_safe(  # noqa: S308
            _(
                'I have read the <a href="%(url)s">privacy notice</a> and agree that my data '
                "are processed for this registration."
            )
            % {"url": escape(privacy_url)}
        )

    @cached_property
    def helper(self) -> FormHelper:
        """crispy's layout, built only when the form is shown."""
        helper = FormHelper()
        helper.form_tag = False
        helper.layout = Layout(
            Fieldset(
                _("About you"),
                Div(
                    Field("first_name", wrapper_class="field-name"),
                    Field("last_name", wrapper_class="field-name"),
                    css_class="field-pair",
                ),
                Field("email", wrapper_class="field-email"),
                Field("organisation", wrapper_class="field-wide"),
                Field("job_role", wrapper_class="field-wide"),
            ),
            RoomPicker("room", "join_waitlist"),
            HTML('{% include "registrations/includes/questions.html" %}'),
            Fieldset(_("Privacy"), "consent"),
        )
        if self.asked:
            # static/js/challenge.js works the proof out and hides the question.
            helper.layout.append(
                Fieldset(
                    _("One more check"),
                    "answer",
                    "challenge",
                    "proof",
                    css_class="koki-challenge",
                    data_pow=self.asked.token,
                    data_pow_bits=str(hoarding.POW_BITS),
                    data_pow_working=_("Your browser is doing the check for you …"),
                    data_pow_done=_("Check done: you can send the form now."),
                )
            )
        helper.layout.append(Div("homepage", css_class="koki-hp", aria_hidden="true"))
        return helper

    def ask_challenge(self) -> None:
        """Show a new challenge (the service asked for one, or the last one is too old)."""
        self.asked = hoarding.challenge_new(event=self.event)
        self.data = self.data.copy()
        for name, value in {"challenge": self.asked.token, "proof": "", "answer": ""}.items():
            self.data[name] = value
        self._label_question()

    def _label_question(self) -> None:
        if self.asked:
            label = _("What is %(a)s plus %(b)s?") % {"a": self.asked.a, "b": self.asked.b}
            self.fields["answer"].label = self["answer"].label = label

    def _challenge_passed(self) -> bool:
        """Whether the challenge on the form was solved; once only (this uses it up)."""
        if not self.asked:
            return False
        data = self.cleaned_data
        solved = hoarding.challenge_solved(
            self.asked, proof=data.get("proof", ""), answer=data.get("answer", "")
        )
        return solved and hoarding.challenge_spend(self.asked)

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("homepage"))

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    def clean(self):
        data = super().clean()
        answer, proof = data.get("answer", ""), data.get("proof", "")
        if (
            self.asked
            and answer
            and not hoarding.challenge_solved(self.asked, proof=proof, answer=answer)
        ):
            self.add_error("answer", _("That is not the right answer. Please try again."))
        return data

    def save(self, *, network: str = "") -> Registration:
        """Register; `network`: the client's network, whose unconfirmed holds are limited."""
        data = self.cleaned_data
        return services.registration_create(
            event=self.event,
            room=data["room"],
            first_name=data["first_name"].strip(),
            last_name=data["last_name"].strip(),
            email=data["email"],
            organisation=data["organisation"].strip(),
            job_role=data["job_role"].strip(),
            language=self.language,
            consent=data["consent"],
            join_waitlist=data["join_waitlist"],
            network=network,
            challenge_passed=self._challenge_passed(),
            answers=questions.answers_from(self.questions, data),
        )


class ChangeRoomForm(forms.Form):
    room = room_field(_("New break-out room"))
    join_waitlist = forms.BooleanField(
        label=_("Put me on this room's waiting list (I give up my current seat)."),
        required=False,
    )

    def __init__(self, *, registration: Registration, **kwargs):
        kwargs["initial"] = {"room": registration.room_id, **(kwargs.get("initial") or {})}
        super().__init__(**kwargs)
        self.registration = registration
        rooms = occupancy.rooms_with_seats(event=registration.event)
        self.fields["room"].queryset = registration.event.rooms.order_by("number")
        self.fields["room"].seats = {room.pk: room.seats for room in rooms}
        event = registration.event
        if event.registration_state() != "open" and joining.is_live(event):
            # During the event: a free seat or nothing, no waiting list; full rooms are not
            # offered (the choice is decided again under the lock).
            del self.fields["join_waitlist"]
            offered = [r.pk for r in rooms if not r.seats.is_full or r.pk == registration.room_id]
            self.fields["room"].queryset = self.fields["room"].queryset.filter(pk__in=offered)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's form tag carries the token
        self.helper.layout = Layout(RoomPicker("room", "join_waitlist"))

    def save(self) -> Registration:
        return services.registration_change_room(
            registration=self.registration,
            room=self.cleaned_data["room"],
            join_waitlist=self.cleaned_data.get("join_waitlist", False),
        )


class SendLinkForm(forms.Form):
    email = email_field()

    def __init__(self, *, event: Event, **kwargs):
        super().__init__(**kwargs)
        self.event = event
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Field("email", wrapper_class="field-email"))

    def save(self) -> None:
        services.registration_send_link(
            event=self.event, email=normalise_email(self.cleaned_data["email"])
        )
