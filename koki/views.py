"""Error pages: 400, 403 (and CSRF failures), 404, 429, 500 and 503.

They render without touching the database, so they still work when it is down: base.html reads
nothing from it, and the messages list (which could fall back to the database session) is
replaced by an empty one. They never show the exception, the request data or a traceback.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

DATABASE_ERRORS = (OperationalError, InterfaceError)


def error_page(request, status: int, *, context: dict | None = None) -> HttpResponse:
    template = loader.get_template(f"{status}.html")
    content = template.render({"messages": (), **(context or {})}, request)
    return HttpResponse(content, status=status)


def bad_request(request, exception=None):
    return error_page(request, 400)


def permission_denied(request, exception=None):
    return error_page(request, 403)


def csrf_failure(request, reason=""):
    """The form was sent without a valid CSRF token: usually an expired page or blocked cookies."""
    return error_page(request, 403, context={"csrf_failure": True})


def page_not_found(request, exception=None):
    return error_page(request, 404)


def rate_limited(request, *, retry_after: int = 60) -> HttpResponse:
    response = error_page(request, 429, context={"retry_minutes": max(1, -(-retry_after // 60))})
    response["Retry-After"] = str(retry_after)
    return response


def service_unavailable(request) -> HttpResponse:
    response = error_page(request, 503)
    response["Retry-After"] = "60"
    return response


def server_error(request):
    """Django calls this inside its `except` block: a database outage becomes the 503 page."""
    if isinstance(sys.exception(), DATABASE_ERRORS):
        return service_unavailable(request)
    return error_page(request, 500)
