"""The site's own address, for links that leave the browser: mails, calendars, PDFs."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """`path` on this site (settings.SITE_URL, e.g. https://anmeldung.example.org)."""
    return settings.SITE_URL + path


def context(request) -> dict[str, str]:
    """Template context: `site_host`, the site's own host name for webcal:// links (never the
    request's Host header, which a client chooses)."""
    return {"site_host": settings.SITE_URL.partition("://")[2]}
