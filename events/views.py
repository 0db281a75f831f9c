from django.conf import settings
from django.shortcuts import redirect
from django.utils import translation
from django.views.generic import ListView, TemplateView

from events import cache, selectors


class PublicEventMixin:
    """The published event named by the URL's `slug`, resolved once per request (404 otherwise)
    from the cache when warm: `self.public` (with its cache generation) and `self.event`.
    `event_cache_entries`: cache entries the view reads with the event (events/cache.py)."""

    event_cache_entries: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        self.public = cache.published_event(slug=kwargs["slug"], entries=self.event_cache_entries)
        self.event = self.public.event
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["event"] = self.event
        language = translation.get_language()
        # Calendar apps send no language: download links carry the page's language along.
        context["export_query"] = "" if language == settings.LANGUAGE_CODE else f"?lang={language}"
        return context


class EventListView(ListView):
    """The start page: the next event directly, or a short list when there are several."""

    template_name = "events/event_list.html"
    context_object_name = "events"

    def get_queryset(self):
        return selectors.event_list_public()

    def get(self, request, *args, **kwargs):
        events = list(self.get_queryset()[:2])
        if len(events) == 1:
            return redirect(events[0])
        return super().get(request, *args, **kwargs)


class PrivacyView(PublicEventMixin, TemplateView):
    """The event's privacy notice: the organiser's own text, or the site-wide default."""

    template_name = "events/privacy.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            purge_after_days=settings.KOKI_PURGE_AFTER_DAYS,
            privacy_contact=settings.KOKI_PRIVACY_CONTACT,
            **kwargs,
        )
