"""Error pages: 400, 403 (and CSRF failures), 404, 429, 500 and 503.

They render without touching the database, so they still work when it is down: base.html reads
nothing from it, and the messages list (which could fall back to the database session) is
replaced by an empty one. They never show the exception, the request data or a traceback.
Under /api/ (koki/api.py) they are JSON: {"detail": "Not Found"}.
"""

import sys
from http import HTTPStatus

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template import loader
from django.urls import translate_url
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

DATABASE_ERRORS = (OperationalError, InterfaceError)


API_PREFIX = "/api/"


def error_page(request, status: int, *, context: dict | None = None) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": HTTPStatus(status).phrase}, status=status)
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


def same_page_in(url: str, code: str) -> str:
    """`url` (a path on this site) in language `code`; unchanged if it has no language."""
    source = translation.get_language_from_path(url) or settings.LANGUAGE_CODE
    with translation.override(source):
        return translate_url(url, code)


@require_safe
def switch_language(request, code: str):
    """Remember the visitor's language (a cookie) and go to `?next=` on this site, in that
    language (/en/… for English, /… for German).

    A link rather than a form: the pages need no CSRF token for it, so pages without a form of
    their own are the same for every visitor. Changing someone's display language is all a
    forged link can do.
    """
    if code not in dict(settings.LANGUAGES):
        raise Http404
    next_url = request.GET.get("next", "")
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(same_page_in(next_url, code))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    add_never_cache_headers(response)
    return response
