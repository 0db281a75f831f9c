"""The page in each language, for <link rel="alternate" hreflang> in templates/base.html."""

import functools

from django.conf import settings

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
