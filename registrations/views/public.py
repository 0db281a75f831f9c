"""The public pages of one event: its programme with the rooms' seats, the register form, the
thank-you page and "send my link again". Each is served whole from the cache where it can be
(events/pages.py) and declares there what it depends on."""

import functools
import json

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from events.calendar_links import calendar_links
from events.exports.views import export_sizes
from events.pages import CachedPageMixin, hole
from events.selectors import programme_for
from events.views import PublicEventMixin
from koki.ratelimit import client_network, post_email, ratelimit, ratelimit_allows
from registrations import occupancy, services
from registrations.forms import (
    RegistrationForm,
    SendLinkForm,
    seats_card,
    seats_label,
    seats_state,
)
from registrations.models import Registration
from registrations.occupancy import RoomSeats

# The address shown on the thank-you page travels in a signed, short-lived cookie rather than
# the session: a registration then writes no session row.
DONE_COOKIE = "koki_registered"
DONE_COOKIE_SECONDS = 600

# The field a refusal of the service is shown at (the others: above the form).
ERROR_FIELDS = {"full": "room", "waitlist_full": "room", "room": "room", "challenge": "answer"}


@functools.lru_cache(maxsize=64)
def seat_holes(seats: tuple[RoomSeats, ...], language: str, card: bool) -> tuple[tuple[str, str]]:
    """The seats' holes of a page (a room's card, or its choice on the form), in `language`:
    each room's state (its card's class), its seats and, on the form, "disabled" for a room that
    takes nobody. Kept per process: the same snapshot is shown to every visitor for up to a
    second, and the result follows from the arguments alone."""
    holes = []
    with translation.override(language):
        for room in seats:
            state = seats_state(room)
            holes.append((f"state_{room.room_id}", state))
            if card:
                holes.append((f"seats_{room.room_id}", seats_card(room)))
            else:
                holes.append((f"seats_{room.room_id}", escape(seats_label(room))))
                holes.append((f"disabled_{room.room_id}", "disabled" if state == "closed" else ""))
    return tuple(holes)


class SeatsMixin:
    """The rooms' seats as pages show them (occupancy.event_seats: a snapshot a second old, read
    from the cache with the event)."""

    event_cache_entries = (occupancy.SNAPSHOT,)

    @cached_property
    def snapshot(self) -> tuple[RoomSeats, ...]:
        return occupancy.event_seats(public=self.public)

    @cached_property
    def seats(self) -> dict[int, RoomSeats]:
        return {seats.room_id: seats for seats in self.snapshot}

    def fullness(self) -> tuple[bool, bool]:
        """(every room full, every room and its waiting list full)."""
        seats = self.seats.values()
        return (
            bool(seats) and all(room.is_full for room in seats),
            bool(seats) and all(room.state == "closed" for room in seats),
        )


class EventPageView(SeatsMixin, CachedPageMixin, PublicEventMixin, TemplateView):
    """The event: programme, rooms with their seats, speakers, downloads."""

    template_name = "events/event_detail.html"

    def page_holes(self) -> dict[str, str]:
        return dict(seat_holes(self.snapshot, get_language(), card=True))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event, holes = self.event, context.get("holes", False)

        def programme():
            loaded = programme_for(event=event)
            for room in loaded.rooms:
                seats = self.seats.get(room.pk)
                room.seats_html = hole(f"seats_{room.pk}") if holes else seats_card(seats)
                room.state = hole(f"state_{room.pk}") if holes else seats_state(seats)
            return loaded

        context["programme"] = SimpleLazyObject(programme)
        context["registration_state"] = event.registration_state()
        language = get_language()
        context["calendar_links"] = SimpleLazyObject(
            lambda: calendar_links(event=event, rooms=context["programme"].rooms, language=language)
        )
        context["export_sizes"] = SimpleLazyObject(
            lambda: export_sizes(event=event, language=language)
        )
        return context


