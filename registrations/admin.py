"""The organisers' admin: registrations, occupancy, attendee lists, actions and messages.

Every change to a registration goes through registrations.services (never by editing the
status field) and is written to the admin log. Only members of the "Organisers" group (and
superusers) see any of it: other staff see no personal data.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from events.models import Event, Room
from registrations import exports, mailings, services
from registrations.attendance import attendance_mark
from registrations.models import Mailing, MailingRecipient, Registration
from registrations.permissions import is_organiser
from registrations.roster import (
    attendee_list,
    event_occupancy,
    with_waitlist_position,
)

BOTH = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


class OrganisersOnlyMixin:
    """Personal data: only for the Organisers group (on top of the model permissions)."""

    def has_module_permission(self, request):
        return is_organiser(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_organiser(request.user) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return is_organiser(request.user) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_organiser(request.user) and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return is_organiser(request.user) and super().has_delete_permission(request, obj)


def log_changes(request, registrations, message: str) -> None:
    """One admin log entry per registration (bulk insert), with a plain-text message."""
    if registrations:
        LogEntry.objects.log_actions(
            user_id=request.user.pk,
            queryset=list(registrations),
            action_flag=CHANGE,
            change_message=message,
        )


def promote_waiting_list(request, rooms, reason: str) -> list[Registration]:
    """Fill the free seats of `rooms` from their waiting lists; log and report who moved up.

    Used by the actions here and by the room admin in events/admin.py (capacity raised).
    """
    promoted: list[Registration] = []
    for room in rooms:
        moved_up = services.waitlist_promote(room=room)
        if moved_up:
            log_changes(request, moved_up, reason)
            messages.success(
                request,
                ngettext(
                    "%(room)s: %(count)d person moved up from the waiting list.",
                    "%(room)s: %(count)d people moved up from the waiting list.",
                    len(moved_up),
                )
                % {"room": room, "count": len(moved_up)},
            )
        promoted.extend(moved_up)
    return promoted


# --- Registrations ------------------------------------------------------------------------------


class RoomListFilter(admin.SimpleListFilter):
    """Rooms of the chosen event (or of all events, labelled with the event)."""

    title = _("room")
    parameter_name = "room"

    def lookups(self, request, model_admin):
        rooms = Room.objects.select_related("event").order_by("event__starts_at", "number")
        event_id = request.GET.get("event__id__exact")
        if event_id and event_id.isdigit():
            rooms = rooms.filter(event_id=event_id)
        rooms = list(rooms)
        if len({room.event_id for room in rooms}) <= 1:
            return [(str(room.pk), str(room)) for room in rooms]
        return [(str(room.pk), f"{room.event.title} – {room}") for room in rooms]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(room_id=self.value())
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


class MoveForm(forms.Form):
    """The intermediate page of the action "move to another room"."""

    event = forms.ModelChoiceField(queryset=Event.objects.all(), widget=forms.HiddenInput)
    registrations = forms.ModelMultipleChoiceField(
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

    registrations = forms.ModelMultipleChoiceField(
        queryset=Registration.objects.active(), widget=forms.MultipleHiddenInput
    )


STATE_FIELDS = ["event", "room", "status", "waitlist_place", "attended_at"]
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
class RegistrationAdmin(OrganisersOnlyMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "email",
        "organisation",
        "room_number",
        "status",
        "waitlist_place",
        "created_at",
        "attended",
    ]
    list_filter = ["event", RoomListFilter, "status", AttendedListFilter]
    list_select_related = ["room"]
    search_fields = ["first_name", "last_name", "email", "organisation"]
    list_per_page = 100
    actions = [
        "move_to_room",
        "cancel_registrations",
        "promote_from_waiting_list",
        "resend_confirmation",
        "mark_attended",
        "unmark_attended",
    ]
    fieldsets = [
        (None, {"fields": STATE_FIELDS}),
        (
            _("Person"),
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "email",
                    "organisation",
                    "job_role",
                    "language",
                ]
            },
        ),
        (_("History"), {"fields": HISTORY_FIELDS}),
    ]
    # Only the person's own details are edited here; state changes go through the actions.
    readonly_fields = [*STATE_FIELDS, *HISTORY_FIELDS]

    def get_queryset(self, request):
        return with_waitlist_position(super().get_queryset(request))

    # Registrations come in through the public form and its rules (consent, capacity).
    def has_add_permission(self, request):
        return False

    @admin.display(description=_("name"), ordering="last_name")
    def name(self, obj):
        return f"{obj.last_name}, {obj.first_name}"

    @admin.display(description=_("room"), ordering="room__number")
    def room_number(self, obj):
        return str(obj.room)

    @admin.display(description=_("place on the waiting list"), ordering="waitlist_position")
    def waitlist_place(self, obj):
        return obj.waitlist_position

    @admin.display(description=_("attended"), boolean=True, ordering="attended_at")
    def attended(self, obj):
        return obj.attended_at is not None

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
        event = get_object_or_404(Event, pk=request.POST.get("event", ""))
        form = MoveForm(request.POST, event=event)
        if not form.is_valid():
            selected = Registration.objects.filter(
                event=event,
                pk__in=[v for v in request.POST.getlist("registrations") if v.isdigit()],
            ).select_related("room")
            return self._render_move(request, event, list(selected), form)
        room = form.cleaned_data["room"]
        moved, unchanged, failed = [], [], []
        # First registered, first moved: when the seats run out, the later ones stay.
        chosen = form.cleaned_data["registrations"].select_related("room", "event")
        for registration in chosen.order_by("created_at", "pk"):
            if registration.room_id == room.pk:
                unchanged.append(registration)
                continue
            old_room = str(registration.room)
            try:
                services.registration_change_room(
                    registration=registration, room=room, by_organiser=True
                )
            except services.RegistrationError as error:
                reason = (
                    gettext("the room is full")
                    if getattr(error, "code", "") in {"full", "waitlist_full"}
                    else str(error.message)
                )
                failed.append(f"{registration.full_name} ({reason})")
                continue
            moved.append(registration)
            self.log_change(
                request,
                registration,
                gettext("Moved from %(old)s to %(new)s.") % {"old": old_room, "new": room},
            )
        if moved:
            self.message_user(
                request,
                ngettext(
                    "%(count)d person moved to %(room)s.",
                    "%(count)d people moved to %(room)s.",
                    len(moved),
                )
                % {"count": len(moved), "room": room},
                messages.SUCCESS,
            )
        if unchanged:
            self.message_user(
                request,
                ngettext(
                    "%(count)d person is in %(room)s already.",
                    "%(count)d people are in %(room)s already.",
                    len(unchanged),
                )
                % {"count": len(unchanged), "room": room},
                messages.INFO,
            )
        if failed:
            self.message_user(
                request,
                gettext("Not moved: %(people)s.") % {"people": "; ".join(failed)},
                messages.WARNING,
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

    @admin.action(description=_("Mark as attended"), permissions=["change"], location=BOTH)
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
        description=_("Remove the attendance mark"), permissions=["change"], location=BOTH
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
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Room occupancy"),
        }
        return TemplateResponse(request, "admin/registrations/occupancy.html", context)

    def export_view(self, request, event_id, fmt):
        if fmt not in {"csv", "xlsx"}:
            raise Http404
        event = get_object_or_404(Event, pk=event_id)
        room = None
        if request.GET.get("room"):
            room = get_object_or_404(Room, pk=request.GET["room"], event=event)
        people = list(attendee_list(event=event, room=room))
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
        room = get_object_or_404(Room, pk=room_id)
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


# --- Messages to attendees -----------------------------------------------------------------


class MailingForm(forms.ModelForm):
    class Meta:
        model = Mailing
        fields = ["event", "room", "audience", "subject", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "room" in self.fields:
            self.fields["room"].queryset = Room.objects.select_related("event").order_by(
                "event__starts_at", "number"
            )
            self.fields["room"].label_from_instance = lambda room: f"{room.event.title} – {room}"

    def clean(self):
        cleaned = super().clean()
        event, room = cleaned.get("event"), cleaned.get("room")
        if event and room and room.event_id != event.pk:
            self.add_error("room", _("This room belongs to another event."))
        return cleaned


class MailingRecipientInline(admin.TabularInline):
    model = MailingRecipient
    extra = 0
    max_num = 0
    can_delete = False
    fields = ["name", "email", "room", "sent_at", "error", "attempts"]
    readonly_fields = fields
    verbose_name_plural = _("sent to")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("registration__room")

    @admin.display(description=_("name"))
    def name(self, obj):
        return obj.registration.full_name

    @admin.display(description=_("e-mail address"))
    def email(self, obj):
        return obj.registration.email

    @admin.display(description=_("room"))
    def room(self, obj):
        return str(obj.registration.room)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Mailing)
class MailingAdmin(OrganisersOnlyMixin, admin.ModelAdmin):
    form = MailingForm
    list_display = ["subject", "event", "room", "audience", "queued_at", "delivered", "created_by"]
    list_filter = ["event"]
    list_select_related = ["event", "room", "created_by"]
    search_fields = ["subject", "body"]
    fields = ["event", "room", "audience", "subject", "body", "recipients_info", "preview"]
    readonly_fields = ["recipients_info", "preview"]
    change_form_template = "admin/registrations/mailing/change_form.html"

    def get_queryset(self, request):
        return mailings.mailing_counts(super().get_queryset(request))

    sent_fields = [
        "event",
        "room",
        "audience",
        "subject",
        "body",
        "queued_at",
        "created_by",
        "recipients_info",
    ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["event", "room", "audience", "subject", "body"]
        if obj.is_sent:
            return self.sent_fields
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_sent:
            return self.sent_fields
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # A sent message cannot change any more: its page only shows what went to whom.
        if obj is not None and obj.is_sent:
            return False
        return super().has_change_permission(request, obj)

    def get_inlines(self, request, obj):
        return [MailingRecipientInline] if obj is not None and obj.is_sent else []

    def has_delete_permission(self, request, obj=None):
        # A sent message is the record of what went to whom.
        if obj is not None and obj.is_sent:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("delivered"))
    def delivered(self, obj):
        if not obj.is_sent:
            return gettext("draft")
        text = gettext("%(sent)d of %(total)d") % {
            "sent": obj.recipients_sent,
            "total": obj.recipients_total,
        }
        if obj.recipients_failed:
            text += " " + gettext("(%(failed)d failed)") % {"failed": obj.recipients_failed}
        return text

    @admin.display(description=_("who receives it"))
    def recipients_info(self, obj):
        if obj.is_sent:
            return self.delivered(obj)
        count = mailings.mailing_audience(mailing=obj).count()
        return ngettext(
            "%(count)d person would receive this message now.",
            "%(count)d people would receive this message now.",
            count,
        ) % {"count": count}

    @admin.display(description=_("preview (first recipient)"))
    def preview(self, obj):
        first = mailings.mailing_audience(mailing=obj).select_related("event", "room").first()
        if first is None:
            return "–"
        content = mailings.mailing_render(mailing=obj, registration=first)
        return format_html('<div class="koki-preview">{}</div>', content["text"])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        mailing = Mailing.objects.filter(pk=object_id, queued_at__isnull=True).first()
        if mailing is not None:
            extra_context = {
                **(extra_context or {}),
                "audience_count": mailings.mailing_audience(mailing=mailing).count(),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            gettext("Saved as a draft. Check the recipients and the preview, then send it."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:registrations_mailing_change", args=[obj.pk]))

    def get_urls(self):
        return [
            path(
                "<int:mailing_id>/send/",
                self.admin_site.admin_view(require_POST(self.send_view)),
                name="registrations_mailing_send",
            ),
            path(
                "<int:mailing_id>/retry/",
                self.admin_site.admin_view(require_POST(self.retry_view)),
                name="registrations_mailing_retry",
            ),
            *super().get_urls(),
        ]

    def _get_for_change(self, request, mailing_id) -> Mailing:
        mailing = get_object_or_404(Mailing.objects.select_related("event"), pk=mailing_id)
        if not self.has_change_permission(request, mailing):
            raise PermissionDenied
        return mailing

    def send_view(self, request, mailing_id):
        mailing = self._get_for_change(request, mailing_id)
        try:
            count = mailings.mailing_send(mailing=mailing)
        except mailings.MailingError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.log_change(
                request,
                mailing,
                ngettext("Sent to %(count)d person.", "Sent to %(count)d people.", count)
                % {"count": count},
            )
            self.message_user(
                request,
                ngettext(
                    "The message is on its way to %(count)d person.",
                    "The message is on its way to %(count)d people.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse("admin:registrations_mailing_change", args=[mailing.pk])
        )

    def retry_view(self, request, mailing_id):
        mailing = get_object_or_404(Mailing, pk=mailing_id)
        if not self.has_change_permission(request):
            raise PermissionDenied
        count = mailings.mailing_retry_failed(mailing=mailing)
        message = gettext("Failed mails queued again: %(count)d.") % {"count": count}
        self.log_change(request, mailing, message)
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:registrations_mailing_change", args=[mailing.pk])
        )
