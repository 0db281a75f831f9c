"""The registrations in the admin: list, filters, actions, attendance, occupancy, attendee lists.

Every change to a registration goes through registrations.services (never by editing the
status field) and is written to the admin log. Only members of the "Organisers" group (and
superusers) see any of it: other staff see no personal data.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation, IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from events.models import Event, Room
from registrations import exports, services
from registrations.admin.answers import AnswersAdminMixin
from registrations.admin.certificates import download_certificates
from registrations.admin.common import (
    OrganisersOnlyMixin,
    is_id,
    listed_events,
    log_changes,
    promote_waiting_list,
)
from registrations.admin.forms import ConfirmForm, MoveForm
from registrations.attendance import attendance_mark
from registrations.models import Attendance, Registration
from registrations.permissions import (
    events_for,
    events_in_reach,
    is_moderator,
    is_organiser,
    rooms_for,
)
from registrations.roster import (
    attendee_list,
    place_label,
    with_attendances,
    with_waitlist_position,
)

BOTH = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


class RoomListFilter(admin.SimpleListFilter):
    """Rooms of the chosen event (or of all events, labelled with the event)."""

    title = _("room")
    parameter_name = "room"

    def lookups(self, request, model_admin):
        rooms = rooms_for(request.user).select_related("event")
        rooms = rooms.order_by("event__starts_at", "number")
        event_id = request.GET.get("event__id__exact")
        if is_id(event_id):
            rooms = rooms.filter(event_id=event_id)
        rooms = list(rooms)
        if len({room.event_id for room in rooms}) <= 1:
            return [(str(room.pk), str(room)) for room in rooms]
        return [(str(room.pk), f"{room.event.title} – {room}") for room in rooms]

    def queryset(self, request, queryset):
        if is_id(self.value()):
            return queryset.filter(room_id=self.value())
        return queryset


class StatusListFilter(admin.SimpleListFilter):
    """The status, each written as the list writes it ("Confirmed", "Waiting list")."""

    title = _("status")
    parameter_name = "status__exact"

    def lookups(self, request, model_admin):
        return [(value, capfirst(label)) for value, label in Registration.Status.choices]

    def queryset(self, request, queryset):
        if self.value() in Registration.Status.values:
            return queryset.filter(status=self.value())
        return queryset


class AttendedListFilter(admin.SimpleListFilter):
    title = _("attended")
    parameter_name = "attended"

    def lookups(self, request, model_admin):
        return [("yes", _("yes")), ("no", _("no"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(attended_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(attended_at__isnull=True)
        return queryset


class RegistrationChangeList(ChangeList):
    def get_results(self, request):
        """The page's registrations with their attendance: one query for the whole page (the
        actions' querysets stay without it)."""
        super().get_results(request)
        self.result_list = with_attendances(self.result_list)


STATE_FIELDS = ["event", "room", "status_label", "waitlist_place", "attended_at", "attendance"]
HISTORY_FIELDS = [
    "consent_at",
    "privacy_notice_version",
    "email_confirmed_at",
    "expires_at",
    "waiting_since",
    "cancelled_at",
    "anonymised_at",
    "created_at",
    "updated_at",
]