@method_decorator(ratelimit("register"), name="dispatch")
class RegisterView(SeatsMixin, CachedPageMixin, PublicEventMixin, FormView):
    template_name = "registrations/register.html"
    http_method_names = ["get", "head", "post"]  # FormView would take PUT as a POST
    form_class = RegistrationForm

    def page_depends_on(self) -> tuple:
        return self.fullness()

    def page_holes(self) -> dict[str, str]:
        return dict(seat_holes(self.snapshot, get_language(), card=False))

    def get_initial(self):
        """`?room=<number>` (a room's "choose this room" on the event page) chooses it."""
        number = self.request.GET.get("room", "")
        if number.isdigit() and len(number) < 5:
            room = self.event.rooms.filter(number=int(number)).values_list("pk", flat=True)
            return {"room": room.first()}
        return {}

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "event": self.event,
            "language": get_language(),
            # Counted only when the form is shown: a valid submission counts under the lock.
            "seats": SimpleLazyObject(lambda: self.seats),
            "holes": self.render_with_holes,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["registration_state"] = self.event.registration_state()
        context["rooms_full"], context["all_full"] = self.fullness()
        return context

    def post(self, request, *args, **kwargs):
        if self.event.registration_state() != "open":
            return self.get(request, *args, **kwargs)
        form = self.get_form()
        if form.is_bot:
            # Refused quietly: the bot sees what a person would see.
            return redirect("registrations:done", slug=self.event.slug)
        return self.form_valid(form) if form.is_valid() else self.form_invalid(form)

    def form_valid(self, form):
        email, room = form.cleaned_data["email"], form.cleaned_data["room"]
        try:
            registration = form.save(network=client_network(self.request))
            waiting = registration.status == Registration.Status.WAITING
        except services.AlreadyRegistered as already:
            # The thank-you page then says what a new registration would have been given (a
            # seat, or the waiting list of a full room), so that the answer tells nothing.
            waiting = already.placed == Registration.Status.WAITING
            # Tell the browser nothing: it gets the answer a new registration gets (the service
            # decided every rule before it found the address), and the address receives its
            # link again (within the per-address limit, so nobody can flood someone's inbox).
            if ratelimit_allows("resend_address", post_email(self.request)):
                services.registration_link_resend(registration=already.registration)
        except services.RegistrationError as error:
            if error.code == "challenge":
                form.ask_challenge()
            form.add_error(ERROR_FIELDS.get(error.code), error.message)
            return self.form_invalid(form)
        response = redirect("registrations:done", slug=self.event.slug)
        response.set_signed_cookie(
            DONE_COOKIE,
            json.dumps({"email": email, "room": str(room), "waiting": waiting}),
            salt=DONE_COOKIE,
            max_age=DONE_COOKIE_SECONDS,
            path=reverse("registrations:done", kwargs={"slug": self.event.slug}),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response


class RegisterDoneView(CachedPageMixin, PublicEventMixin, TemplateView):
    """Check your inbox: names the address the mail went to and the room (from a short-lived
    signed cookie, which the page then deletes)."""

    template_name = "registrations/done.html"

    @cached_property
    def registered(self) -> dict:
        """{"email", "room", "waiting"} of the registration just sent, or {}."""
        value = self.request.get_signed_cookie(
            DONE_COOKIE, default="", salt=DONE_COOKIE, max_age=DONE_COOKIE_SECONDS
        )
        try:
            data = json.loads(value) if value else {}
        except ValueError:
            return {}
        if not isinstance(data, dict) or not isinstance(data.get("email"), str):
            return {}
        return {
            "email": data["email"],
            "room": str(data.get("room") or ""),
            "waiting": data.get("waiting") is True,
        }

    def page_depends_on(self) -> tuple:
        data = self.registered
        return (bool(data), bool(data.get("room")), data.get("waiting", False))

    def page_holes(self) -> dict[str, str]:
        return {name: escape(self.registered.get(name, "")) for name in ("email", "room")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data, holes = self.registered, context.get("holes")
        for name in ("email", "room"):
            context[name] = hole(name) if holes and data.get(name) else data.get(name, "")
        context["waiting"] = data.get("waiting", False)
        return context

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.delete_cookie(DONE_COOKIE, path=request.path)
        patch_cache_control(response, private=True, no_store=True)  # it shows the address
        return response


@method_decorator(ratelimit("resend"), name="dispatch")
@method_decorator(ratelimit("resend_address", key=post_email), name="dispatch")
class SendLinkView(PublicEventMixin, FormView):
    template_name = "registrations/send_link.html"
    http_method_names = ["get", "head", "post"]
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
