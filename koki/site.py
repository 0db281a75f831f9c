"""The site's own address, for links that leave the browser: mails, calendars, PDFs."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """`path` on this site (settings.SITE_URL, e.g. https://anmeldung.example.org)."""
    return settings.SITE_URL + path
