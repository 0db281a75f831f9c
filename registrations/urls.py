from django.urls import path, re_path

from registrations import views

app_name = "registrations"

# The secret link token: url-safe base64 (see registrations.models.new_token).
SECRET_LINK = r"(?P<token>[A-Za-z0-9_-]{20,64})"  # noqa: S105 (a pattern, not a secret)

urlpatterns = [
    path("events/<slug:slug>/register/", views.RegisterView.as_view(), name="register"),
    path("events/<slug:slug>/register/done/", views.RegisterDoneView.as_view(), name="done"),
    path("events/<slug:slug>/resend/", views.SendLinkView.as_view(), name="resend"),
    re_path(rf"^r/{SECRET_LINK}/$", views.ManageView.as_view(), name="manage"),
    re_path(rf"^r/{SECRET_LINK}/room/$", views.ManageView.as_view(), name="change_room"),
    re_path(rf"^r/{SECRET_LINK}/confirm/$", views.ConfirmView.as_view(), name="confirm"),
    re_path(rf"^r/{SECRET_LINK}/cancel/$", views.CancelView.as_view(), name="cancel"),
    re_path(rf"^r/{SECRET_LINK}/delete/$", views.DeleteView.as_view(), name="delete"),
    re_path(rf"^r/{SECRET_LINK}/data\.json$", views.DataExportView.as_view(), name="data"),
]
