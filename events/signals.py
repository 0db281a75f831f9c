"""Signals of the events app. Other apps connect to them; events imports none of those apps."""

from django.dispatch import Signal

# Sent by the events admin after an organiser raised the capacity of rooms (more precisely:
# changed it; receivers fill whatever seats are free, which is nothing when it went down), once
# the rooms are saved. sender: the Room model; rooms: list of the Room objects;
# request: the admin request, for the admin log and messages to the organiser.
room_capacity_raised = Signal()

# Sent by the events admin (and the demo loader) after an event and its reminders were saved:
# its reminders may be due at another time now. sender: the Event model; event: the Event.
event_schedule_changed = Signal()
