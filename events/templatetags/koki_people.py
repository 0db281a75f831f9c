"""How people are shown on the public pages."""

from django import template

register = template.Library()


@register.filter
def initials(name: str) -> str:
    """The initials of a name for a speaker without a photo: "Dr. Anja C. Wagner" → "AW"
    (titles and middle initials ending in a dot are left out)."""
    words = [word for word in str(name).split() if not word.endswith(".")] or str(name).split()
    if not words:
        return ""
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()
