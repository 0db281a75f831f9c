"""Copy an event for its next edition: an action of the events list (and a button on the event's
page, templates/admin/events/event/change_form.html, that runs it) that asks for the new date,
title and short name, then calls services.event_copy.

The form posts back to the list as the same action (with the event selected), so the copy
needs no URL of its own and the list's permission checks and scoping apply to it.
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from events import services
from events.models import Event

ACTION = "copy_for_new_date"


class EventCopyForm(forms.Form):
    title = forms.CharField(label=_("Title of the new edition"), max_length=200)
    slug = forms.SlugField(
        label=_("Short name (URL)"),
        max_length=80,
        help_text=_("Letters, digits and hyphens; part of the event's address."),
    )
    starts_on = forms.DateField(
        label=_("New date (first day)"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Every time of the programme moves by the same number of days."),
    )

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if Event.objects.filter(slug=slug).exists():
            raise ValidationError(
                _("Another event has this short name already."), code="slug_taken"
            )
        return slug

    def clean_starts_on(self):
        day = self.cleaned_data["starts_on"]
        if not dt.date(2000, 1, 1) <= day <= dt.date(2999, 12, 31):
            raise ValidationError(_("Please enter a date between 2000 and 2999."), code="range")
        return day


def _initial(event: Event) -> dict:
    start = timezone.localtime(event.starts_at, event.tzinfo).date()
    try:
        next_year = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        next_year = start + dt.timedelta(days=365)
    return {
        "title": event.title,
        "slug": services.event_slug_free(base=f"{event.slug}-{next_year.year}"),
        "starts_on": next_year,
    }


@admin.action(
    description=_("Copy for a new date …"),
    permissions=["add"],
    location=[ActionLocation.CHANGE_LIST],  # the event's page has a button of its own
)
def copy_for_new_date(modeladmin, request, queryset):
    """Ask for the new date (and title, short name); then copy the one selected event."""
    events = list(queryset[:2])
    if len(events) != 1:
        modeladmin.message_user(
            request, gettext("Please choose exactly one event to copy."), messages.ERROR
        )
        return None
    event = events[0]
    if "starts_on" in request.POST:
        form = EventCopyForm(request.POST)
        if form.is_valid():
            new = services.event_copy(event=event, **form.cleaned_data)
            if not request.user.is_superuser:
                new.team.add(request.user)  # whoever copies an event runs the copy
            message = gettext("Copied from “%(event)s”.") % {"event": event.title}
            modeladmin.log_addition(request, new, message)
            modeladmin.message_user(
                request,
                gettext(
                    "“%(event)s” was copied for %(date)s, unpublished and without "
                    "registrations. Please enter the meeting addresses and the moderators' "
                    "accounts of the rooms, check it and publish it."
                )
                % {"event": new.title, "date": new.local_span()},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:events_event_change", args=[new.pk]))
    else:
        form = EventCopyForm(initial=_initial(event))
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": gettext("Copy “%(event)s” for a new date") % {"event": event.title},
        "event": event,
        "form": form,
        "action": ACTION,
        "counts": {
            "rooms": event.rooms.count(),
            "items": event.agenda_items.count(),
            "reminders": event.reminders.count(),
        },
    }
    return TemplateResponse(request, "admin/events/event/copy.html", context)
