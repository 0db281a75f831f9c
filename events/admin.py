from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.forms import SpeakerAdminForm
from events.models import AgendaItem, AgendaItemSpeaker, Event, Room, Speaker


def promote_after_capacity_change(request, rooms) -> None:
    """More seats: people on the rooms' waiting lists move up (registrations.services)."""
    from registrations.admin import promote_waiting_list

    if rooms:
        promote_waiting_list(request, rooms, _("Moved up from the waiting list: capacity raised."))


class EventTimezoneMixin:
    """Show and enter times in the event's own zone, not the server's."""

    def get_event_timezone(self, request, object_id) -> str:
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        zone = self.get_event_timezone(request, object_id)
        with timezone.override(zone):
            return super().changeform_view(request, object_id, form_url, extra_context)


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0
    fields = ["number", "name", "topic", "capacity", "waiting_list_size", "moderators", "join_url"]


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ["starts_at", "ends_at", "title", "kind", "room"]
    show_change_link = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "room":
            event_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Room.objects.filter(event_id=event_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Event)
class EventAdmin(EventTimezoneMixin, admin.ModelAdmin):
    list_display = ["title", "starts_at", "is_published", "registration_opens_at", "slug"]
    list_filter = ["is_published", "is_online"]
    search_fields = ["title", "subtitle", "slug", "organiser"]
    date_hierarchy = "starts_at"
    prepopulated_fields = {"slug": ["title"]}
    inlines = [RoomInline, AgendaItemInline]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "subtitle", "slug", "organiser", "organiser_url"]}),
        (
            _("Time and place"),
            {"fields": ["timezone", "starts_at", "ends_at", "is_online", "venue"]},
        ),
        (_("Description"), {"fields": ["description"]}),
        (
            _("Registration"),
            {
                "fields": [
                    "is_published",
                    "registration_opens_at",
                    "registration_closes_at",
                    "double_opt_in",
                    "hold_minutes",
                    "plenary_join_url",
                ]
            },
        ),
        (_("Privacy"), {"fields": ["privacy_notice", "privacy_notice_version"]}),
    ]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Room:
            raised = [room for room, fields in formset.changed_objects if "capacity" in fields]
            promote_after_capacity_change(request, raised)

    def get_event_timezone(self, request, object_id) -> str:
        if object_id:
            zone = Event.objects.filter(pk=object_id).values_list("timezone", flat=True).first()
            if zone:
                return zone
        return request.POST.get("timezone") or "Europe/Berlin"


class AgendaItemSpeakerInline(admin.TabularInline):
    model = AgendaItemSpeaker
    extra = 1
    autocomplete_fields = ["speaker"]


@admin.register(AgendaItem)
class AgendaItemAdmin(EventTimezoneMixin, admin.ModelAdmin):
    list_display = ["title", "event", "starts_at", "ends_at", "kind", "room"]
    list_filter = ["event", "kind"]
    list_select_related = ["event", "room"]
    search_fields = ["title", "description"]
    inlines = [AgendaItemSpeakerInline]
    readonly_fields = ["uid", "sequence"]

    def get_event_timezone(self, request, object_id) -> str:
        if object_id:
            zone = (
                AgendaItem.objects.filter(pk=object_id)
                .values_list("event__timezone", flat=True)
                .first()
            )
            if zone:
                return zone
        return "Europe/Berlin"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "room":
            kwargs["queryset"] = Room.objects.select_related("event")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Speaker)
class SpeakerAdmin(admin.ModelAdmin):
    form = SpeakerAdminForm
    list_display = ["name", "role", "affiliation"]
    search_fields = ["name", "role", "affiliation"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["__str__", "event", "capacity", "moderators"]
    list_filter = ["event"]
    list_select_related = ["event"]
    search_fields = ["name", "topic", "moderators"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "capacity" in form.changed_data:
            promote_after_capacity_change(request, [obj])
