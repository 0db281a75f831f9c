"""Receivers of other apps' signals, connected in RegistrationsConfig.ready()."""

from django.utils.translation import gettext

from registrations.admin.common import promote_waiting_list


def promote_after_capacity_raised(sender, *, rooms, request, **kwargs) -> None:
    """More seats (events.signals.room_capacity_raised): the rooms' waiting lists move up.

    The organiser sees who moved up in a message; the admin log records it per registration.
    """
    promote_waiting_list(
        request, rooms, gettext("Moved up from the waiting list: capacity raised.")
    )
