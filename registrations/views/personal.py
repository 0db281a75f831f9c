"""The pages behind a person's secret link, /r/<token>/…: their registration, confirming,
changing room, cancelling, deleting, their data and their calendar.

Every write goes through registrations.services, which decides from the row as it is under the
locks; a registration deleted in the meantime answers with the not-found page, never an error.
"""

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import FormView, TemplateView, View

from events import cache
from events.exports import ical
from events.exports.views import export_filename, export_language, export_response
from events.selectors import programme_for
from koki.languages import own_language_address
from registrations import joining, selectors, services
from registrations.forms import ChangeRoomForm
from registrations.models import Registration
from registrations.questions import answers_overview


@method_decorator(never_cache, name="dispatch")
class RegistrationMixin:
    """Load the registration behind a secret link; an unknown token is a 404, and so is a
    registration deleted while a write was waiting for its lock. GET and POST only."""

    http_method_names = ["get", "head", "post"]

    def dispatch(self, request, *args, **kwargs):
        self.registration = selectors.registration_get_by_token(token=kwargs["token"])
        address = own_language_address(request, self.registration.language)
        if address:
            return redirect(address)
        try:
            return super().dispatch(request, *args, **kwargs)
        except services.RegistrationGone as gone:
            raise Http404 from gone
        except services.RegistrationError as error:  # e.g. changed at this very moment
            messages.error(request, error.message)
            return redirect(self.registration)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["registration"] = self.registration
        context["event"] = self.registration.event
        return context


class ManageView(RegistrationMixin, FormView):
    """The attendee's own page: status, join links, change room."""

    template_name = "registrations/manage.html"
    form_class = ChangeRoomForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "registration": self.registration}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        registration = self.registration
        context["hold_expired"] = services.hold_expired(registration)
        context["waiting_position"] = selectors.waiting_position(registration=registration)
        context["answers"] = answers_overview(registration)  # the organisers' questions
        event = registration.event
        now = timezone.now()
        context["live"] = joining.is_live(event, now) and event.registration_state(now) != "open"
        confirmed = registration.status == Registration.Status.CONFIRMED
        context["can_change"] = registration.status != Registration.Status.CANCELLED and (
            event.registration_state(now) == "open" or (context["live"] and confirmed)
        )
        if confirmed:
            context["day"] = selectors.event_day(registration=registration, now=now)
        return context

    def post(self, request, *args, **kwargs):
        if self.registration.status == Registration.Status.CANCELLED:
            return redirect(self.registration)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            registration = form.save()
        except services.RegistrationGone:
            raise
        except services.RegistrationError as error:
            if error.code == "cancelled":
                messages.error(self.request, error.message)
                return redirect(self.registration)
            form.add_error("room", error.message)
            return self.form_invalid(form)
        if registration.status == Registration.Status.WAITING:
            messages.success(
                self.request,
                _("You are now on the waiting list of %(room)s.") % {"room": registration.room},
            )
        else:
            messages.success(
                self.request, _("Your room is now %(room)s.") % {"room": registration.room}
            )
        return redirect(self.registration)


class ConfirmView(RegistrationMixin, TemplateView):
    """The link in the e-mail. GET only shows a button: mail scanners follow links."""

    template_name = "registrations/confirm.html"

    def post(self, request, *args, **kwargs):
        try:
            registration = services.registration_confirm(registration=self.registration)
        except services.RegistrationError as error:
            messages.error(request, error.message)
            return redirect(self.registration)
        if registration.status == Registration.Status.CONFIRMED:
            messages.success(request, _("Thank you – your registration is confirmed."))
        elif services.hold_expired(registration):
            messages.warning(
                request,
                _(
                    "Your e-mail address is confirmed, but your seat was released after the "
                    "waiting time and the room is full now. You can join its waiting list or "
                    "choose another room below."
                ),
            )
        else:
            messages.success(request, _("Thank you – your e-mail address is confirmed."))
        return redirect(self.registration)


class CancelView(RegistrationMixin, TemplateView):
    template_name = "registrations/cancel.html"

    def post(self, request, *args, **kwargs):
        services.registration_cancel(registration=self.registration)
        messages.success(request, _("Your registration is cancelled."))
        return redirect(self.registration)


class DeleteView(RegistrationMixin, TemplateView):
    template_name = "registrations/delete.html"

    def post(self, request, *args, **kwargs):
        event = self.registration.event
        services.registration_delete(registration=self.registration)
        messages.success(request, _("Your registration and all your data are deleted."))
        return redirect(event)


class DataExportView(RegistrationMixin, View):
    def get(self, request, *args, **kwargs):
        data = selectors.registration_data_export(registration=self.registration)
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="koki-meine-daten-{stamp}.json"'
        return response


@require_safe
def personal_calendar(request, token: str):
    """The person's own programme: the plenary and their room, at their own join links."""
    confirmed = Registration.objects.filter(token=token, status=Registration.Status.CONFIRMED)
    event_id = confirmed.values_list("event_id", flat=True).first()
    if event_id is None:
        raise Http404
    # The generation first, then the data it keys (see events.cache.published_event).
    current = cache.generation(event_id)
    registration = selectors.registration_get_by_token(
        token=token, status=Registration.Status.CONFIRMED
    )
    event = registration.event
    language = export_language(request, default=registration.language)

    def render() -> bytes:
        with translation.override(language):
            return ical.personal_calendar(
                programme=programme_for(event=event),
                registration=registration,
                join_path=lambda room: joining.join_path(registration, room),
            )

    updated = registration.updated_at
    return export_response(
        request,
        public=cache.PublicEvent(event=event, generation=current),
        # A change of room raises the calendar revision (the SEQUENCE of every entry).
        parts=(
            "personal-ics",
            registration.pk,
            language,
            registration.room_id,
            registration.calendar_sequence,
            updated,
        ),
        render=render,
        content_type=ical.CONTENT_TYPE,
        filename=export_filename(event, gettext_lazy("my programme"), "ics", language),
        private=True,
        last_modified=int(updated.timestamp()),
    )
