"""The organisers' admin, by sub-domain: registrations (list, actions, occupancy, attendee
lists), mailings (messages to attendees) and reminders. Importing the modules registers their
ModelAdmins.
"""

from registrations.admin import failed_mails, mailings, registrations, reminders  # noqa: F401
