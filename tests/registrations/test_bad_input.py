"""Every kind of bad input gets a clear, translated message and loses nothing; none is a 500."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from registrations.models import Registration
from tests.factories import RegistrationFactory, RoomFactory
from tests.registrations.test_views import form_data, register_url

pytestmark = [pytest.mark.django_db, pytest.mark.room(capacity=5)]


def post(client, target, **overrides):
    return client.post(register_url(target.event), form_data(target, **overrides))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "Bitte geben Sie Ihren Vornamen ein."),
        ("last_name", "", "Bitte geben Sie Ihren Nachnamen ein."),
        ("email", "", "Bitte geben Sie Ihre E-Mail-Adresse ein."),
        ("room", "", "Bitte wählen Sie einen Break-out-Raum."),
        (
            "email",
            "kein-at-zeichen",
            "Bitte geben Sie eine gültige E-Mail-Adresse ein, zum Beispiel name@example.org.",
        ),
        (
            "email",
            "a@b@c.de",
            "Bitte geben Sie eine gültige E-Mail-Adresse ein, zum Beispiel name@example.org.",
        ),
        ("room", "999999", "Bitte wählen Sie einen der aufgeführten Räume."),
        ("room", "abc", "Bitte wählen Sie einen der aufgeführten Räume."),
        ("consent", None, "Bitte stimmen Sie dem Datenschutzhinweis zu, um sich anzumelden."),
    ],
)
def test_invalid_field_gets_message_beside_it_and_keeps_the_rest(
    client, room, field, value, message
):
    response = post(client, room, **{field: value})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    html = response.content.decode()
    assert escape(message) in html
    assert "Bitte prüfen Sie Ihre Angaben" in html
    # Nothing the person typed is lost.
    assert 'value="Stadt Bremen"' in html
    assert not Registration.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("field", "limit"),
    [("first_name", 100), ("last_name", 100), ("organisation", 200), ("job_role", 200)],
)
def test_far_too_long_input_is_refused_with_a_message(client, room, field, limit):
    response = post(client, room, **{field: "x" * 10_000})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [
        f"Bitte geben Sie höchstens {limit} Zeichen ein (Sie haben 10000 eingegeben)."
    ]
    assert not Registration.objects.exists()


def test_far_too_long_email(client, room):
    response = post(client, room, email="a" * 10_000 + "@example.org")
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "Bitte geben Sie eine gültige E-Mail-Adresse ein, zum Beispiel name@example.org.",
        "Bitte geben Sie höchstens 254 Zeichen ein (Sie haben 10012 eingegeben).",
    ]
    assert not Registration.objects.exists()


def test_room_of_another_event_is_refused(client, room):
    foreign = RoomFactory()
    response = post(client, room, room=str(foreign.pk))
    assert response.context["form"].errors["room"] == [
        "Bitte wählen Sie einen der aufgeführten Räume."
    ]
    assert not Registration.objects.exists()


def test_filled_honeypot_is_refused_quietly(client, room):
    response = post(client, room, homepage="http://spam.example")
    assert response.status_code == 302
    assert response["Location"] == f"/events/{room.event.slug}/register/done/"
    assert not Registration.objects.exists()
    assert mail.outbox == []


def test_full_room_without_waitlist_wish_says_so(client, room):
    room.capacity = 0
    room.save()
    response = post(client, room, join_waitlist=None)
    assert response.context["form"].errors["room"] == [
        f"Raum {room.number} ist ausgebucht. Sie können sich auf die Warteliste setzen lassen "
        "oder einen anderen Raum wählen."
    ]


def test_error_messages_in_english(client, room):
    client.cookies["django_language"] = "en"
    response = post(client, room, first_name="", consent=None)
    errors = response.context["form"].errors
    assert errors["first_name"] == ["Please enter your first name."]
    assert errors["consent"] == ["Please agree to the privacy notice to register."]


@pytest.mark.parametrize(
    "path",
    [
        "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
        "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/confirm/",
        "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/cancel/",
        "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/delete/",
        "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/data.json",
        "/r/1/",
        "/r/%00%00/",
        "/r/" + "a" * 5000 + "/",
        "/r/' OR 1=1 --/",
    ],
)
def test_forged_token_is_404(client, path):
    RegistrationFactory()
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404


def test_change_room_with_tampered_room_is_refused(client, room):
    registration = RegistrationFactory(room=room)
    url = reverse("registrations:change_room", kwargs={"token": registration.token})
    for value in [str(RoomFactory().pk), "nonsense", ""]:
        response = client.post(url, {"room": value})
        assert response.status_code == 200
        assert response.context["form"].errors["room"] == [
            "Bitte wählen Sie einen der aufgeführten Räume."
            if value
            else "Bitte wählen Sie einen Break-out-Raum."
        ]
    registration.refresh_from_db()
    assert registration.room == room


def test_resend_with_invalid_address(client, room):
    url = reverse("registrations:resend", kwargs={"slug": room.event.slug})
    response = client.post(url, {"email": "x" * 10_000})
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "Bitte geben Sie eine gültige E-Mail-Adresse ein, zum Beispiel name@example.org.",
        "Bitte geben Sie höchstens 254 Zeichen ein (Sie haben 10000 eingegeben).",
    ]
    assert mail.outbox == []
