"""The admin's template tags: occupancy tables (organisers only), the event in the header, the
line that names the time zone of a form's times."""

from django import forms, template
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext

from events.timezones import zone_label
from registrations.dashboard import may_see_dashboard
from registrations.permissions import events_for, events_in_reach
from registrations.roster import event_occupancy, occupancy_overview

register = template.Library()


def _allowed(context) -> bool:
    request = context.get("request")
    return bool(request and may_see_dashboard(request.user))


def occupancy_context(context, overview) -> dict:
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
    return occupancy_context(
        context, occupancy_overview(events=events_for(context["request"].user))
    )


@register.inclusion_tag("admin/registrations/includes/occupancy.html", takes_context=True)
def occupancy_table(context, event):
    """One event."""
    if event is None or event.pk is None or not _allowed(context):
        return {"overview": None}
    return occupancy_context(context, [event_occupancy(event=event)])


@register.simple_tag(takes_context=True)
def koki_header_event(context):
    """The event the admin's header names: of the events the user may see, the next or running
    one, else the latest (one query; none for visitors who are not logged in)."""
    request = context.get("request")
    if request is None or not getattr(request.user, "is_staff", False):
        return None
    reach = events_in_reach(request.user)
    upcoming = reach.upcoming().order_by("starts_at", "pk").first()
    return upcoming or reach.order_by("-starts_at", "-pk").first()


def _has_times(form) -> bool:
    return any(
        isinstance(field, (forms.DateTimeField, forms.SplitDateTimeField, forms.TimeField))
        and not field.disabled
        for field in form.fields.values()
    )


@register.simple_tag(takes_context=True)
def koki_timezone_note(context) -> str:
    """One line above a form whose fields take times: the zone they are in (instead of the
    browser's note under every field)."""
    adminform = context.get("adminform")
    forms_on_page = [adminform.form] if adminform is not None else []
    for inline in context.get("inline_admin_formsets") or []:
        forms_on_page.append(inline.formset.empty_form)
    if not any(_has_times(form) for form in forms_on_page):
        return ""
    zone = getattr(timezone.get_current_timezone(), "key", settings.TIME_ZONE)
    return format_html(
        '<p class="koki-timezone-note">{}</p>',
        gettext("All times on this page are in the time zone %(zone)s.")
        % {"zone": zone_label(zone)},
    )
