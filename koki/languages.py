"""The page in each language, for <link rel="alternate" hreflang> in templates/base.html."""

import functools

from django.conf import settings
from django.utils import translation

from koki.site import absolute_url
from koki.views import same_page_in


def alternates(request) -> list[tuple[str, str]]:
    """(hreflang, absolute URL) of this page in every language, plus x-default (German); empty
    for a page that has no language in its address (the admin) or is behind a secret link."""
    match = getattr(request, "resolver_match", None)
    if match is None or "token" in match.kwargs:
        return []
    urls = [(code, same_page_in(request.path_info, code)) for code, _name in settings.LANGUAGES]
    if len({url for _code, url in urls}) < len(urls):
        return []
    default = dict(urls)[settings.LANGUAGE_CODE]
    return [(code, absolute_url(url)) for code, url in [*urls, ("x-default", default)]]


def context(request) -> dict:
    """Template context: `language_alternates`, computed only where a template asks."""
    return {"language_alternates": functools.partial(alternates, request)}


def own_language_address(request, language: str) -> str | None:
    """Where a personal link without a language leads a person who registered in `language`:
    the same page at its address in that language (a link mailed before pages had English
    addresses). None when the address names its language, the visitor chose one with the
    switcher, `language` is the default, or the request is no GET/HEAD."""
    if (
        request.method not in {"GET", "HEAD"}
        or language == settings.LANGUAGE_CODE
        or language not in dict(settings.LANGUAGES)
        or translation.get_language_from_path(request.path_info)
        or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in dict(settings.LANGUAGES)
    ):
        return None
    address = same_page_in(request.get_full_path(), language)
    return address if address != request.get_full_path() else None
