"""Uploaded images (speaker photos, event logos): checked and re-encoded before they are stored.

One path for every upload: only JPEG, PNG or WebP within a size in bytes and in pixels (no SVG,
which can carry scripts; no decompression bombs); re-encoding drops EXIF (camera, GPS position),
XMP, comments and any payload hidden after the image data; the stored name is random.
"""

import io
import uuid
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.functional import Promise
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG", "PNG", "WEBP"}
_UNREADABLE = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


@dataclass(frozen=True)
class ImageRules:
    max_bytes: int
    max_side: int  # pixels, of the upload
    stored_side: int  # pixels: larger images are scaled down
    not_an_image: Promise  # the translated messages
    too_large: Promise  # with %(max)s: megabytes
    too_many_pixels: Promise  # with %(max)s: pixels


def _checked(upload, rules: ImageRules) -> bytes:
    """The upload's bytes once they pass `rules` (format, bytes, pixels; read headers only)."""
    if upload.size > rules.max_bytes:
        raise ValidationError(
            rules.too_large, code="too_large", params={"max": rules.max_bytes // (1024 * 1024)}
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                image_format = probe.format
                width, height = probe.size
                probe.verify()
    except _UNREADABLE as exc:
        raise ValidationError(rules.not_an_image, code="not_an_image") from exc
    if image_format not in FORMATS:
        raise ValidationError(rules.not_an_image, code="not_an_image")
    if max(width, height) > rules.max_side:
        raise ValidationError(
            rules.too_many_pixels, code="too_many_pixels", params={"max": rules.max_side}
        )
    return data


def image_check(*, upload, rules: ImageRules) -> None:
    """Refuse `upload` unless it passes `rules` (a model field's validator: no re-encoding)."""
    _checked(upload, rules)


def image_clean(*, upload, rules: ImageRules) -> ContentFile:
    """`upload` checked by `rules` and re-encoded (PNG where it has transparency, else JPEG)."""
    data = _checked(upload, rules)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            has_alpha = image.mode in {"RGBA", "LA", "PA"} or (
                image.mode == "P" and "transparency" in image.info
            )
            image = image.convert("RGBA" if has_alpha else "RGB")
            image.thumbnail((rules.stored_side, rules.stored_side), Image.Resampling.LANCZOS)
            output = io.BytesIO()
            if has_alpha:
                image.save(output, format="PNG", optimize=True)
                extension = "png"
            else:
                image.save(output, format="JPEG", quality=85, optimize=True, progressive=True)
                extension = "jpg"
    except (OSError, ValueError) as exc:  # truncated or corrupt pixel data
        raise ValidationError(rules.not_an_image, code="not_an_image") from exc
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")
