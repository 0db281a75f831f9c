import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape, format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

import events.admin_organiser  # noqa: F401 (registers the organisers' admin)
from events import admin_copy, services
from events.admin_questions import QuestionInline
from events.admin_scope import TeamScopedMixin
from events.forms import EventAdminForm, SpeakerAdminForm
from events.models import AgendaItem, AgendaItemSpeaker, Event, Reminder, Room, Speaker
from events.signals import event_schedule_changed, room_capacity_raised
from events.timezones import timezone_choices
from koki.site import absolute_url
from registrations.permissions import events_in_reach

admin.site.site_header = _("koki – administration")
admin.site.site_title = _("koki administration")
admin.site.index_title = _("Overview")


def only_event_pk(user) -> int | None:
    """The event an add form can assume: of the events `user` may pick, the only one that has
    not ended, else the only one."""
    reach = events_in_reach(user)
    for candidates in (reach.upcoming(), reach):
        pks = list(candidates.order_by("pk").values_list("pk", flat=True)[:2])
        if len(pks) == 1:
            return pks[0]
        if pks:
            return None
    return None


class SingleEventInitialMixin:
    """Add forms with an event field: where there is only one event, it is chosen already."""

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if "event" not in initial and (pk := only_event_pk(request.user)) is not None:
            initial["event"] = pk
        return initial


def plain_related_widget(field):
    """A select without the add/change/delete/view icons beside it (compact table rows)."""
    if field is not None and isinstance(field.widget, RelatedFieldWidgetWrapper):
        widget = field.widget
        widget.can_add_related = widget.can_change_related = False
        widget.can_delete_related = widget.can_view_related = False
    return field


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
            response = super().changeform_view(request, object_id, form_url, extra_context)
            # Render here: a TemplateResponse renders later, outside this zone, and would show
            # the form's times (and the line naming the zone) in the server's zone.
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            return response


def details_link(obj, *, name) -> str:
    """A table row's link to its object's own page ("Details", named for screen readers)."""
    if not obj or not obj.pk:
        return ""
    opts = obj._meta
    return format_html(
        '<a href="{}">{}<span class="visually-hidden">: {}</span></a>',
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
        _("Details"),
        name,
    )


class RoomInline(TranslationTabularInline):
    """One short row per room; its topic, moderators and their accounts are on the room's own
    page (the row's "Details" link)."""

    model = Room
    extra = 0
    fields = ["number", "name", "capacity", "waiting_list_size", "join_url", "details"]
    readonly_fields = ["details"]
    classes = ["koki-compact-inline"]
    formfield_overrides = {
        # A plain input: the admin's "Currently: <link> / Change:" takes three lines per room.
        models.URLField: {"widget": forms.URLInput(attrs={"class": "vURLField"})},
    }

    @admin.display(description=_("topic, moderators"))
    def details(self, obj) -> str:
        return details_link(obj, name=obj and str(obj))


class ReminderInline(admin.TabularInline):
    model = Reminder
    extra = 0
    classes = ["koki-compact-inline"]
    fields = ["days_before", "at_time", "minutes_before", "scheduled_for"]
    readonly_fields = ["scheduled_for"]
    verbose_name_plural = _(
        "Reminders (a new event gets two: the day before at 09:00 and 60 minutes before)"
    )


TIME_WIDGET = forms.TimeInput(
    format="%H:%M", attrs={"class": "koki-time", "size": 5, "inputmode": "numeric"}
)


class AgendaTimesFormSet(BaseInlineFormSet):
    """Hands each row the event (as the form above the rows has it, dates included)."""

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "event": self.instance}


