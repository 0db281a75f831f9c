import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from events.models import Speaker
from events.services import PHOTO_MAX_BYTES, speaker_photo_clean


def png_bytes(size=(600, 400), *, color=(30, 90, 160, 255), mode="RGBA", metadata=True) -> bytes:
    image = Image.new(mode, size, color if mode == "RGBA" else color[:3])
    info = PngImagePlugin.PngInfo()
    if metadata:
        info.add_text("Author", "Erika Mustermann")
        info.add_text("Comment", "GPS 52.52N 13.40E")
    output = io.BytesIO()
    image.save(output, format="PNG", pnginfo=info)
    return output.getvalue()


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (800, 600), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "KameraHersteller"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    output = io.BytesIO()
    image.save(output, format="JPEG", exif=exif.tobytes())
    return output.getvalue()


def upload(data: bytes, name="foto.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_a_real_png_is_re_encoded_without_metadata():
    original = png_bytes(metadata=True)
    assert b"Erika Mustermann" in original

    cleaned = speaker_photo_clean(upload=upload(original))

    data = cleaned.read()
    assert b"Erika Mustermann" not in data
    assert b"GPS" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (600, 400), "RGBA")
        assert image.text == {}
    assert cleaned.name.endswith(".png")
    assert "foto" not in cleaned.name


def test_a_jpeg_loses_its_exif_and_is_turned_upright():
    cleaned = speaker_photo_clean(upload=upload(jpeg_with_exif(), "kamera.jpg", "image/jpeg"))

    with Image.open(io.BytesIO(cleaned.read())) as image:
        assert image.format == "JPEG"
        assert image.size == (600, 800)
        assert dict(image.getexif()) == {}
    assert cleaned.name.endswith(".jpg")


def test_a_large_photo_is_scaled_down_to_1200_pixels():
    cleaned = speaker_photo_clean(upload=upload(png_bytes((3000, 1500), mode="RGB")))

    with Image.open(io.BytesIO(cleaned.read())) as image:
        assert image.size == (1200, 600)
        assert image.format == "JPEG"


def test_text_pretending_to_be_a_png_is_refused():
    fake = upload(b"#!/bin/sh\necho this is not an image\n", "foto.png", "image/png")

    with pytest.raises(ValidationError) as error:
        speaker_photo_clean(upload=fake)

    assert error.value.code == "not_an_image"


def test_a_truncated_png_is_refused():
    broken = upload(png_bytes()[:200])

    with pytest.raises(ValidationError) as error:
        speaker_photo_clean(upload=broken)

    assert error.value.code == "not_an_image"


def test_a_gif_is_refused():
    output = io.BytesIO()
    Image.new("RGB", (10, 10)).save(output, format="GIF")

    with pytest.raises(ValidationError) as error:
        speaker_photo_clean(upload=upload(output.getvalue(), "a.gif", "image/gif"))

    assert error.value.code == "not_an_image"


def test_a_file_over_2_mb_is_refused():
    big = upload(png_bytes(metadata=False) + b"\0" * PHOTO_MAX_BYTES)

    with pytest.raises(ValidationError) as error:
        speaker_photo_clean(upload=big)

    assert error.value.code == "too_large"
    assert error.value.messages == ["Das Foto ist zu groß: höchstens 2 MB."]


def test_an_image_over_4000_pixels_is_refused():
    wide = upload(png_bytes((4001, 10), mode="RGB", metadata=False))
    assert wide.size < PHOTO_MAX_BYTES

    with pytest.raises(ValidationError) as error:
        speaker_photo_clean(upload=wide)

    assert error.value.code == "too_many_pixels"
    assert error.value.messages == ["Das Foto ist zu groß: höchstens 4000 × 4000 Pixel."]


@pytest.mark.django_db
def test_admin_stores_the_re_encoded_photo(admin_client, settings):
    data = png_bytes(metadata=True)

    response = admin_client.post(
        "/admin/events/speaker/add/",
        {
            "name": "Dr. Anja C. Wagner",
            "role": "",
            "affiliation": "",
            "bio": "",
            "photo": upload(data, "anja wagner privat.png"),
        },
    )

    assert response.status_code == 302
    speaker = Speaker.objects.get()
    assert speaker.photo.name.startswith("speakers/")
    assert "privat" not in speaker.photo.name
    with speaker.photo.open("rb") as photo:
        stored = photo.read()
    assert b"Erika Mustermann" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (600, 400)


@pytest.mark.django_db
def test_admin_refuses_a_fake_image_with_a_message(admin_client):
    response = admin_client.post(
        "/admin/events/speaker/add/",
        {"name": "Jemand", "photo": upload(b"GIF89a but not really", "x.png")},
    )

    assert response.status_code == 200
    assert Speaker.objects.count() == 0
    # Django's own image check answers first for files Pillow cannot open at all.
    assert "Bitte ein gültiges Bild hochladen." in response.content.decode()


@pytest.mark.django_db
def test_admin_refuses_an_oversized_photo_with_our_message(admin_client):
    response = admin_client.post(
        "/admin/events/speaker/add/",
        {"name": "Jemand", "photo": upload(png_bytes((4500, 20), mode="RGB", metadata=False))},
    )

    assert response.status_code == 200
    assert Speaker.objects.count() == 0
    assert "Das Foto ist zu groß: höchstens 4000 × 4000 Pixel." in response.content.decode()
