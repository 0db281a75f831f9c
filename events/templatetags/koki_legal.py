"""`legal_links`: the footer's links to the legal notice, privacy notice, accessibility
statement and contact of the organiser a page belongs to (templates/includes/legal_links.html).

A page of an event (or of a registration) names its event's organiser, which came with the
event (no query), and an organiser's legal pages name their organiser. Every other page links
to the site's own legal pages, whose contact section holds the address: the footer reads
nothing from the database, so the error pages keep it.
"""

from django import template
from django.urls import reverse

from events.models import Organiser

register = template.Library()


@register.simple_tag(takes_context=True)
def legal_links(context) -> dict:
    event = context.get("event")
    if event is None and (registration := context.get("registration")) is not None:
        event = getattr(registration, "event", None)
    organiser = getattr(event, "organiser", None) if event is not None else None
    if organiser is None and isinstance(context.get("organiser"), Organiser):
        organiser, event = context["organiser"], None
    kwargs = {"organiser": organiser.slug} if organiser is not None else {}
    imprint = reverse("events:imprint", kwargs=kwargs)
    return {
        "organiser": organiser,
        "imprint": imprint,
        "privacy": (
            reverse("events:privacy", kwargs={"slug": event.slug})
            if event is not None and organiser is not None
            else reverse("events:privacy_notice", kwargs=kwargs)
        ),
        "accessibility": reverse("events:accessibility", kwargs=kwargs),
        "contact": (
            f"mailto:{organiser.contact_email}"
            if organiser is not None and organiser.contact_email
            else f"{imprint}#contact"
        ),
    }
