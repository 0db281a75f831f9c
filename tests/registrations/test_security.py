"""Rate limits on registering and on "send me my link again", secret-link pages, tokens, CSP;
the register form's answers, which never tell whether an address is registered."""

import http.cookiejar
import re
import secrets
import string
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from registrations.models import TOKEN_BYTES, Registration, new_token
from tests.factories import EventFactory, RegistrationFactory, RoomFactory
from tests.koki.test_security_headers import CSP_POLICY, inline_code
from tests.registrations.test_views import form_data, register_url, without_csrf

pytestmark = [pytest.mark.django_db, pytest.mark.room(capacity=20, name="Ethik")]

ENGLISH = {"cookie": "django_language=en"}


def resend_url(event):
    return reverse("registrations:resend", kwargs={"slug": event.slug})


def limit(settings, **rates):
    settings.KOKI_RATELIMITS = {**settings.KOKI_RATELIMITS, **rates}


def test_registering_over_the_limit_gets_the_429_page_and_stores_nothing(client, settings, room):
    limit(settings, register="3/10m")
    addresses = [f"person{n}@example.org" for n in range(4)]

    responses = [
        client.post(
            register_url(room.event), form_data(room, email=address), REMOTE_ADDR="192.0.2.5"
        )
        for address in addresses
    ]

    assert [r.status_code for r in responses] == [302, 302, 302, 429]
    assert "<h1>Zu viele Versuche</h1>" in responses[3].content.decode()
    assert sorted(Registration.objects.values_list("email", flat=True)) == addresses[:3]
    assert len(mail.outbox) == 3


def test_registering_limit_leaves_other_addresses_alone(client, settings, room):
    limit(settings, register="1/10m")
    client.post(
        register_url(room.event), form_data(room, email="a@example.org"), REMOTE_ADDR="192.0.2.5"
    )

    blocked = client.post(
        register_url(room.event), form_data(room, email="b@example.org"), REMOTE_ADDR="192.0.2.5"
    )
    other = client.post(
        register_url(room.event), form_data(room, email="c@example.org"), REMOTE_ADDR="192.0.2.6"
    )

    assert blocked.status_code == 429
    assert other.status_code == 302
    assert sorted(Registration.objects.values_list("email", flat=True)) == [
        "a@example.org",
        "c@example.org",
    ]


def test_reading_the_form_is_not_limited(client, settings, room):
    limit(settings, register="1/10m")

    responses = [client.get(register_url(room.event), REMOTE_ADDR="192.0.2.5") for _ in range(5)]

    assert {r.status_code for r in responses} == {200}


def test_429_page_on_registering_in_english(client, settings, room):
    limit(settings, register="1/10m")
    client.post(register_url(room.event), form_data(room), REMOTE_ADDR="192.0.2.5")

    response = client.post(
        register_url(room.event),
        form_data(room, email="x@example.org"),
        REMOTE_ADDR="192.0.2.5",
        headers=ENGLISH,
    )

    assert response.status_code == 429
    assert "<h1>Too many attempts</h1>" in response.content.decode()


def test_resend_over_the_limit_gets_the_429_page(client, settings, room):
    limit(settings, resend="2/10m", resend_address="off")
    RegistrationFactory(room=room, email="erika@example.org")

    responses = [
        client.post(resend_url(room.event), {"email": "erika@example.org"}, REMOTE_ADDR="192.0.2.5")
        for _ in range(3)
    ]
    other = client.post(
        resend_url(room.event), {"email": "erika@example.org"}, REMOTE_ADDR="192.0.2.9"
    )

    assert [r.status_code for r in responses] == [302, 302, 429]
    assert "<h1>Zu viele Versuche</h1>" in responses[2].content.decode()
    assert other.status_code == 302
    assert len(mail.outbox) == 3


