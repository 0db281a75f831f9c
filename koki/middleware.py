import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.urls import is_valid_path
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext

from koki.views import DATABASE_ERRORS, service_unavailable

logger = logging.getLogger("koki.resilience")

SAFE = {"GET", "HEAD"}


class GermanFirstLocaleMiddleware(LocaleMiddleware):
    """The language of a page is in its address: German at /…, English at /en/….

    Someone who chose English with the switcher (a cookie) and opens a German address of a page
    (a link someone sent, an old bookmark) is sent on to its English address with a GET; the
    switch back to German sets the cookie to German. Addresses without a language (the admin,
    the API), and a form sent to a German address, follow the cookie, else German. The
    browser's Accept-Language is not consulted: the audience is German, and a page that changes
    language by itself surprises more people than it helps.
    """

    def process_request(self, request):
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        from_path = translation.get_language_from_path(request.path_info)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in dict(settings.LANGUAGES):
            chosen = None
        language = from_path or chosen or settings.LANGUAGE_CODE
        if not from_path and language != settings.LANGUAGE_CODE:
            localized = _has_language_address(request.path_info, language, urlconf)
            if localized and request.method in SAFE:
                return self._to_chosen_language(request, language)
            if localized:
                # A form sent to a German address: found as German, answered in the language
                # chosen (process_view).
                request.koki_view_language = language
                language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        language = getattr(request, "koki_view_language", None)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language

    @staticmethod
    def _to_chosen_language(request, language: str):
        path = f"{request.META.get('SCRIPT_NAME', '')}/{language}{request.path_info}"
        query = request.META.get("QUERY_STRING", "")
        response = HttpResponseRedirect(f"{path}?{query}" if query else path)
        patch_cache_control(response, private=True)
        return response

    def process_response(self, request, response):
        # Responses vary with the cookie, never with Accept-Language (Django's LocaleMiddleware
        # would say so in Vary, and shared caches would keep a copy per browser language).
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _has_language_address(path: str, language: str, urlconf) -> bool:
    """Whether `path` is a page with an address in `language` (/en/…), also once
    CommonMiddleware has added its missing slash."""
    candidates = [path] + ([f"{path}/"] if settings.APPEND_SLASH and path[-1:] != "/" else [])
    with translation.override(language):
        return any(is_valid_path(f"/{language}{candidate}", urlconf) for candidate in candidates)


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


class AdminSelectionMiddleware:
    """An admin action posted with a selection that is no primary key of the model
    (`_selected_action=abc`, `1%00`, a number past the column's range) goes back to the list with
    a message, for every model admin (Django's own filters on the values as they come and fails
    with a 500)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)  # set by ModelAdmin.get_urls
        if model_admin is None or request.method != "POST" or not request.user.is_staff:
            return None
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        if all(_is_key(model_admin.model._meta.pk, value) for value in selected):
            return None
        messages.error(request, gettext("The selection is not valid. Please select again."))
        return redirect(request.get_full_path())


def _is_key(field, value: str) -> bool:
    """Whether `value` can be a primary key of `field`'s model (type and the column's range)."""
    try:
        key = field.to_python(value)
        field.run_validators(key)
    except (ValidationError, ValueError, TypeError):
        return False
    if isinstance(key, int):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        return (low if low is not None else -(2**63)) <= key <= (high or 2**63 - 1)
    return "\x00" not in str(key)
