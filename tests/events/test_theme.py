"""An event's accent colour and logo: checked when entered, applied by a stylesheet of its own."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from events import theme
from tests.events.test_speaker_photos import jpeg_with_exif, png_bytes
from tests.factories import EventFactory


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [("#ffffff", "#000000", 21.0), ("#0b5394", "#ffffff", 7.84), ("#767676", "#ffffff", 4.54)],
)
def test_contrast_follows_wcag(first, second, ratio):
    assert round(theme.contrast(first, second), 2) == ratio


@pytest.mark.parametrize("colour", ["#0b5394", "#7A1F5C", "#000000", "#6b6b6b"])
def test_dark_enough_colours_are_accepted(colour):
    theme.validate_accent_colour(colour)


@pytest.mark.parametrize("colour", ["0b5394", "#0b539", "#0b53944", "#gggggg", "blue", ""])
def test_a_colour_must_be_six_hex_digits(colour):
    with translation.override("de"), pytest.raises(ValidationError) as error:
        theme.validate_accent_colour(colour)
    assert error.value.messages == [
        "Bitte geben Sie eine Farbe als # und sechs Hexadezimalziffern ein, etwa #0b5394."
    ]


def test_a_light_colour_is_refused_with_its_contrast():
    with translation.override("de"):
        with pytest.raises(ValidationError) as error:
            theme.validate_accent_colour("#f9a825")
        assert error.value.messages == [
            "Diese Farbe ist zu hell: Schrift in dieser Farbe auf ihrem hellen Ton (und weiße "
            "Schrift auf ihr) erreicht einen Kontrast von 1,8:1, nötig sind mindestens 4,5:1. "
            "Bitte wählen Sie einen dunkleren Ton."
        ]
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            theme.validate_accent_colour("#f9a825")
        assert "reaches a contrast of 1.8:1, and at least 4.5:1" in error.value.messages[0]


def test_a_colour_readable_on_white_but_not_on_its_light_shade_is_refused():
    # Google's blue: 4.51:1 on white, 3.95:1 on the shade behind boxes and bands.
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            theme.validate_accent_colour("#1a73e8")
        assert "reaches a contrast of 3.9:1" in error.value.messages[0]


def test_stylesheet_derives_the_shades():
    assert theme.stylesheet("#7a1f5c") == (
        ":root {\n"
        "  --koki-accent: #7a1f5c;\n"
        "  --koki-accent-rgb: 122, 31, 92;\n"
        "  --koki-accent-dark: #5c1745;\n"
        "  --koki-accent-soft: #f2e9ef;\n"
        "  --koki-accent-tint: #f8f4f7;\n"
        "}\n"
    )


def test_logo_accepts_a_png():
    theme.validate_logo(SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png"))


def test_a_logo_is_stored_re_encoded_without_its_metadata():
    cleaned = theme.logo_clean(
        SimpleUploadedFile("firma.jpg", jpeg_with_exif(), content_type="image/jpeg")
    )

    with Image.open(io.BytesIO(cleaned.read())) as stored:
        assert (stored.format, stored.size) == ("JPEG", (600, 800))  # turned upright
        assert dict(stored.getexif()) == {}  # camera and orientation gone
    assert cleaned.name.endswith(".jpg")
    assert "firma" not in cleaned.name


def test_logo_refuses_too_many_bytes():
    big = SimpleUploadedFile("gross.png", b"0" * (1024 * 1024 + 1), content_type="image/png")
    with translation.override("de"), pytest.raises(ValidationError) as error:
        theme.validate_logo(big)
    assert error.value.messages == ["Das Logo ist zu groß: höchstens 1 MB."]


def test_logo_refuses_what_is_no_usable_image():
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for name, data in [("logo.gif", gif.getvalue()), ("logo.svg", svg)]:
        with translation.override("de"), pytest.raises(ValidationError) as error:
            theme.validate_logo(SimpleUploadedFile(name, data))
        assert error.value.messages == [
            "Diese Datei ist kein Bild, das wir verwenden können. Bitte laden Sie ein Logo als "
            "PNG, JPEG oder WebP hoch."
        ]


def test_logo_refuses_too_many_pixels():
    with translation.override("de"), pytest.raises(ValidationError) as error:
        theme.validate_logo(SimpleUploadedFile("big.png", png_bytes(size=(2001, 10))))
    assert error.value.messages == ["Das Logo ist zu groß: höchstens 2000 × 2000 Pixel."]


@pytest.mark.django_db
def test_event_full_clean_checks_the_accent_colour():
    event = EventFactory(accent_colour="#ffff00")
    with pytest.raises(ValidationError) as error:
        event.full_clean()
    assert list(error.value.message_dict) == ["accent_colour"]


@pytest.mark.django_db
def test_theme_stylesheet_is_served_and_cached(client):
    event = EventFactory(accent_colour="#7a1f5c")
    response = client.get(f"/events/{event.slug}/theme.css?v=7a1f5c")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response.content.decode() == theme.stylesheet("#7a1f5c")


@pytest.mark.django_db
def test_theme_stylesheet_of_an_event_without_a_colour_is_empty(client):
    event = EventFactory()
    response = client.get(f"/events/{event.slug}/theme.css")
    assert (response.status_code, response.content) == (200, b"")


@pytest.mark.django_db
def test_theme_stylesheet_of_an_unpublished_event_is_404(client):
    event = EventFactory(is_published=False, accent_colour="#7a1f5c")
    assert client.get(f"/events/{event.slug}/theme.css").status_code == 404
    assert client.post(f"/events/{EventFactory().slug}/theme.css").status_code == 405


@pytest.mark.django_db
def test_admin_event_form_has_the_look(organiser_client):
    event = EventFactory()
    html = organiser_client.get(f"/admin/events/event/{event.pk}/change/").content.decode()
    assert 'name="logo"' in html
    assert 'name="accent_colour"' in html
