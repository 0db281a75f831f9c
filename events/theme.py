"""An event's own look: its accent colour (checked for contrast) and the stylesheet that applies
it, served as a file (events.views.theme_css) since the Content Security Policy allows no inline
style.

The accent is used for buttons (white text on it) and for links and headings on white and on
the light shade of the accent that boxes and bands use (`--koki-accent-soft`, the darkest
background text in the accent stands on): each needs a contrast ratio of at least 4.5:1
(WCAG 2.1, 1.4.3).
"""

import math
import re

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from events.images import ImageRules, image_check, image_clean

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_CONTRAST = 4.5
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 2000


def rgb(colour: str) -> tuple[int, int, int]:
    """ "#0b5394" as (11, 83, 148)."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def hex_colour(red: float, green: float, blue: float) -> str:
    return "#" + "".join(f"{round(min(max(part, 0), 255)):02x}" for part in (red, green, blue))


def luminance(colour: str) -> float:
    """The relative luminance of WCAG 2.1."""

    def linear(part: int) -> float:
        value = part / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(part) for part in rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    """The contrast ratio of two colours (1 to 21)."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def validate_accent_colour(value: str) -> None:
    if not HEX_COLOUR.match(value):
        raise ValidationError(
            _("Please enter a colour as # and six hexadecimal digits, such as #0b5394."),
            code="hex_colour",
        )
    ratio = min(contrast(value, "#ffffff"), contrast(value, soft(value)))
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            _(
                "This colour is too light: text in it on its light shade (and white text on it) "
                "reaches a contrast of %(ratio)s:1, and at least 4.5:1 is needed. Please choose "
                "a darker shade."
            ),
            code="contrast",
            # Rounded down: the message never overstates the contrast.
            params={"ratio": number_format(math.floor(ratio * 10) / 10, 1)},
        )


LOGO = ImageRules(
    max_bytes=LOGO_MAX_BYTES,
    max_side=LOGO_MAX_SIDE,
    stored_side=800,  # shown at most a few hundred pixels wide
    not_an_image=_("This file is not an image we can use. Please upload a PNG, JPEG or WebP logo."),
    too_large=_("The logo is too large: at most %(max)s MB."),
    too_many_pixels=_("The logo is too large: at most %(max)s × %(max)s pixels."),
)


def logo_clean(upload) -> ContentFile:
    """A logo checked and re-encoded without its metadata (events/images.py): a PNG, JPEG or
    WebP image of at most 1 MB and 2000 × 2000 pixels (no SVG: an SVG can carry scripts)."""
    return image_clean(upload=upload, rules=LOGO)


def validate_logo(upload) -> None:
    """The model's check of a logo, whichever way it arrives (the admin's form re-encodes it,
    `logo_clean`, before this runs on the result)."""
    image_check(upload=upload, rules=LOGO)


def mix(colour: str, other: str, share: float) -> str:
    """`colour` with `share` (0 to 1) of `other` mixed in."""
    return hex_colour(*(a + (b - a) * share for a, b in zip(rgb(colour), rgb(other), strict=True)))


def soft(accent: str) -> str:
    """The light shade of the accent behind bands and boxes (--koki-accent-soft)."""
    return mix(accent, "#ffffff", 0.9)


def stylesheet(accent: str) -> str:
    """The CSS custom properties static/css/koki.css builds on, for the accent colour."""
    red, green, blue = rgb(accent)
    dark = mix(accent, "#000000", 0.25)
    return (
        ":root {\n"
        f"  --koki-accent: {accent};\n"
        f"  --koki-accent-rgb: {red}, {green}, {blue};\n"
        f"  --koki-accent-dark: {dark};\n"
        f"  --koki-accent-soft: {soft(accent)};\n"
        f"  --koki-accent-tint: {mix(accent, '#ffffff', 0.95)};\n"
        "}\n"
    )
