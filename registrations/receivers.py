"""Receivers of other apps' signals, connected in RegistrationsConfig.ready()."""

from django.utils.translation import gettext

from registrations import reminders
from registrations.admin.common import promote_waiting_list


def promote_after_capacity_raised(sender, *, rooms, request, **kwargs) -> None:
    """More seats (events.signals.room_capacity_raised): the rooms' waiting lists move up.

    The organiser sees who moved up in a message; the admin log records it per registration.
    """
    promote_waiting_list(
        request, rooms, gettext("Moved up from the waiting list: capacity raised.")
    )


def schedule_reminders(sender, *, event, **kwargs) -> None:
    """An event or its reminders were saved (events.signals.event_schedule_changed): the worker
    gets each reminder for its current due time."""
    reminders.reminders_schedule(event=event)
