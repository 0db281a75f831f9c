"""The organisers' admin, by sub-domain: registrations (list, actions, occupancy, attendee
lists) and mailings (messages to attendees). Importing the modules registers their ModelAdmins.
"""

from registrations.admin import mailings, registrations  # noqa: F401
