"""The programme's admin pages for the event's team only (registrations.permissions).

TeamScopedMixin narrows an admin's list, its choices of event and room and its filters to the
events of the user's teams (speakers: those of these events, and those of no event yet);
superusers see all. A staff account that creates an event joins its
team. Who is in a team is for superusers to change (the "Team" section of the event's page).
"""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from events.models import AgendaItemSpeaker, Event, Room, Speaker
from registrations.permissions import events_for, events_in_reach, programme_for, rooms_in_reach


def speakers_for(user, queryset):
    """The speakers of the user's teams' events, and those of no event yet (just added, or to
    be added to an item); superusers: all."""
    if user.is_active and user.is_staff and user.is_superuser:
        return queryset
    links = AgendaItemSpeaker.objects.values("speaker_id")
    mine = links.filter(agenda_item__event__in=events_for(user))
    return queryset.filter(Q(pk__in=mine) | ~Q(pk__in=links))


def scoped_related(db_field, request, kwargs) -> None:
    """Limit the choices of an event or room field to those of the user (in place)."""
    model = db_field.related_model
    if model is Event:
        allowed = events_in_reach(request.user)
    elif model is Room:
        allowed = rooms_in_reach(request.user)
    else:
        return
    queryset = kwargs.get("queryset")
    kwargs["queryset"] = allowed if queryset is None else queryset.filter(pk__in=allowed)


def scoped_list_filter(list_filter) -> list:
    """The list's event filter offers only the events of the list's own (scoped) rows."""
    return [
        ("event", admin.RelatedOnlyFieldListFilter) if name == "event" else name
        for name in list_filter
    ]


def not_an_id(object_id) -> bool:
    """An object id in an admin URL that no row can have ("abc", "1\x00", 20 digits)."""
    from registrations.admin.common import is_id

    return object_id is not None and not is_id(object_id)


def without_out_of_range_lookups(request) -> None:
    """Drop a list's filter parameters that are numbers no database column can hold (20
    digits): the database would fail on them; like any unknown room, they filter nothing."""
    from registrations.admin.common import MAX_ID

    def out_of_range(value: str) -> bool:
        return value.isascii() and value.isdigit() and int(value) > MAX_ID

    bad = [
        key
        for key, values in request.GET.lists()
        if key not in {"q", "p"} and any(out_of_range(value) for value in values)
    ]
    if bad:
        request.GET = request.GET.copy()
        for key in bad:
            del request.GET[key]


class TeamScopedMixin:
    """For the admins of events and their programme: see and change the team's events only."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if not_an_id(object_id):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        without_out_of_range_lookups(request)
        return super().changelist_view(request, extra_context)

    def get_object(self, request, object_id, from_field=None):
        if not_an_id(object_id):
            return None  # "not found" (the history and delete pages), never a database error
        return super().get_object(request, object_id, from_field)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.model is Speaker:
            return speakers_for(request.user, queryset)
        lookup = "pk" if self.model is Event else "event"  # from the model to its event
        return programme_for(request.user, queryset, event=lookup)

    def get_list_filter(self, request):
        return scoped_list_filter(super().get_list_filter(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scoped_related(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.model is Event and request.user.is_superuser:
            fieldsets = [*fieldsets, (_("Team"), {"fields": ["team"]})]
        return fieldsets

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if self.model is Event and not change and not request.user.is_superuser:
            form.instance.team.add(request.user)  # whoever creates an event runs it
