"""What the registrations and the mailings admin share: who may see them, the admin log, ids.

promote_waiting_list is also what registrations.receivers runs when an organiser raised the
capacity of rooms in the events admin (events.signals.room_capacity_raised).
"""

from django.contrib import messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.utils.translation import ngettext

from registrations import services
from registrations.models import Registration
from registrations.permissions import is_organiser

MAX_ID = 2**63 - 1  # BigAutoField


def is_id(value) -> bool:
    """A primary key as it comes in a URL or a form: ASCII digits, within the database's range.

    Check before querying: "abc", "1\\x00", "²" or 20 digits are "not found", not a 500.
    """
    return isinstance(value, str) and value.isascii() and value.isdigit() and int(value) <= MAX_ID


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
