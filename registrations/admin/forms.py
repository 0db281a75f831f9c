"""The admin's own forms: the intermediate pages of the actions and the message editor."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from events.models import Event, Room
from registrations.admin.common import is_id
from registrations.models import Mailing, Registration
from registrations.roster import event_occupancy


class RegistrationsField(forms.ModelMultipleChoiceField):
    """Selected registrations: an id the database cannot hold is an invalid value, not a 500."""

    def clean(self, value):
        # Django turns "abc" into a form error itself, but sends 20 digits to the database.
        for pk in value if isinstance(value, (list, tuple)) else ():
            if str(pk).isdigit() and not is_id(str(pk)):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super().clean(value)


class MoveForm(forms.Form):
    """The intermediate page of the action "move to another room"."""

    event = forms.ModelChoiceField(queryset=Event.objects.all(), widget=forms.HiddenInput)
    registrations = RegistrationsField(
        queryset=Registration.objects.none(), widget=forms.MultipleHiddenInput
    )
    room = forms.ModelChoiceField(
        label=_("New room"),
        queryset=Room.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registrations"].queryset = Registration.objects.filter(event=event).active()
        occupancy = {row.room.pk: row for row in event_occupancy(event=event).rooms}
        self.fields["room"].queryset = event.rooms.order_by("number")
        self.fields["room"].label_from_instance = lambda room: (
            ngettext(
                "%(room)s (%(free)d seat free)",
                "%(room)s (%(free)d seats free)",
                occupancy[room.pk].free,
            )
            % {"room": room, "free": occupancy[room.pk].free}
        )


class ConfirmForm(forms.Form):
    """The confirmation page of the action "cancel"."""

    registrations = RegistrationsField(
        queryset=Registration.objects.active(), widget=forms.MultipleHiddenInput
    )


class MailingForm(forms.ModelForm):
    class Meta:
        model = Mailing
        fields = ["event", "room", "audience", "subject", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "room" in self.fields:
            # The admin has narrowed the choices to the user's rooms: keep that, add the order.
            rooms = (
                self.fields["room"]
                .queryset.select_related("event")
                .order_by("event__starts_at", "number")
            )
            self.fields["room"].queryset = rooms
            self.fields["room"].empty_label = _("All rooms of the event")
            if len({room.event_id for room in rooms}) > 1:  # the event only where there is a choice
                self.fields["room"].label_from_instance = lambda room: (
                    f"{room.event.title} – {room}"
                )

    def clean(self):
        cleaned = super().clean()
        event, room = cleaned.get("event"), cleaned.get("room")
        if event and room and room.event_id != event.pk:
            self.add_error("room", _("This room belongs to another event."))
        return cleaned
