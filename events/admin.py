from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape, format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from events import services
from events.forms import SpeakerAdminForm
from events.models import AgendaItem, AgendaItemSpeaker, Event, Reminder, Room, Speaker
from events.signals import event_schedule_changed, room_capacity_raised
from koki.site import absolute_url


def capacity_changed(request, rooms) -> None:
    """More seats: tell the receivers of room_capacity_raised (waiting lists move up)."""
    if rooms:
        room_capacity_raised.send(sender=Room, rooms=rooms, request=request)


class ProgrammeServicesMixin:
    """Saves and deletes go through events.services, so calendars see moves (SEQUENCE)."""

    def save_formset(self, request, form, formset, change):
        if formset.model not in (AgendaItem, Room):
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        if formset.model is Room:
            # Lock the rooms in key order before changing any, as every registration write does:
            # saving them in the form's order (by number) could wait in a circle with a room move.
            keys = [room.pk for room in [*instances, *formset.deleted_objects] if room.pk]
            list(Room.objects.filter(pk__in=keys).order_by("pk").select_for_update())
        for obj in formset.deleted_objects:
            if isinstance(obj, AgendaItem):
                services.agenda_item_delete(item=obj)
            else:
                services.room_delete(room=obj)
        for instance in instances:
            if isinstance(instance, AgendaItem):
                services.agenda_item_save(item=instance)
            else:
                services.room_save(room=instance)
        formset.save_m2m()
        return None


class EventTimezoneMixin:
    """Show and enter times in the event's own zone, not the server's."""

    def get_event_timezone(self, request, object_id) -> str:
        raise NotImplementedError

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        zone = self.get_event_timezone(request, object_id)
        with timezone.override(zone):
            return super().changeform_view(request, object_id, form_url, extra_context)


class RoomInline(TranslationTabularInline):
    model = Room
    extra = 0
    fields = ["number", "name", "topic", "capacity", "waiting_list_size", "moderators", "join_url"]


class ReminderInline(admin.TabularInline):
    model = Reminder
    extra = 0
    fields = ["days_before", "at_time", "minutes_before", "scheduled_for"]
    readonly_fields = ["scheduled_for"]
    verbose_name_plural = _(
        "Reminders (a new event gets two: the day before at 09:00 and 60 minutes before)"
    )


class AgendaItemInline(TranslationTabularInline):
    model = AgendaItem
    extra = 0
    fields = ["starts_at", "ends_at", "title", "kind", "room"]
    show_change_link = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "room":
            event_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Room.objects.filter(event_id=event_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def embed_path(event: Event) -> str:
    """The embedded programme's address, in German whatever the admin's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("events:embed", kwargs={"slug": event.slug})


@admin.register(Event)
class EventAdmin(ProgrammeServicesMixin, EventTimezoneMixin, TranslationAdmin):
    list_display = ["title", "starts_at", "is_published", "registration_opens_at", "slug"]
    list_filter = ["is_published", "is_online"]
    search_fields = ["title", "subtitle", "slug", "organiser"]
    date_hierarchy = "starts_at"
    prepopulated_fields = {"slug": ["title"]}
    inlines = [RoomInline, AgendaItemInline, ReminderInline]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "subtitle", "slug", "organiser", "organiser_url"]}),
        (
            _("Time and place"),
            {"fields": ["timezone", "starts_at", "ends_at", "is_online", "venue"]},
        ),
        (_("Description"), {"fields": ["description", "source_note"]}),
        (
            _("Registration"),
            {
                "fields": [
                    "is_published",
                    "registration_opens_at",
                    "registration_closes_at",
                    "double_opt_in",
                    "hold_minutes",
                ]
            },
        ),
        (_("Event day"), {"fields": ["plenary_join_url", "join_opens_minutes"]}),
        (_("Privacy"), {"fields": ["privacy_notice", "privacy_notice_version"]}),
        (_("Embedding on other websites"), {"fields": ["embed_origins", "embed_snippet"]}),
    ]
    readonly_fields = ["embed_snippet"]

    @admin.display(description=_("Snippet for your website"))
    def embed_snippet(self, obj) -> str:
        """The <iframe> to copy into a web page named in `embed_origins` (read-only)."""
        if not obj or not obj.pk:
            return _("Shown once the event is saved.")
        iframe = format_html(
            '<iframe src="{}" title="{}" width="100%" height="720" loading="lazy"></iframe>',
            absolute_url(embed_path(obj)),
            _("Programme: %(event)s") % {"event": obj.title},
        )
        return format_html(
            '<textarea class="vLargeTextField embed-snippet" rows="3" cols="80" readonly '
            'aria-label="{}">{}</textarea>',
            _("Snippet for your website"),
            escape(iframe),  # shown as text, to copy
        )

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Room:
            raised = [room for room, fields in formset.changed_objects if "capacity" in fields]
            capacity_changed(request, raised)

    def get_event_timezone(self, request, object_id) -> str:
        if object_id:
            zone = Event.objects.filter(pk=object_id).values_list("timezone", flat=True).first()
            if zone:
                return zone
        return request.POST.get("timezone") or "Europe/Berlin"

    def save_model(self, request, obj, form, change):
        services.event_save(event=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        event = form.instance
        if not change and not event.reminders.exists():
            services.reminders_default_create(event=event)
        event_schedule_changed.send(sender=Event, event=event)


class AgendaItemSpeakerInline(admin.TabularInline):
    model = AgendaItemSpeaker
    extra = 1
    autocomplete_fields = ["speaker"]


@admin.register(AgendaItem)
class AgendaItemAdmin(ProgrammeServicesMixin, EventTimezoneMixin, TranslationAdmin):
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

    def save_model(self, request, obj, form, change):
        services.agenda_item_save(item=obj)

    def delete_model(self, request, obj):
        services.agenda_item_delete(item=obj)

    def delete_queryset(self, request, queryset):
        for item in queryset:
            services.agenda_item_delete(item=item)


@admin.register(Speaker)
class SpeakerAdmin(TranslationAdmin):
    form = SpeakerAdminForm
    list_display = ["name", "role", "affiliation"]
    search_fields = ["name", "role", "affiliation"]

    def delete_model(self, request, obj):
        services.speaker_delete(speaker=obj)

    def delete_queryset(self, request, queryset):
        for speaker in queryset:
            services.speaker_delete(speaker=speaker)


@admin.register(Room)
class RoomAdmin(TranslationAdmin):
    list_display = ["__str__", "event", "capacity", "moderators"]
    list_filter = ["event"]
    list_select_related = ["event"]
    search_fields = ["name", "topic", "moderators"]

    def save_model(self, request, obj, form, change):
        services.room_save(room=obj)
        if change and "capacity" in form.changed_data:
            capacity_changed(request, [obj])

    def delete_model(self, request, obj):
        services.room_delete(room=obj)

    def delete_queryset(self, request, queryset):
        for room in queryset:
            services.room_delete(room=room)
