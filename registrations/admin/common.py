"""What the registrations and the mailings admin share: who may see them (and of which events
and rooms), the admin log, ids.

promote_waiting_list is also what registrations.receivers runs when an organiser raised the
capacity of rooms in the events admin (events.signals.room_capacity_raised).
"""

from django.contrib import messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.options import ActionLocation
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import ngettext

from events.admin_scope import (
    not_an_id,
    scoped_list_filter,
    scoped_related,
    without_out_of_range_lookups,
)
from events.models import Event, Room
from registrations import services
from registrations.models import Registration
from registrations.permissions import is_moderator, is_organiser, personal_data_for, rooms_for

MAX_ID = 2**63 - 1  # BigAutoField


def is_id(value) -> bool:
    """A primary key as it comes in a URL or a form: ASCII digits, within the database's range.

    Check before querying: "abc", "1\\x00", "²" or 20 digits are "not found", not a 500.
    """
    return isinstance(value, str) and value.isascii() and value.isdigit() and int(value) <= MAX_ID


def listed_events(request) -> dict[str, bool]:
    """What the registrations list's columns depend on, for the listed event (or, unfiltered,
    any event): `begun`, whether one has begun (attendance), and `asks_access_needs`, whether one
    asks an access-need question. One query, once per request (the admin asks for the columns
    twice a page)."""
    if not hasattr(request, "_koki_listed_events"):
        events = Event.objects.all()
        event_id = request.GET.get("event__id__exact")
        if is_id(event_id):
            events = events.filter(pk=event_id)
        counts = events.aggregate(
            begun=Count("pk", filter=Q(starts_at__lte=timezone.now())),
            asks=Count("questions", filter=Q(questions__is_access_need=True)),
        )
        request._koki_listed_events = {
            "begun": counts["begun"] > 0,
            "asks_access_needs": counts["asks"] > 0,
        }
    return request._koki_listed_events


class OrganisersOnlyMixin:
    """Personal data: only for the Organisers group (on top of the model permissions), and only
    of the events of the user's teams (superusers: all); moderators see their own rooms where an
    admin allows it. Every list, choice, filter and object page goes through `get_queryset`;
    custom views and exports look their objects up in `scoped` or `rooms_for`.

    An admin sets `room_lookup` to let moderators in, `moderator_permissions` to what they may
    do there ("view", "add", "change", "delete"), `moderator_actions` to the actions they may
    run and `moderator_hidden_fields` to what they do not see.
    """

    event_lookup = "event"  # from the model to its event
    room_lookup: str | None = None  # from the model to its room; None: not for moderators
    moderator_permissions: frozenset[str] = frozenset()
    moderator_actions: tuple[str, ...] = ()
    moderator_hidden_fields: tuple[str, ...] = ()

    def _allowed(self, request, action: str) -> bool:
        user = request.user
        if is_organiser(user):
            return True
        return (
            self.room_lookup is not None
            and action in self.moderator_permissions
            and is_moderator(user)
        )

    def scoped(self, request, queryset):
        """`queryset` of this admin's model narrowed to what the user may see."""
        return personal_data_for(
            request.user, queryset, event=self.event_lookup, room=self.room_lookup
        )

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        if not_an_id(object_id):
            return None  # "not found", never a database error
        return super().get_object(request, object_id, from_field)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if not_an_id(object_id):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def has_module_permission(self, request):
        return self._allowed(request, "view") and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, "view") and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, "change") and super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._allowed(request, "add") and super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, "delete") and super().has_delete_permission(request, obj)

    def has_attendance_permission(self, request):
        """Marking attendance: organisers who may change registrations, and moderators (for
        the registrations of their rooms, which is all they see)."""
        if is_organiser(request.user):
            return super().has_change_permission(request)
        return self._allowed(request, "view") and super().has_view_permission(request)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        if is_moderator(request.user):
            actions = {name: a for name, a in actions.items() if name in self.moderator_actions}
        return actions

    def get_list_filter(self, request):
        return scoped_list_filter(super().get_list_filter(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if is_moderator(request.user) and db_field.related_model is Room:
            kwargs["required"] = True  # a moderator's message goes to one of their rooms
        scoped_related(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _without_hidden(self, request, names):
        if not is_moderator(request.user):
            return names
        return [name for name in names if name not in self.moderator_hidden_fields]

    def get_list_display(self, request):
        return self._without_hidden(request, super().get_list_display(request))

    def get_search_fields(self, request):
        return self._without_hidden(request, super().get_search_fields(request))

    def get_fieldsets(self, request, obj=None):
        return [
            (name, {**options, "fields": self._without_hidden(request, options["fields"])})
            for name, options in super().get_fieldsets(request, obj)
        ]

    def changelist_view(self, request, extra_context=None):
        without_out_of_range_lookups(request)
        extra_context = {
            **(extra_context or {}),
            "koki_is_organiser": is_organiser(request.user),
            # A moderator's own rooms, for the links to their attendee lists.
            "koki_moderated_rooms": (
                rooms_for(request.user)
                .select_related("event")
                .order_by("event__starts_at", "number")
                if is_moderator(request.user)
                else ()
            ),
        }
        return super().changelist_view(request, extra_context)


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
    """Fill the free seats of `rooms` from their waiting lists; log and report who moved up."""
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