def test_resend_is_limited_per_client_and_address_so_nobody_locks_the_owner_out(
    client, settings, room
):
    limit(settings, resend="off", resend_address="2/h")
    RegistrationFactory(room=room, email="erika@example.org")

    from_one_client = [
        client.post(resend_url(room.event), {"email": address}, REMOTE_ADDR="192.0.2.1")
        for address in ["erika@example.org", " ERIKA@example.org", "erika@example.org"]
    ]
    the_owner = client.post(
        resend_url(room.event), {"email": "erika@example.org"}, REMOTE_ADDR="198.51.100.7"
    )
    someone_else = client.post(
        resend_url(room.event), {"email": "max@example.org"}, REMOTE_ADDR="192.0.2.1"
    )

    assert [r.status_code for r in from_one_client] == [302, 302, 429]
    assert (the_owner.status_code, someone_else.status_code) == (302, 302)
    assert [m.to for m in mail.outbox] == [["erika@example.org"]] * 3


def test_registering_again_sends_the_link_only_within_the_address_limit(client, settings, room):
    """The browser sees the same answer every time; the inbox gets at most the limit."""
    limit(settings, register="off", resend_address="2/h")
    RegistrationFactory(room=room, email="erika@example.org")

    responses = [client.post(register_url(room.event), form_data(room)) for _ in range(4)]

    assert [r.status_code for r in responses] == [302] * 4
    assert {r["Location"] for r in responses} == {f"/events/{room.event.slug}/register/done/"}
    assert len(mail.outbox) == 2
    assert Registration.objects.count() == 1


def test_consent_is_stored_with_time_and_the_notices_version(client, room):
    room.event.organiser.privacy_notice_version = 3
    room.event.organiser.save()

    client.post(register_url(room.event), form_data(room))

    registration = Registration.objects.get()
    assert registration.privacy_notice_version == 3
    assert abs((registration.consent_at - registration.created_at).total_seconds()) < 1


def secret_pages(registration):
    token = registration.token
    return [
        f"/r/{token}/",
        f"/r/{token}/confirm/",
        f"/r/{token}/cancel/",
        f"/r/{token}/delete/",
        f"/r/{token}/data.json",
    ]


def test_secret_link_pages_are_never_stored_or_indexed(client, room):
    registration = RegistrationFactory(room=room)

    unknown = "/r/" + "A" * 32 + "/"
    for path in [*secret_pages(registration), unknown]:
        response = client.get(path)
        assert response.status_code == (404 if path == unknown else 200), path
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, path
        assert response["X-Robots-Tag"] == "noindex, nofollow", path
        assert response["Referrer-Policy"] == "same-origin", path


def test_secret_link_post_answers_are_never_stored(client, room):
    registration = RegistrationFactory(room=room)

    response = client.post(f"/r/{registration.token}/cancel/")

    assert response.status_code == 302
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}


def test_public_pages_stay_cacheable(client, room):
    response = client.get(room.event.get_absolute_url())

    assert response.status_code == 200
    assert "Cache-Control" not in response
    assert "X-Robots-Tag" not in response


def test_tokens_have_192_bits_from_secrets():
    tokens = {new_token() for _ in range(2000)}

    assert TOKEN_BYTES == 24  # 192 bits
    assert len(tokens) == 2000
    alphabet = set(string.ascii_letters + string.digits + "-_")
    assert all(len(token) == 32 and set(token) <= alphabet for token in tokens)
    # Uniformly random: the first character takes all 64 values, no prefix, no counter.
    assert {token[0] for token in tokens} == alphabet


def test_token_is_generated_with_the_secrets_module(monkeypatch):
    monkeypatch.setattr(secrets, "token_urlsafe", lambda nbytes: f"from-secrets-{nbytes}")

    assert new_token() == "from-secrets-24"


@pytest.mark.parametrize(
    "token",
    [
        "short",
        "A" * 32,
        "../../admin",
        "%00" * 12,
        "' OR 1=1 --aaaaaaaaaaaaaa",
    ],
)
def test_forged_tokens_are_404_without_revealing_anything(client, room, token):
    real = RegistrationFactory(room=room)

    response = client.get(f"/r/{token}/")

    assert response.status_code == 404
    content = response.content.decode()
    assert "<h1>Seite nicht gefunden</h1>" in content
    assert real.email not in content


