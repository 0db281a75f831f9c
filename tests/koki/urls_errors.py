"""The project's URLs plus views that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError
from django.http import HttpResponse
from django.urls import path

from koki.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def boom(request):
    raise ValueError("Could not register erika.mustermann@example.org for room 3")


def forbidden(request):
    raise PermissionDenied("erika.mustermann@example.org may not")


def suspicious(request):
    raise SuspiciousOperation("tampered field from erika.mustermann@example.org")


def database_gone(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')


def secret(request, token):
    return HttpResponse("secret page")


urlpatterns = [
    path("test/boom/", boom),
    path("test/forbidden/", forbidden),
    path("test/suspicious/", suspicious),
    path("test/database-gone/", database_gone),
    path("test/r/<str:token>/", secret),
    *urlpatterns,
]
