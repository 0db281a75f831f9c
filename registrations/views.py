import json

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView, View

from events import caching
from events.models import Room
from koki.ratelimit import post_email, ratelimit, ratelimit_allows
from registrations import selectors, services
from registrations.forms import (
    ChangeRoomForm,
    RegistrationForm,
    SendLinkForm,
    seats_placeholder,
    seats_text,
)
from registrations.models import Registration

# The address shown on the thank-you page travels in a signed, short-lived cookie rather than
# the session: a registration then writes no session row (the rush stays lean).
DONE_COOKIE = "koki_registered"
DONE_COOKIE_SECONDS = 600


class EventMixin:
    """Load the published event named in the URL (404 otherwise), from the cache when warm."""

    def dispatch(self, request, *args, **kwargs):
        self.event, self.generation = caching.published_event(slug=kwargs["slug"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["event"] = self.event
        return context


def room_fullness(rooms) -> dict[str, bool]:
    """Whether every room is full, and whether their waiting lists are full too."""
    return {
        "all_full": bool(rooms)
        and all(
            not room.seats_left and room.waiting_count >= room.waiting_list_size for room in rooms
        ),
        "rooms_full": bool(rooms) and all(not room.seats_left for room in rooms),
    }


@method_decorator(ratelimit("register"), name="dispatch")
class RegisterView(EventMixin, FormView):
    template_name = "registrations/register.html"
    form_class = RegistrationForm

    @cached_property
    def rooms(self) -> list[Room]:
        """The rooms with their occupancy, counted at most a quarter second before (no query
        most of the time): what the form shows and checks a choice against; the service then
        locks the chosen room and counts afresh."""
        return caching.room_occupancy(event=self.event, generation=self.generation)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "event": self.event,
            "language": get_language(),
            "rooms": self.rooms,
        }

    def get(self, request, *args, **kwargs):
        """The form; for most visitors a cached page with the seats left filled in.

        The page is cached under everything it shows except the seats left per room, which
        change with every registration: they are holes the cached page fills for each request
        (events/caching.py) from the rooms' occupancy, counted at most a quarter second before.
        """
        if not caching.whole_page_allowed(request):
            return super().get(request, *args, **kwargs)
        parts = ["register", self.event.pk, self.generation, self.event.registration_state()]
        parts += [*room_fullness(self.rooms).values(), get_language(), request.get_host()]
        key = caching.page_key(*parts)
        holes = {seats_placeholder(room.pk): escape(seats_text(room)) for room in self.rooms}

        def render():
            form = self.get_form()
            form.show_seat_placeholders()
            return self.render_to_response(self.get_context_data(form=form))

        return caching.serve_page(request=request, key=key, render=render, holes=holes)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["registration_state"] = self.event.registration_state()
        return context | room_fullness(self.rooms)

    def post(self, request, *args, **kwargs):
        if self.event.registration_state() != "open":
            return self.get(request, *args, **kwargs)
        form = self.get_form()
        if form.is_bot:
            # Refused quietly: the bot sees what a person would see.
            return redirect("registrations:done", slug=self.event.slug)
        return self.form_valid(form) if form.is_valid() else self.form_invalid(form)

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        try:
            form.save()
        except services.AlreadyRegistered as already:
            # Tell the browser nothing: the address receives its link again instead
            # (within the per-address limit, so nobody can flood someone's inbox).
            if ratelimit_allows("resend_address", email.lower()):
                services.registration_link_resend(registration=already.registration)
        except services.RegistrationError as error:
            field = "room" if error.code in {"full", "waitlist_full", "room"} else None
            form.add_error(field, error.message)
            return self.form_invalid(form)
        response = redirect("registrations:done", slug=self.event.slug)
        response.set_signed_cookie(
            DONE_COOKIE,
            email,
            salt=DONE_COOKIE,
            max_age=DONE_COOKIE_SECONDS,
            path=reverse("registrations:done", kwargs={"slug": self.event.slug}),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response


class RegisterDoneView(EventMixin, TemplateView):
    """Thank you: names the address the mail went to (from a short-lived signed cookie, which
    the page then deletes). The page is cached with the address as its hole."""

    template_name = "registrations/done.html"
    EMAIL_PLACEHOLDER = "\x00koki-email\x00"

    def get(self, request, *args, **kwargs):
        email = request.get_signed_cookie(
            DONE_COOKIE, default="", salt=DONE_COOKIE, max_age=DONE_COOKIE_SECONDS
        )
        if caching.whole_page_allowed(request):
            parts = ["done", self.event.pk, self.generation, bool(email), get_language()]
            response = caching.serve_page(
                request=request,
                key=caching.page_key(*parts, request.get_host()),
                render=lambda: self.render_to_response(
                    self.get_context_data(email=email and self.EMAIL_PLACEHOLDER)
                ),
                holes={self.EMAIL_PLACEHOLDER: escape(email)},
            )
        else:
            response = self.render_to_response(self.get_context_data(email=email))
        response.delete_cookie(DONE_COOKIE, path=request.path)
        return response


@method_decorator(ratelimit("resend"), name="dispatch")
@method_decorator(ratelimit("resend_address", key=post_email), name="dispatch")
class SendLinkView(EventMixin, FormView):
    template_name = "registrations/send_link.html"
    form_class = SendLinkForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "event": self.event}

    def form_valid(self, form):
        form.save()
        messages.success(
            self.request,
            _(
                "If this address is registered, we have sent its personal link to it. "
                "Please also check your spam folder."
            ),
        )
        return redirect("registrations:resend", slug=self.event.slug)


@method_decorator(never_cache, name="dispatch")
class RegistrationMixin:
    """Load the registration behind a secret link; an unknown token is a 404."""

    def dispatch(self, request, *args, **kwargs):
        self.registration = selectors.registration_get_by_token(token=kwargs["token"])
        return super().dispatch(request, *args, **kwargs)

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
        context["can_change"] = (
            registration.status != Registration.Status.CANCELLED
            and registration.event.registration_state() == "open"
        )
        return context

    def post(self, request, *args, **kwargs):
        if self.registration.status == Registration.Status.CANCELLED:
            return redirect(self.registration)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            registration = form.save()
        except services.RegistrationError as error:
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
