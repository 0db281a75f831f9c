"""Every public URL of the registrations side: an event's pages (by slug) and the pages behind a
person's secret link (/r/<token>/…, one token pattern for all of them)."""

from django.urls import path, register_converter

from registrations.views import answers, certificate, eventday, personal, public


class TokenConverter:
    """A secret link token: url-safe base64 (registrations.models.new_token makes 32 characters).
    Anything else never reaches a view, let alone the database."""

    regex = r"[A-Za-z0-9_-]{20,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class PlaceConverter:
    """Where a join link leads: "plenary" or a room's number in the event."""

    regex = r"plenary|[0-9]{1,4}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


register_converter(TokenConverter, "token")
register_converter(PlaceConverter, "place")

app_name = "registrations"

urlpatterns = [
    path("events/<slug:slug>/", public.EventPageView.as_view(), name="event"),
    path("events/<slug:slug>/register/", public.RegisterView.as_view(), name="register"),
    path("events/<slug:slug>/register/done/", public.RegisterDoneView.as_view(), name="done"),
    path("events/<slug:slug>/resend/", public.SendLinkView.as_view(), name="resend"),
    path("r/<token:token>/", personal.ManageView.as_view(), name="manage"),
    path("r/<token:token>/room/", personal.ManageView.as_view(), name="change_room"),
    path("r/<token:token>/confirm/", personal.ConfirmView.as_view(), name="confirm"),
    path("r/<token:token>/cancel/", personal.CancelView.as_view(), name="cancel"),
    path("r/<token:token>/delete/", personal.DeleteView.as_view(), name="delete"),
    path("r/<token:token>/answers/", answers.AnswersView.as_view(), name="answers"),
    path("r/<token:token>/data.json", personal.DataExportView.as_view(), name="data"),
    path("r/<token:token>/calendar.ics", personal.personal_calendar, name="calendar"),
    path("r/<token:token>/certificate.pdf", certificate.certificate_pdf, name="certificate"),
    path("r/<token:token>/join/<place:place>/", eventday.join, name="join"),
]
