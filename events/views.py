from django.conf import settings
from django.shortcuts import redirect
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.views.generic import DetailView, ListView

from events import caching, selectors
from events.exports.views import export_sizes


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


class EventDetailView(DetailView):
    template_name = "events/event_detail.html"
    context_object_name = "event"

    def get_object(self, queryset=None):
        # The event and the key of its cached article, from the cache when warm (events/caching.py).
        self.page = caching.event_page(
            slug=self.kwargs["slug"],
            language=translation.get_language(),
            host=self.request.get_host(),
        )
        return self.page.event

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()

        def render():
            return self.render_to_response(self.get_context_data(object=self.object))

        if not caching.whole_page_allowed(request):
            return render()
        return caching.serve_page(request=request, key=self.page.key, render=render)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = self.object
        # Loaded only when the cached article has to be rendered afresh.
        context["programme"] = SimpleLazyObject(lambda: selectors.programme_for(event=event))
        context["registration_state"] = event.registration_state()
        context["page_cache_key"] = self.page.key
        context["page_cache_seconds"] = caching.PAGE_SECONDS
        language = translation.get_language()
        context["export_sizes"] = SimpleLazyObject(
            lambda: export_sizes(event=event, language=language)
        )
        # Calendar apps send no language: the links carry the page's language along.
        context["export_query"] = "" if language == settings.LANGUAGE_CODE else f"?lang={language}"
        return context


class PrivacyView(DetailView):
    """The event's privacy notice: the organiser's own text, or the site-wide default."""

    template_name = "events/privacy.html"
    context_object_name = "event"

    def get_object(self, queryset=None):
        return selectors.event_get_public(slug=self.kwargs["slug"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            purge_after_days=settings.KOKI_PURGE_AFTER_DAYS,
            privacy_contact=settings.KOKI_PRIVACY_CONTACT,
            **kwargs,
        )