class AgendaItemTimesForm(forms.ModelForm):
    """An agenda row of a one-day event: start and end as times; the date is the event's."""

    starts_at = forms.TimeField(label=_("Start"), widget=TIME_WIDGET)
    ends_at = forms.TimeField(label=_("End"), widget=TIME_WIDGET)

    class Meta:
        model = AgendaItem
        fields = ["starts_at", "ends_at", "title", "kind", "room"]

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        for name in ("starts_at", "ends_at"):
            value = getattr(self.instance, name, None)
            if value is not None:
                self.initial[name] = timezone.localtime(value, event.tzinfo).time()

    def clean(self):
        cleaned = super().clean()
        day = timezone.localtime(self.event.starts_at, self.event.tzinfo).date()
        for name in ("starts_at", "ends_at"):
            if isinstance(cleaned.get(name), dt.time):
                cleaned[name] = dt.datetime.combine(day, cleaned[name], tzinfo=self.event.tzinfo)
        return cleaned


class AgendaItemInline(TranslationTabularInline):
    model = AgendaItem
    extra = 0
    fields = ["starts_at", "ends_at", "title", "kind", "room", "details"]
    readonly_fields = ["details"]
    classes = ["koki-compact-inline", "koki-agenda-inline"]

    @admin.display(description=_("speakers, description"))
    def details(self, obj) -> str:
        return details_link(obj, name=obj and obj.title)

    def get_formset(self, request, obj=None, **kwargs):
        if obj is not None and obj.pk and obj.is_one_day:
            kwargs.update(form=AgendaItemTimesForm, formset=AgendaTimesFormSet)
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return plain_related_widget(super().formfield_for_dbfield(db_field, request, **kwargs))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "room":
            event_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Room.objects.filter(event_id=event_id)
            kwargs["empty_label"] = _("Plenary (deep dive: all rooms)")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def embed_path(event: Event) -> str:
    """The embedded programme's address, in German whatever the admin's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("events:embed", kwargs={"slug": event.slug})


@admin.register(Event)
class EventAdmin(TeamScopedMixin, ProgrammeServicesMixin, EventTimezoneMixin, TranslationAdmin):
    form = EventAdminForm
    list_display = ["title", "starts_at", "is_published", "registration_opens_at", "slug"]
    list_filter = ["is_published", "is_online"]
    search_fields = ["title", "subtitle", "slug", "organiser__name"]
    date_hierarchy = "starts_at"
    prepopulated_fields = {"slug": ["title"]}
    inlines = [RoomInline, AgendaItemInline, ReminderInline, QuestionInline]
    actions = [admin_copy.copy_for_new_date]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "subtitle", "slug", "organiser"]}),
        (
            _("Time and place"),
            {"fields": ["timezone", "starts_at", "ends_at", "is_online", "venue"]},
        ),
        (_("Description"), {"fields": ["description", "source_note"]}),
        (_("Look"), {"fields": ["logo", "accent_colour"]}),
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
        # Rarely changed: folded until opened.
        (
            _("Embedding on other websites"),
            {"fields": ["embed_origins", "embed_snippet"], "classes": ["collapse"]},
        ),
    ]
    readonly_fields = ["embed_snippet"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "timezone":
            return forms.ChoiceField(
                label=db_field.verbose_name,
                choices=timezone_choices,
                initial=db_field.default,
                help_text=_("Times on this page and on the event's pages are in this zone."),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "timezone" in form.base_fields:
            # A zone saved before the list was a choice (say "Etc/GMT-1") stays selectable.
            form.base_fields["timezone"].choices = timezone_choices(current=obj.timezone)
        return form

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
class AgendaItemAdmin(
    SingleEventInitialMixin,
    TeamScopedMixin,
    ProgrammeServicesMixin,
    EventTimezoneMixin,
    TranslationAdmin,
):
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
class SpeakerAdmin(TeamScopedMixin, TranslationAdmin):
    form = SpeakerAdminForm
    list_display = ["name", "role", "affiliation"]
    search_fields = ["name", "role", "affiliation"]

    def delete_model(self, request, obj):
        services.speaker_delete(speaker=obj)

    def delete_queryset(self, request, queryset):
        for speaker in queryset:
            services.speaker_delete(speaker=speaker)


@admin.register(Room)
class RoomAdmin(SingleEventInitialMixin, TeamScopedMixin, TranslationAdmin):
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