@admin.register(Registration)
class RegistrationAdmin(AnswersAdminMixin, OrganisersOnlyMixin, admin.ModelAdmin):
    room_lookup = "room"  # moderators see their rooms' registrations, read only
    moderator_permissions = frozenset({"view"})
    moderator_actions = ("mark_attended", "unmark_attended")
    moderator_hidden_fields = ("email",)
    list_display = [
        "name",
        "organisation",
        "room_number",
        "status_label",
        "waitlist_place",
        "registered",
        "attended",
    ]
    list_filter = ["event", RoomListFilter, StatusListFilter, AttendedListFilter]
    list_select_related = ["room", "event"]
    search_fields = ["first_name", "last_name", "email", "organisation"]
    list_per_page = 100
    actions = [
        "move_to_room",
        "cancel_registrations",
        "promote_from_waiting_list",
        "resend_confirmation",
        "mark_attended",
        "unmark_attended",
        download_certificates,
    ]
    fieldsets = [
        (None, {"fields": STATE_FIELDS}),
        (_("Person"), {"fields": services.PERSON_FIELDS}),
        (_("History"), {"fields": HISTORY_FIELDS}),
    ]
    # Only the person's own details are edited here; state changes go through the actions.
    readonly_fields = [*STATE_FIELDS, *HISTORY_FIELDS]

    def get_queryset(self, request):
        return with_waitlist_position(super().get_queryset(request))

    def get_list_display(self, request):
        """Attendance only once the listed event (or, unfiltered, any event) has begun."""
        shown = super().get_list_display(request)
        if listed_events(request)["begun"]:
            return shown
        return [name for name in shown if name != "attended"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "language":
            # The language the person's e-mails are written in, by name instead of "de".
            return forms.ChoiceField(
                label=db_field.verbose_name,
                choices=[(code, gettext(name)) for code, name in settings.LANGUAGES],
                help_text=_("The language of this person's e-mails."),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_changelist(self, request, **kwargs):
        return RegistrationChangeList

    # Registrations come in through the public form and its rules (consent, capacity).
    def has_add_permission(self, request):
        return False

    @admin.display(description=_("name"), ordering="last_name")
    def name(self, obj):
        return f"{obj.last_name}, {obj.first_name}"

    def changelist_view(self, request, extra_context=None):
        # The list gets the whole width (no menu on the left): its columns fit a 1280 px screen
        # beside the filters; the header and breadcrumbs lead elsewhere.
        extra_context = {**(extra_context or {}), "is_nav_sidebar_enabled": False}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("room"), ordering="room__number")
    def room_number(self, obj):
        return str(obj.room)

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj):
        return capfirst(obj.get_status_display())

    @admin.display(description=_("place on the waiting list"), ordering="waitlist_position")
    def waitlist_place(self, obj):
        """1, 2, … for people waiting; for everyone else a dash (never "None")."""
        position = getattr(obj, "waitlist_position", None)
        return self.get_empty_value_display() if position is None else position

    @admin.display(description=_("registered at"), ordering="created_at")
    def registered(self, obj):
        """Date and, below it, the time ("16.03.2027", "09:41"), in the event's zone."""
        local = timezone.localtime(obj.created_at, obj.event.tzinfo)
        return format_html(
            '<time datetime="{}">{}<br>{}</time>',
            local.isoformat(timespec="minutes"),
            date_format(local, "SHORT_DATE_FORMAT"),
            date_format(local, "TIME_FORMAT"),
        )

    @admin.display(description=_("attended"), ordering="attended_at")
    def attended(self, obj):
        """The places the person joined, first joined first ("Plenum, Raum 3"); "no" once the
        event has begun without them, nothing before it."""
        places = [place_label(attendance) for attendance in obj.attendances.all()]
        if places:
            return ", ".join(places)
        if obj.event.starts_at > timezone.now():
            return ""
        return gettext("no")

    @admin.display(description=_("attendance"))
    def attendance(self, obj):
        """Where and when the person joined (their join links, the organisers' marks): a table,
        read only. It changes through the join links and the actions "Mark as attended" and
        "Remove the attendance mark", never by hand."""
        attendances = obj.attendances.select_related("room").order_by("joined_at", "pk")
        rows = [
            {
                "place": str(attendance),
                "joined_at": date_format(
                    timezone.localtime(attendance.joined_at, obj.event.tzinfo),
                    "SHORT_DATETIME_FORMAT",
                ),
                "source": attendance.get_source_display(),
            }
            for attendance in attendances
        ]
        if not rows:
            return self.get_empty_value_display()
        return render_to_string(
            "admin/registrations/registration/attendance.html",
            {"rows": rows, "fields": {f.name: f.verbose_name for f in Attendance._meta.fields}},
        )

    def save_model(self, request, obj, form, change):
        # The person's details only: the form's copy of the state may be stale by now.
        services.registration_update_details(registration=obj)

    # -- deletion goes through the service, so the seat moves on to the waiting list ----------

    def delete_model(self, request, obj):
        services.registration_delete(registration=obj)

    def delete_queryset(self, request, queryset):
        for registration in queryset.select_related("room"):
            services.registration_delete(registration=registration)

    # -- actions --------------------------------------------------------------------------------

    def _one_event(self, request, queryset):
        events = set(queryset.order_by().values_list("event_id", flat=True).distinct())
        if len(events) != 1:
            self.message_user(
                request,
                gettext("Please choose registrations of one event only."),
                messages.ERROR,
            )
            return None
        return Event.objects.get(pk=events.pop())

    @admin.action(description=_("Move to another room …"), permissions=["change"], location=BOTH)
    def move_to_room(self, request, queryset):
        event = self._one_event(request, queryset)
        if event is None:
            return None
        selected = list(queryset.active().select_related("room").order_by("last_name"))
        form = MoveForm(
            event=event,
            initial={"event": event, "registrations": [r.pk for r in selected]},
        )
        return self._render_move(request, event, selected, form)

    def _render_move(self, request, event, selected, form):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Move to another room"),
            "event": event,
            "selected": selected,
            "form": form,
        }
        return TemplateResponse(request, "admin/registrations/registration/move.html", context)

    def move_view(self, request):
        # The event comes back in a hidden input: anything but an id is "not found", not a 500.
        event_id = request.POST.get("event", "")
        if not is_id(event_id):
            raise Http404
        event = get_object_or_404(events_for(request.user), pk=event_id)
        form = MoveForm(request.POST, event=event)
        if not form.is_valid():
            selected = Registration.objects.filter(
                event=event,
                pk__in=[v for v in request.POST.getlist("registrations") if is_id(v)],
            ).select_related("room")
            return self._render_move(request, event, list(selected), form)
        room = form.cleaned_data["room"]
        outcome = services.registrations_move(
            registrations=form.cleaned_data["registrations"].select_related("room", "event"),
            room=room,
        )
        for registration, old_room in outcome.moved:
            self.log_change(
                request,
                registration,
                gettext("Moved from %(old)s to %(new)s.") % {"old": old_room, "new": room},
            )
        if outcome.moved:
            self.message_user(
                request,
                ngettext(
                    "%(count)d person moved to %(room)s.",
                    "%(count)d people moved to %(room)s.",
                    len(outcome.moved),
                )
                % {"count": len(outcome.moved), "room": room},
                messages.SUCCESS,
            )
        if outcome.unchanged:
            self.message_user(
                request,
                ngettext(
                    "%(count)d person is in %(room)s already.",
                    "%(count)d people are in %(room)s already.",
                    len(outcome.unchanged),
                )
                % {"count": len(outcome.unchanged), "room": room},
                messages.INFO,
            )
        if outcome.refused:
            people = "; ".join(
                f"{registration.full_name} ({reason})" for registration, reason in outcome.refused
            )
            self.message_user(
                request, gettext("Not moved: %(people)s.") % {"people": people}, messages.WARNING
            )
        return HttpResponseRedirect(self._changelist_url(event))

    def _changelist_url(self, event=None):
        url = reverse("admin:registrations_registration_changelist")
        return f"{url}?event__id__exact={event.pk}" if event else url

    @admin.action(description=_("Cancel …"), permissions=["change"], location=BOTH)
    def cancel_registrations(self, request, queryset):
        selected = list(queryset.active().select_related("room").order_by("last_name"))
        if not selected:
            self.message_user(request, gettext("These registrations are cancelled already."))
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Cancel registrations"),
            "selected": selected,
            "form": ConfirmForm(initial={"registrations": [r.pk for r in selected]}),
        }
        return TemplateResponse(request, "admin/registrations/registration/cancel.html", context)

    def cancel_view(self, request):
        form = ConfirmForm(request.POST)
        form.fields["registrations"].queryset = self.scoped(request, Registration.objects.active())
        if not form.is_valid():
            self.message_user(request, gettext("Nothing was cancelled."), messages.WARNING)
            return HttpResponseRedirect(self._changelist_url())
        cancelled = []
        for registration in form.cleaned_data["registrations"].select_related("room", "event"):
            services.registration_cancel(registration=registration)
            cancelled.append(registration)
        log_changes(request, cancelled, gettext("Cancelled by the organisers."))
        self.message_user(
            request,
            ngettext(
                "%(count)d registration cancelled.",
                "%(count)d registrations cancelled.",
                len(cancelled),
            )
            % {"count": len(cancelled)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._changelist_url())

    @admin.action(
        description=_("Fill free seats from the waiting list (rooms of the selected)"),
        permissions=["change"],
        location=BOTH,
    )
    def promote_from_waiting_list(self, request, queryset):
        rooms = Room.objects.filter(pk__in=queryset.values("room_id")).order_by("number")
        promoted = promote_waiting_list(
            request, rooms, gettext("Moved up from the waiting list by the organisers.")
        )
        if not promoted:
            self.message_user(
                request,
                gettext("Nobody moved up: these rooms have no free seat or nobody is waiting."),
                messages.INFO,
            )

    @admin.action(
        description=_("Send the confirmation e-mail again"), permissions=["change"], location=BOTH
    )
    def resend_confirmation(self, request, queryset):
        selected = list(queryset.active().select_related("room", "event"))
        for registration in selected:
            services.registration_resend_confirmation(registration=registration)
        log_changes(request, selected, gettext("Confirmation e-mail sent again."))
        self.message_user(
            request,
            ngettext(
                "The e-mail is on its way to %(count)d person.",
                "The e-mail is on its way to %(count)d people.",
                len(selected),
            )
            % {"count": len(selected)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark as attended"), permissions=["attendance"], location=BOTH)
    def mark_attended(self, request, queryset):
        changed = attendance_mark(registrations=queryset, attended=True)
        log_changes(request, changed, gettext("Marked as attended."))
        skipped = queryset.exclude(status=Registration.Status.CONFIRMED).count()
        self.message_user(
            request,
            ngettext(
                "%(count)d person marked as attended.",
                "%(count)d people marked as attended.",
                len(changed),
            )
            % {"count": len(changed)},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d registration is not confirmed and was not marked.",
                    "%(count)d registrations are not confirmed and were not marked.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(
        description=_("Remove the attendance mark"), permissions=["attendance"], location=BOTH
    )
    def unmark_attended(self, request, queryset):
        changed = attendance_mark(registrations=queryset, attended=False)
        log_changes(request, changed, gettext("Attendance mark removed."))
        self.message_user(
            request,
            ngettext(
                "Attendance mark removed for %(count)d person.",
                "Attendance mark removed for %(count)d people.",
                len(changed),
            )
            % {"count": len(changed)},
            messages.SUCCESS,
        )

    # -- extra pages: occupancy, exports, the targets of the intermediate forms ---------------

    def get_urls(self):
        def wrap(view, *, post=False, change=False):
            def guarded(request, *args, **kwargs):
                allowed = (
                    self.has_change_permission(request)
                    if change
                    else self.has_view_permission(request)
                )
                if not allowed:
                    raise PermissionDenied
                return view(request, *args, **kwargs)

            if post:
                guarded = require_POST(guarded)
            return self.admin_site.admin_view(guarded)

        info = "registrations_registration"
        return [
            path("occupancy/", wrap(self.occupancy_view), name=f"{info}_occupancy"),
            path(
                "export/<str:fmt>/",
                wrap(self.export_filtered_view),
                name=f"{info}_export_filtered",
            ),
            path(
                "export/<int:event_id>/<str:fmt>/",
                wrap(self.export_view),
                name=f"{info}_export",
            ),
            path("move/", wrap(self.move_view, post=True, change=True), name=f"{info}_move"),
            path("cancel/", wrap(self.cancel_view, post=True, change=True), name=f"{info}_cancel"),
            path(
                "promote/<int:room_id>/",
                wrap(self.promote_view, post=True, change=True),
                name=f"{info}_promote",
            ),
            *super().get_urls(),
        ]

    def occupancy_view(self, request):
        if not is_organiser(request.user):
            raise PermissionDenied  # moderators have their rooms' list
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Room occupancy"),
            "is_nav_sidebar_enabled": False,  # the table gets the page's width
        }
        return TemplateResponse(request, "admin/registrations/occupancy.html", context)

    def export_view(self, request, event_id, fmt):
        if fmt not in {"csv", "xlsx"}:
            raise Http404
        event = get_object_or_404(events_in_reach(request.user), pk=event_id)
        room = None
        if room_id := request.GET.get("room"):
            if not is_id(room_id):
                raise Http404
            room = get_object_or_404(rooms_for(request.user), pk=room_id, event=event)
        elif is_moderator(request.user):
            raise Http404  # a moderator's list is one of their rooms
        return self._export_response(list(attendee_list(event=event, room=room)), event, room, fmt)

    def export_filtered_view(self, request, fmt):
        """The list as filtered, searched and sorted on screen, as CSV or XLSX (one event)."""
        if fmt not in {"csv", "xlsx"}:
            raise Http404
        back = f"{reverse('admin:registrations_registration_changelist')}?{request.GET.urlencode()}"
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:registrations_registration_changelist"))
        # The list's filters, search and order, without its pages.
        queryset = changelist.queryset.filter(anonymised_at__isnull=True)
        event_ids = list(queryset.order_by().values_list("event_id", flat=True).distinct()[:2])
        if len(event_ids) != 1:
            self.message_user(
                request,
                gettext("Nothing to export: the list shows nobody.")
                if not event_ids
                else gettext("Please choose one event in the filter first, then export."),
                messages.WARNING,
            )
            return HttpResponseRedirect(back)
        event = Event.objects.get(pk=event_ids[0])
        room_id = request.GET.get("room")
        room = event.rooms.filter(pk=room_id).first() if is_id(room_id) else None
        people = list(with_attendances(queryset.select_related("room", "event")))
        return self._export_response(people, event, room, fmt)

    def _export_response(self, people, event, room, fmt):
        name = exports.filename(event, room, fmt)
        if fmt == "csv":
            content = exports.attendees_csv(people, event)
            content_type = "text/csv; charset=utf-8"
        else:
            title = str(room) if room else event.title
            content = exports.attendees_xlsx(people, event, title)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return HttpResponse(
            content,
            content_type=content_type,
            headers={
                "Content-Disposition": content_disposition_header(True, name),
                "Cache-Control": "no-store",
            },
        )

    def promote_view(self, request, room_id):
        room = get_object_or_404(rooms_for(request.user), pk=room_id)
        promoted = promote_waiting_list(
            request, [room], gettext("Moved up from the waiting list by the organisers.")
        )
        if not promoted:
            self.message_user(
                request,
                gettext("Nobody moved up: %(room)s has no free seat or nobody is waiting.")
                % {"room": room},
                messages.INFO,
            )
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:registrations_registration_occupancy")
        return HttpResponseRedirect(next_url)
