"""`quoted`: a title in the active language's quotation marks, unless it has its own."""

from django import template
from django.utils.translation import gettext

register = template.Library()

# Double quotation marks of German, English and French typography, and the typewriter's.
QUOTATION_MARKS = frozenset('„“”«»‹›‚"')


def quoted_text(text: str) -> str:
    """“Text” (German: „Text“); a text that already contains quotation marks as it is, so that
    „#KoKI – …“ in a title never gets a second pair around it."""
    text = str(text)
    if not text or QUOTATION_MARKS.intersection(text):
        return text
    return gettext("“%(text)s”") % {"text": text}


@register.filter(is_safe=True)
def quoted(value) -> str:
    return quoted_text(value)
