"""Reminders in the admin: when each goes out, how many went, and sending one by hand (for
people who registered after it went out, or where no worker runs)."""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from events.admin import EventTimezoneMixin, SingleEventInitialMixin, only_event_pk
from events.models import Event, Reminder
from events.signals import event_schedule_changed
from registrations.admin.common import OrganisersOnlyMixin, is_id
from registrations.reminders import reminder_send


@admin.register(Reminder)
class ReminderAdmin(
    SingleEventInitialMixin, EventTimezoneMixin, OrganisersOnlyMixin, admin.ModelAdmin
):
    list_display = ["__str__", "event", "due", "sent"]
    list_filter = ["event"]
    list_select_related = ["event"]
    fields = ["event", "days_before", "at_time", "minutes_before", "scheduled_for"]
    readonly_fields = ["scheduled_for"]
    actions = ["send_now"]

    def get_event_timezone(self, request, object_id) -> str:
        """The zone of the reminder's event (its "at" time and the due time are in it)."""
        reminders = Reminder.objects.filter(pk=object_id) if is_id(object_id) else None
        if reminders is not None:
            zone = reminders.values_list("event__timezone", flat=True).first()
        else:
            event_id = (
                request.POST.get("event") or request.GET.get("event") or only_event_pk(request.user)
            )
            zone = (
                Event.objects.filter(pk=event_id).values_list("timezone", flat=True).first()
                if is_id(str(event_id or ""))
                else None
            )
        return zone or "Europe/Berlin"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(sent_count=Count("deliveries", filter=Q(deliveries__sent_at__isnull=False)))
        )

    @admin.display(description=_("due"))
    def due(self, obj) -> str:
        due = timezone.localtime(obj.due_at(), obj.event.tzinfo)
        return date_format(due, "DATETIME_FORMAT")

    @admin.display(description=_("mails sent"), ordering="sent_count")
    def sent(self, obj) -> int:
        return obj.sent_count

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        event_schedule_changed.send(sender=Event, event=obj.event)

    @admin.action(description=_("Send now to everyone who has not had it"), permissions=["change"])
    def send_now(self, request, queryset):
        queued = sum(len(reminder_send(reminder=reminder)) for reminder in queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d reminder is on its way.", "%(count)d reminders are on their way.", queued
            )
            % {"count": queued},
            messages.SUCCESS,
        )