def test_a_token_prefix_is_not_enough(client, room):
    real = RegistrationFactory(room=room)

    response = client.get(f"/r/{real.token[:-1]}/")

    assert response.status_code == 404


@pytest.mark.parametrize("page", ["register", "resend", "done"])
def test_registration_pages_including_crispy_output_have_no_inline_code(client, room, page):
    slug = room.event.slug
    path = {
        "register": register_url(room.event),
        "resend": resend_url(room.event),
        "done": f"/events/{slug}/register/done/",
    }[page]

    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CSP_POLICY
    assert inline_code(response.content.decode()) == []


def test_form_with_errors_has_no_inline_code(client, room):
    response = client.post(register_url(room.event), form_data(room, email="kaputt", consent=None))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="invalid-feedback"') == 2  # the address and the consent
    assert 'id="id_email_error" class="invalid-feedback"' in html
    assert inline_code(html) == []


def test_secret_link_pages_have_no_inline_code(client, room):
    registration = RegistrationFactory(room=room)

    problems = {
        path: inline_code(client.get(path).content.decode())
        for path in secret_pages(registration)
        if not path.endswith(".json")
    }

    assert problems == {path: [] for path in problems}


@pytest.mark.parametrize(
    "typed",
    ["Kunde\r\n\r\nIhr Konto wird gesperrt", "Erika\u202eakirE", "Max\tMuster", "Zero\u200bwidth"],
)
def test_names_with_control_or_format_characters_are_refused_and_kept(client, room, typed):
    response = client.post(register_url(room.event), {**form_data(room), "first_name": typed})

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["first_name"] == [
        "Bitte verwenden Sie hier nur Buchstaben, Ziffern, Leerzeichen und Satzzeichen."
    ]
    assert form["first_name"].value() == typed
    assert form["email"].value() == form_data(room)["email"]
    assert not Registration.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_public_forms_take_only_get_and_post(client, room, method):
    registration = RegistrationFactory(room=room)
    for path in (register_url(room.event), resend_url(room.event), f"/r/{registration.token}/"):
        response = getattr(client, method)(path, data="email=x@example.org")
        assert response.status_code == 405, path
    assert Registration.objects.count() == 1
    assert mail.outbox == []


def test_every_response_says_no_powerful_browser_features(client, room, settings):
    paths = ["/", room.event.get_absolute_url(), register_url(room.event), "/admin/login/"]

    policies = {path: client.get(path)["Permissions-Policy"] for path in paths}

    assert policies == dict.fromkeys(paths, settings.KOKI_PERMISSIONS_POLICY)
    features = dict(part.split("=") for part in settings.KOKI_PERMISSIONS_POLICY.split(", "))
    assert {features[name] for name in ("camera", "microphone", "geolocation", "payment")} == {"()"}


def test_thank_you_page_with_the_address_is_private(client, room):
    client.post(register_url(room.event), form_data(room))

    response = client.get(f"/events/{room.event.slug}/register/done/")

    assert "erika@example.org" in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"


# --- Whether an address is registered: the answers do not tell --------------------------------


def comparable(response) -> tuple:
    """What a browser learns from an answer, less what differs on every page anyway: the CSRF
    token, and a challenge's random token and question."""
    html = without_csrf(response.content)
    html = re.sub(r'(data-pow|name="challenge" value)="[^"]+"', r'\1=""', html)
    html = re.sub(r"Wie viel ist \d plus \d\?|What is \d plus \d\?", "?", html)
    return response.status_code, response.get("Location"), sorted(response.cookies), html


