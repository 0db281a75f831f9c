import logging

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

from koki.views import DATABASE_ERRORS, service_unavailable

logger = logging.getLogger("koki.resilience")


class GermanFirstLocaleMiddleware(LocaleMiddleware):
    """German unless the person chose another language with the switcher (a cookie).

    The browser's Accept-Language is not consulted: the audience is German, and a page
    that changes language by itself surprises more people than it helps.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        # Responses vary with the cookie, never with Accept-Language (Django's LocaleMiddleware
        # would say so in Vary, and shared caches would keep a copy per browser language).
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class PermissionsPolicyMiddleware:
    """Every response says which browser features koki's pages may use: none of the powerful
    ones (settings.KOKI_PERMISSIONS_POLICY)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.KOKI_PERMISSIONS_POLICY)
        return response


class SecretLinkMiddleware:
    """Pages behind a secret link (any URL with a `token` argument, e.g. /r/<token>/) are never
    stored by browsers or shared caches, and never indexed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and "token" in match.kwargs:
            patch_cache_control(response, private=True, no_store=True)
            response["X-Robots-Tag"] = "noindex, nofollow"
        return response


class DatabaseUnavailableMiddleware:
    """A database outage answers with a plain 503 page instead of a 500 and a traceback.

    Errors raised in views land here; errors raised elsewhere (another middleware, a session
    save) reach `koki.views.server_error`, which does the same.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            # The class only: a database error's text can quote row values.
            logger.error("Database unavailable (%s)", type(exception).__name__)
            return service_unavailable(request)
        return None
