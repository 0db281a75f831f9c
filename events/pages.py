"""Whole public pages from the cache (events/cache.py), for views of one published event.

A view with `CachedPageMixin` declares in one place what its page shows besides the event's
programme: `page_depends_on()` (part of the key, with the event's generation, the path, the
language and the registration state) and `page_holes()` (what changes too often to be part of
the key, such as the seats left: filled into the stored page for each request). A form's CSRF
token is a hole too, filled with the visitor's own. Only anonymous GETs without a query string
and without pending messages get the stored page; everyone else gets a page rendered for them.

A hole is a marker only this site can write (it contains a digest of the secret key): text an
organiser or attendee enters can never be mistaken for one.
"""

import functools
import re

from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from events import cache


@functools.cache
def _digest() -> str:
    return salted_hmac("koki.pages.hole", "marker", algorithm="sha256").hexdigest()[:20]


def hole(name: str) -> SafeString:
    """The marker for hole `name` ([a-z0-9_]), for a template or a form label."""
    return mark_safe(f"koki-hole-{_digest()}-{name}-")  # noqa: S308 (letters, digits, _ and -)


def split(html: str) -> tuple[str, ...]:
    """`html` cut at its holes: text, hole name, text, hole name, …, text (stored this way, so
    that each request only joins)."""
    return tuple(re.split(rf"koki-hole-{_digest()}-([a-z0-9_]+)-", html))


def fill(parts: tuple[str, ...], values: dict[str, str]) -> str:
    """The page `split` cut, with `values` (hole name: HTML) in its holes."""
    return "".join(values.get(part, "") if index % 2 else part for index, part in enumerate(parts))


def page_cacheable(request: HttpRequest) -> bool:
    """Only anonymous GETs without a query string and without pending messages."""
    return (
        request.method in {"GET", "HEAD"}
        and not request.META.get("QUERY_STRING")
        and not request.user.is_authenticated
        and len(get_messages(request)) == 0  # counts without marking them as shown
    )


class CachedPageMixin:
    """For TemplateView-like views with `self.public` (cache.PublicEvent) set in dispatch."""

    def page_depends_on(self) -> tuple:
        """What the page shows besides the programme, language and registration state."""
        return ()

    def page_holes(self) -> dict[str, str]:
        """Hole name: its HTML (escaped), for this request."""
        return {}

    @cached_property
    def render_with_holes(self) -> bool:
        return page_cacheable(self.request)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.render_with_holes:
            context["csrf_token"] = hole("csrf")
            context["holes"] = True
        return context

    def get(self, request, *args, **kwargs):
        if not self.render_with_holes:
            return super().get(request, *args, **kwargs)
        key = self.public.key(
            "page",
            request.path,
            get_language(),
            self.public.event.registration_state(),
            self.page_depends_on(),
        )
        parts = cache.cached(key, lambda: self._render(request, *args, **kwargs))
        values = dict(self.page_holes())
        if "csrf" in parts[1::2]:  # a page with a form: this visitor's token (and cookie)
            values["csrf"] = get_token(request)
        return HttpResponse(fill(parts, values))

    def _render(self, request, *args, **kwargs) -> tuple[str, ...]:
        response = super().get(request, *args, **kwargs)
        response.render()
        if response.status_code != 200:
            raise RuntimeError("Only complete pages are cached.")
        return split(response.content.decode())
