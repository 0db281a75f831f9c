"""The legal pages: legal notice (Impressum, § 5 DDG), privacy notice (Art. 13 DSGVO) and
accessibility statement (BITV 2.0 § 12b), per organiser.

/impressum/, /datenschutz/ and /barrierefreiheit/ show the site operator's
(`Organiser.objects.site_operator()`); /impressum/<organiser>/ etc. those of one organiser, which
its events' pages link to. A site without any organiser still answers, with the defaults and a
note that the operator's details are missing.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.views.generic import TemplateView

from events.models import SCHLICHTUNGSSTELLE_URL, Event, Organiser


class OrganiserPageMixin:
    """`self.organiser`: the organiser named by the URL, else the site's operator (or None)."""

    def dispatch(self, request, *args, **kwargs):
        if slug := kwargs.get("organiser"):
            self.organiser = get_object_or_404(Organiser, slug=slug)
        else:
            self.organiser = Organiser.objects.site_operator()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs["organiser"] = self.organiser  # the object, not the URL's short name
        return super().get_context_data(
            language=translation.get_language(),
            privacy_contact=settings.KOKI_PRIVACY_CONTACT,
            default_enforcement_url=SCHLICHTUNGSSTELLE_URL,
            **kwargs,
        )


class ImprintView(OrganiserPageMixin, TemplateView):
    template_name = "legal/imprint.html"


class AccessibilityView(OrganiserPageMixin, TemplateView):
    template_name = "legal/accessibility.html"


def privacy_context(*, organiser: Organiser | None, event: Event | None = None) -> dict:
    """What the privacy notice shows: the organiser's own text or koki's default."""
    return {
        "organiser": organiser,
        "event": event,
        "purge_after_days": settings.KOKI_PURGE_AFTER_DAYS,
        "privacy_contact": (organiser.privacy_contact if organiser else "")
        or settings.KOKI_PRIVACY_CONTACT,
        "language": translation.get_language(),
    }


class PrivacyNoticeView(OrganiserPageMixin, TemplateView):
    """The organiser's privacy notice for all of its events."""

    template_name = "legal/privacy.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(privacy_context(organiser=self.organiser))
        return context
