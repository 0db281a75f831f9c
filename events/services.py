"""Writes for events. Speaker photos: only real images, limited in size, re-encoded."""

import io
import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_MAX_SIDE = 4000  # pixels, of the upload
PHOTO_STORED_SIDE = 1200  # pixels: larger photos are scaled down, the page shows them small
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}


def speaker_photo_clean(*, upload) -> ContentFile:
    """Check an uploaded speaker photo and return it re-encoded, without any metadata.

    Refuses anything that is not a JPEG, PNG or WebP image, files over 2 MB and images wider or
    taller than 4000 px. Re-encoding drops EXIF (camera, GPS position), XMP, comments and any
    payload hidden after the image data; the stored name is random, never the uploaded one.
    """
    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(
            _("The photo is too large: at most %(max)s MB."),
            code="too_large",
            params={"max": PHOTO_MAX_BYTES // (1024 * 1024)},
        )
    upload.seek(0)
    data = upload.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                image_format = probe.format
                width, height = probe.size
                probe.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise ValidationError(
            _("This file is not an image we can use. Please upload a JPEG, PNG or WebP photo."),
            code="not_an_image",
        ) from exc
    if image_format not in PHOTO_FORMATS:
        raise ValidationError(
            _("This file is not an image we can use. Please upload a JPEG, PNG or WebP photo."),
            code="not_an_image",
        )
    if max(width, height) > PHOTO_MAX_SIDE:
        raise ValidationError(
            _("The photo is too large: at most %(max)s × %(max)s pixels."),
            code="too_many_pixels",
            params={"max": PHOTO_MAX_SIDE},
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            has_alpha = image.mode in {"RGBA", "LA", "PA"} or (
                image.mode == "P" and "transparency" in image.info
            )
            image = image.convert("RGBA" if has_alpha else "RGB")
            image.thumbnail((PHOTO_STORED_SIDE, PHOTO_STORED_SIDE), Image.Resampling.LANCZOS)
            output = io.BytesIO()
            if has_alpha:
                image.save(output, format="PNG", optimize=True)
                extension = "png"
            else:
                image.save(output, format="JPEG", quality=85, optimize=True, progressive=True)
                extension = "jpg"
    except (OSError, ValueError) as exc:  # truncated or corrupt pixel data
        raise ValidationError(
            _("This file is not an image we can use. Please upload a JPEG, PNG or WebP photo."),
            code="not_an_image",
        ) from exc
    return ContentFile(output.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")
