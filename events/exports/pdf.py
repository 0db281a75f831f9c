"""The printable programme (A4 PDF) rendered by WeasyPrint: a handout whose first page holds
the title, date and time, the agenda, the break-out rooms at a glance and a QR code to the event
page; the description, the items' details, the speakers and the source note follow.

WeasyPrint fetches nothing by itself: `StaticOnlyFetcher` serves our own static files (the print
stylesheet) from disk and refuses every other URL (http, https, file, data, …), so nothing an
organiser types into a description can make the server open a file or a connection. Fonts come
from the system through fontconfig (DejaVu) and are embedded as subsets.
"""

import logging
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from events.selectors import Programme
from koki.site import absolute_url

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/pdf"
TEMPLATE = "pdf/programme.html"
MIME_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


class RefusedURL(ValueError):
    """WeasyPrint asked for a URL that is not one of our static files."""


def base_url() -> str:
    return settings.SITE_URL + "/"


def static_prefix() -> str:
    """The absolute URL under which the PDF template's `{% static %}` links point."""
    prefix = settings.STATIC_URL
    if not urlsplit(prefix).scheme:
        prefix = settings.SITE_URL + "/" + prefix.lstrip("/")
    return prefix


def static_file_for(url: str) -> Path:
    """The file on disk for one of our static URLs, or RefusedURL."""
    prefix = static_prefix()
    if not url.startswith(prefix):
        raise RefusedURL(f"not one of our static files: {url[:200]}")
    split = urlsplit(url)
    name = posixpath.normpath(unquote(url[len(prefix) :].split("?")[0].split("#")[0]))
    if split.query or name.startswith(("..", "/")) or "\x00" in name:
        raise RefusedURL(f"not one of our static files: {url[:200]}")
    extension = posixpath.splitext(name)[1].lower()
    if extension not in MIME_TYPES:
        raise RefusedURL(f"not a stylesheet or image: {url[:200]}")
    found = finders.find(name)
    if found:
        return Path(found)
    # Production: the collected (hashed) copy in STATIC_ROOT.
    if staticfiles_storage.exists(name):
        return Path(staticfiles_storage.path(name))
    raise RefusedURL(f"no such static file: {url[:200]}")


class StaticOnlyFetcher(URLFetcher):
    """Serves our static files; refuses everything else without opening any connection."""

    def __init__(self):
        super().__init__(allowed_protocols=(), fail_on_errors=False)

    def fetch(self, url, headers=None):
        path = static_file_for(url)
        return URLFetcherResponse(
            url,
            body=path.read_bytes(),
            headers={"Content-Type": MIME_TYPES[path.suffix.lower()]},
        )


def qr_code(url: str) -> segno.QRCode:
    """The QR code that leads to `url` (error correction M: a folded or smudged print still
    reads)."""
    return segno.make_qr(url, error="m")


def qr_svg(url: str) -> SafeString:
    """The QR code of `url` as inline SVG for the PDF: drawn here by segno, no file and no
    network; sized by the print stylesheet (.qr-code)."""
    svg = qr_code(url).svg_inline(scale=1, border=4, omitsize=True, svgclass="qr-code")
    label = escape(_("QR code: %(url)s") % {"url": url})
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))  # noqa: S308 (segno's SVG; the label escaped)


def programme_html(*, programme: Programme, language: str) -> str:
    event = programme.event
    with translation.override(language), timezone.override(event.tzinfo):
        event_url = absolute_url(event.get_absolute_url())  # the page in `language`
        return render_to_string(
            TEMPLATE,
            {
                "event": event,
                "programme": programme,
                "language": language,
                "event_url": event_url,
                "qr_svg": qr_svg(event_url),
                "details": [item for item in programme.items if item.description],
                "generated_at": timezone.localtime(timezone.now(), event.tzinfo),
                "page_label": _("Page"),
                "page_of": _("of"),
                "spans_days": timezone.localdate(event.starts_at, event.tzinfo)
                != timezone.localdate(event.ends_at, event.tzinfo),
            },
        )


def html_to_pdf(html: str) -> bytes:
    """Render HTML (ours) to PDF bytes, fetching only our static files."""
    document = HTML(string=html, base_url=base_url(), url_fetcher=StaticOnlyFetcher())
    return document.write_pdf(pdf_tags=True)


def programme_pdf(*, programme: Programme, language: str) -> bytes:
    """The printable programme of `programme.event` in `language` ("de" or "en")."""
    return html_to_pdf(programme_html(programme=programme, language=language))
