from django.urls import path

from events import legal, views
from events.exports import views as export_views

app_name = "events"

# The event page itself (with its rooms' seats) is registrations:event.
urlpatterns = [
    path("", views.EventListView.as_view(), name="list"),
    path("events/<slug:slug>/privacy/", views.PrivacyView.as_view(), name="privacy"),
    # The legal pages of the site's operator, and of each organiser (events/legal.py).
    path("impressum/", legal.ImprintView.as_view(), name="imprint"),
    path("impressum/<slug:organiser>/", legal.ImprintView.as_view(), name="imprint"),
    path("datenschutz/", legal.PrivacyNoticeView.as_view(), name="privacy_notice"),
    path(
        "datenschutz/<slug:organiser>/",
        legal.PrivacyNoticeView.as_view(),
        name="privacy_notice",
    ),
    path("barrierefreiheit/", legal.AccessibilityView.as_view(), name="accessibility"),
    path(
        "barrierefreiheit/<slug:organiser>/",
        legal.AccessibilityView.as_view(),
        name="accessibility",
    ),
    path("events/<slug:slug>/embed/", views.EmbedView.as_view(), name="embed"),
    path("events/<slug:slug>/theme.css", views.theme_css, name="theme"),
    path("events/<slug:slug>/programme.pdf", export_views.programme_pdf, name="programme_pdf"),
    path("events/<slug:slug>/programme.ics", export_views.programme_ical, name="programme_ical"),
    path("events/<slug:slug>/rooms/<int:number>.ics", export_views.room_ical, name="room_ical"),
    path("events/<slug:slug>/schedule.xml", export_views.schedule_xml, name="schedule_xml"),
    path("events/<slug:slug>/schedule.json", export_views.schedule_json, name="schedule_json"),
]
