"""Occupancy tables for the admin index and the event's admin page (organisers only)."""

from django import template

from registrations.permissions import events_for, is_organiser
from registrations.roster import event_occupancy, occupancy_overview

register = template.Library()


def _allowed(context) -> bool:
    request = context.get("request")
    return bool(
        request
        and is_organiser(request.user)
        and request.user.has_perm("registrations.view_registration")
    )


def _context(context, overview) -> dict:
    request = context["request"]
    return {
        "overview": overview,
        "can_change": request.user.has_perm("registrations.change_registration"),
        "can_write": request.user.has_perm("registrations.add_mailing"),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("admin/registrations/includes/occupancy.html", takes_context=True)
def occupancy_overview_tables(context):
    """Every current event of the user's teams (see roster.events_for_overview)."""
    if not _allowed(context):
        return {"overview": None}
    return _context(context, occupancy_overview(events=events_for(context["request"].user)))


@register.inclusion_tag("admin/registrations/includes/occupancy.html", takes_context=True)
def occupancy_table(context, event):
    """One event."""
    if event is None or event.pk is None or not _allowed(context):
        return {"overview": None}
    return _context(context, [event_occupancy(event=event)])
