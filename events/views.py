from django.conf import settings
from django.shortcuts import redirect
from django.views.generic import DetailView, ListView

from events import selectors


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
        return selectors.event_get_public(slug=self.kwargs["slug"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["programme"] = selectors.programme_for(event=self.object)
        context["registration_state"] = self.object.registration_state()
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