@pytest.mark.parametrize(
    ("state", "status", "says"),
    [
        ("open", 302, ""),
        ("room full", 200, "ist ausgebucht. Sie können sich auf die Warteliste setzen"),
        ("waiting list open", 302, ""),
        ("waiting list full", 200, "und seine Warteliste sind voll."),
        ("network asked", 200, 'name="challenge"'),
    ],
)
def test_a_registered_and_an_unknown_address_get_the_same_answer(
    client, settings, event, state, status, says
):
    """Each state of a room, and a network asked for the challenge: the address registered
    (erika@example.org), then the same form once that registration has another address."""
    room = RoomFactory(event=event, capacity=2, waiting_list_size=1)
    RoomFactory(event=event)  # with free seats: the page shows the form, not "all full"
    registered = RegistrationFactory(room=room, email="erika@example.org")
    if state in {"room full", "waiting list open", "waiting list full"}:
        RegistrationFactory(room=room)
    if state == "waiting list full":
        RegistrationFactory(room=room, status="waiting", waiting_since=timezone.now())
    if state == "network asked":
        limit(settings, holds="1", holds_max="10")
        client.post(register_url(event), form_data(room, email="x@example.org"))
    data = form_data(room, join_waitlist=None if state == "room full" else "on")

    as_registered = client.post(register_url(event), data)
    Registration.objects.filter(pk=registered.pk).update(email="someone.else@example.org")
    as_unknown = client.post(register_url(event), data)

    assert comparable(as_registered) == comparable(as_unknown)
    assert as_registered.status_code == status
    if status == 302:
        assert as_registered["Location"] == f"/events/{event.slug}/register/done/"
    else:
        assert says in as_registered.content.decode()


def test_the_registered_address_gets_its_link_and_the_unknown_one_its_registration(client, room):
    registered = RegistrationFactory(room=room, email="erika@example.org")

    client.post(register_url(room.event), form_data(room))
    registered.delete()
    client.post(register_url(room.event), form_data(room))

    assert [m.subject.split(":")[0] for m in mail.outbox] == [
        "Ihr persönlicher Link",
        "Ihre Anmeldung",
    ]
    assert [m.to for m in mail.outbox] == [["erika@example.org"]] * 2


# --- A duplicate fails no statement (PostgreSQL would log the INSERT with the person's data) ---

DUPLICATES = 10
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def register_over_http(base_url, path, room_pk, barrier) -> tuple[int, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = CSRF.search(opener.open(base_url + path, timeout=30).read().decode()).group(1)
    data = {**form_data_for(room_pk), "csrfmiddlewaretoken": token}
    barrier.wait(timeout=30)
    request = urllib.request.Request(
        base_url + path, data=urllib.parse.urlencode(data).encode(), method="POST"
    )
    response = opener.open(request, timeout=60)
    return response.status, response.url


def form_data_for(room_pk: int) -> dict[str, str]:
    return {
        "first_name": "Erika",
        "last_name": "Mustermann",
        "email": "erika@example.org",
        "room": str(room_pk),
        "consent": "on",
    }


def rollbacks_once_others_left() -> int:
    """The database's count of rolled-back transactions, once every other session (the live
    server's, closed after each request) has ended and so reported its own."""
    with connection.cursor() as cursor:
        for _ in range(100):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.1)
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_address_store_one_and_fail_no_statement(
    require_postgres, live_server
):
    event = EventFactory()
    rooms = [RoomFactory(event=event, capacity=DUPLICATES) for _ in range(2)]
    path = register_url(event)
    barrier = threading.Barrier(DUPLICATES)
    before = rollbacks_once_others_left()

    with ThreadPoolExecutor(max_workers=DUPLICATES) as pool:
        results = list(
            pool.map(
                lambda i: register_over_http(live_server.url, path, rooms[i % 2].pk, barrier),
                range(DUPLICATES),
            )
        )

    # Every request gets the same answer; one registration is stored, the others mail its link.
    assert results == [(200, f"{live_server.url}/events/{event.slug}/register/done/")] * DUPLICATES
    assert list(Registration.objects.values_list("email", flat=True)) == ["erika@example.org"]
    subjects = sorted(m.subject.split(":")[0] for m in mail.outbox)
    assert subjects == ["Ihr persönlicher Link"] * (DUPLICATES - 1) + ["Ihre Anmeldung"]
    # No transaction was rolled back: no INSERT failed on the unique constraint.
    assert rollbacks_once_others_left() == before
