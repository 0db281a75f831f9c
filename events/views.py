from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.csp import CSP, build_policy
from django.utils.decorators import method_decorator
from django.utils.functional import SimpleLazyObject
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe
from django.views.generic import ListView, TemplateView

from events import cache, legal, selectors, theme
from events.models import embed_origin_list
from events.pages import CachedPageMixin


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
    """The privacy notice a registration for the event consents to: its organiser's own text,
    or koki's default filled in with the organiser's details (events/legal.py)."""

    template_name = "events/privacy.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(legal.privacy_context(organiser=self.event.organiser, event=self.event))
        return context


@method_decorator(xframe_options_exempt, name="dispatch")
class EmbedView(CachedPageMixin, PublicEventMixin, TemplateView):
    """The programme for a frame on the websites the event names (`embed_origins`): no site
    header or footer, links open koki in a new tab. Only this page may be framed: its policy's
    frame-ancestors lists those origins ('none' without any), the rest of the policy is the
    site's, and it sends no X-Frame-Options (which knows no list of origins)."""

    template_name = "events/embed.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = self.event
        context["programme"] = SimpleLazyObject(lambda: selectors.programme_for(event=event))
        context["registration_state"] = event.registration_state()
        return context

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        origins = embed_origin_list(self.event.embed_origins)
        policy = {**settings.SECURE_CSP, "frame-ancestors": origins or [CSP.NONE]}
        # The CSP middleware keeps a policy the view has set.
        response[str(CSP.HEADER_ENFORCE)] = build_policy(policy)
        return response


@require_safe
def theme_css(request, slug: str):
    """The event's accent colour as CSS custom properties (events/theme.py); pages link it with
    the colour in the query, so a changed colour is a new address and a day's caching is safe."""
    event = cache.published_event(slug=slug).event
    css = theme.stylesheet(event.accent_colour) if event.accent_colour else ""
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    patch_cache_control(response, public=True, max_age=24 * 60 * 60)
    return response
