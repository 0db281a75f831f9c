"""Who may see personal data in the admin: members of the "Organisers" group (and superusers).

Other staff (for example someone who edits the programme) see events, rooms and the agenda, but
no registrations, attendee lists or messages.
"""

ORGANISERS_GROUP = "Organisers"


def is_organiser(user) -> bool:
    """Active staff in the Organisers group, or a superuser. Cached on the user for the request."""
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_koki_is_organiser", None)
    if cached is None:
        cached = user.groups.filter(name=ORGANISERS_GROUP).exists()
        user._koki_is_organiser = cached
    return cached
