import datetime as dt
import json
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from registrations import occupancy
from registrations.models import Registration
from tests.factories import EventFactory, RegistrationFactory, RoomFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.room(capacity=2, name="Ethik", topic="KI und Ethik"),
]


def form_data(target_room, /, **overrides):
    data = {
        "first_name": "Erika",
        "last_name": "Mustermann",
        "email": "erika@example.org",
        "organisation": "Stadt Bremen",
        "job_role": "Referentin",
        "room": str(target_room.pk),
        "join_waitlist": "on",
        "consent": "on",
        "homepage": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def without_csrf(html: bytes | str) -> str:
    html = html.decode() if isinstance(html, bytes) else html
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def register_url(event):
    return reverse("registrations:register", kwargs={"slug": event.slug})


def test_form_page_shows_rooms_with_topic_and_seats(client, room):
    RegistrationFactory(room=room)
    response = client.get(register_url(room.event))
    html = response.content.decode()
    assert response.status_code == 200
    # One fieldset of radio cards: the room's name labels its radio, the rest describes it.
    assert html.count("<fieldset") == 3  # about you, the room, privacy
    assert html.count('<fieldset class="room-picker"') == 1
    assert html.count("<legend") == 3
    assert (
        f'<label class="room-option-label" for="id_room_0"><span class="room-number">'
        f'Raum {room.number}<span class="room-colon">:</span></span> '
        '<span class="room-name">Ethik</span></label>'
    ) in html
    assert 'aria-describedby="id_room_0_about"' in html
    assert '<span class="room-topic">KI und Ethik</span>' in html
    assert '<li class="room-option room-free">' in html
    assert '<span class="room-choice-seats">1 Platz frei</span>' in html
    # Required fields are marked one way only: the optional ones say so.
    assert "asteriskField" not in html
    assert "Organisation (optional)" in html
    # The waiting-list choice is not ticked in advance.
    assert '<input type="checkbox" class="form-check-input" name="join_waitlist" ' in html
    assert 'name="join_waitlist" id="id_join_waitlist">' in html
    assert 'name="homepage"' in html
    assert f'href="/events/{room.event.slug}/privacy/"' in html
    # CSP: no inline script, only our own file (the page works without it).
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts == [(' src="/static/js/koki.js" defer', "")]


def test_register_success_redirects_and_mails(client, room):
    response = client.post(register_url(room.event), form_data(room))
    assert response.status_code == 302
    assert response["Location"] == f"/events/{room.event.slug}/register/done/"
    registration = Registration.objects.get()
    assert (registration.first_name, registration.organisation, registration.job_role) == (
        "Erika",
        "Stadt Bremen",
        "Referentin",
    )
    assert registration.language == "de"
    assert registration.status == Registration.Status.PENDING
    assert len(mail.outbox) == 1
    done = client.get(response["Location"])
    assert "Wir haben eine E-Mail an <strong>erika@example.org</strong> gesendet." in (
        done.content.decode()
    )


def test_register_in_english_mails_in_english(client, room):
    client.cookies["django_language"] = "en"
    client.post(register_url(room.event), form_data(room))
    assert Registration.objects.get().language == "en"
    assert mail.outbox[0].subject.startswith("Your registration: ")


def test_register_again_sends_link_and_reveals_nothing(client, room):
    client.post(register_url(room.event), form_data(room))
    first_done = client.get(f"/events/{room.event.slug}/register/done/").content
    mail.outbox.clear()
    response = client.post(register_url(room.event), form_data(room, email="ERIKA@example.org"))
    assert response["Location"] == f"/events/{room.event.slug}/register/done/"
    second_done = client.get(response["Location"]).content
    assert without_csrf(second_done).replace("ERIKA", "erika") == without_csrf(first_done)
    assert Registration.objects.count() == 1
    assert [m.subject for m in mail.outbox] == [f"Ihr persönlicher Link: {room.event.title}"]


def test_confirm_flow_through_the_mail_link(client, room):
    client.post(register_url(room.event), form_data(room))
    confirm_url = re.search(r"http://[^\s]+/confirm/", mail.outbox[0].body).group(0)
    path = confirm_url.removeprefix("http://127.0.0.1:8000")
    page = client.get(path)
    assert "Anmeldung bestätigen" in page.content.decode()
    assert Registration.objects.get().status == Registration.Status.PENDING  # GET changes nothing
    response = client.post(path)
    registration = Registration.objects.get()
    assert registration.status == Registration.Status.CONFIRMED
    manage = client.get(response["Location"]).content.decode()
    assert "Vielen Dank – Ihre Anmeldung ist bestätigt." in manage
    assert f'href="/r/{registration.token}/join/{room.number}/"' in manage
    assert f'href="/r/{registration.token}/join/plenary/"' in manage
    assert room.join_url not in manage


def test_manage_page_hides_join_links_until_confirmed(client, room):
    registration = RegistrationFactory(
        room=room, status="pending", expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    response = client.get(registration.get_absolute_url())
    html = response.content.decode()
    assert "<strong>Bitte prüfen Sie Ihr Postfach</strong>" in html
    assert f"{registration.room}</dd>" in html
    assert room.join_url not in html
    assert "/join/" not in html
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_manage_change_room(client, room):
    other = RoomFactory(event=room.event, number=room.number + 1, capacity=1, name="Recht")
    registration = RegistrationFactory(room=room)
    url = reverse("registrations:change_room", kwargs={"token": registration.token})
    response = client.post(url, {"room": other.pk})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.room == other
    page = client.get(response["Location"]).content.decode()
    assert f"Ihr Raum ist jetzt Raum {other.number}: Recht." in page


def test_manage_change_room_to_full_room_shows_error(client, room):
    other = RoomFactory(event=room.event, capacity=1)
    RegistrationFactory(room=other)
    registration = RegistrationFactory(room=room)
    url = reverse("registrations:change_room", kwargs={"token": registration.token})
    response = client.post(url, {"room": other.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["room"] == [
        f"Raum {other.number} ist ausgebucht. Sie können sich auf die Warteliste setzen lassen "
        "oder einen anderen Raum wählen."
    ]
    registration.refresh_from_db()
    assert registration.room == room


def test_cancel_promotes_and_mails(client, room):
    room.capacity = 1
    room.save()
    registration = RegistrationFactory(room=room)
    waiting = RegistrationFactory(room=room, status="waiting", waiting_since=timezone.now())
    url = reverse("registrations:cancel", kwargs={"token": registration.token})
    assert "wirklich stornieren" in client.get(url).content.decode()
    client.post(url)
    registration.refresh_from_db()
    waiting.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert waiting.status == Registration.Status.CONFIRMED
    assert sorted(m.to[0] for m in mail.outbox) == sorted([registration.email, waiting.email])


def test_data_download_is_json_with_everything(client, room):
    registration = RegistrationFactory(room=room, organisation="Landkreis Göttingen")
    response = client.get(reverse("registrations:data", kwargs={"token": registration.token}))
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="koki-meine-daten-')
    data = json.loads(response.content)
    assert data["registration"]["email"] == registration.email
    assert data["registration"]["organisation"] == "Landkreis Göttingen"
    assert data["registration"]["room"] == {"number": room.number, "name": "Ethik"}
    assert data["registration"]["privacy_notice_version"] == 1


def test_delete_erases_everything(client, room):
    registration = RegistrationFactory(room=room)
    url = reverse("registrations:delete", kwargs={"token": registration.token})
    response = client.post(url)
    assert response["Location"] == room.event.get_absolute_url()
    assert not Registration.objects.exists()
    assert client.get(registration.get_absolute_url()).status_code == 404


def test_send_link_again_says_the_same_for_any_address(client, room):
    registration = RegistrationFactory(room=room, email="known@example.org")
    url = reverse("registrations:resend", kwargs={"slug": room.event.slug})
    known = client.post(url, {"email": "known@example.org"}, follow=True).content.decode()
    unknown = client.post(url, {"email": "nobody@example.org"}, follow=True).content.decode()
    assert "Falls diese Adresse angemeldet ist" in known
    assert without_csrf(known) == without_csrf(unknown)
    assert [m.to for m in mail.outbox] == [["known@example.org"]]
    assert registration.get_absolute_url() in mail.outbox[0].body


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("not_yet_open", "Die Anmeldung öffnet am"),
        ("closed", "Die Anmeldung ist geschlossen."),
        ("over", "Diese Veranstaltung ist vorbei."),
    ],
)
def test_register_page_outside_the_window_says_so(client, state, message):
    now = timezone.now()
    kwargs = {
        "not_yet_open": {"registration_opens_at": now + dt.timedelta(days=1)},
        "closed": {
            "registration_closes_at": now - dt.timedelta(minutes=1),
            "registration_opens_at": now - dt.timedelta(days=1),
        },
        "over": {"starts_at": now - dt.timedelta(hours=3), "ends_at": now - dt.timedelta(hours=1)},
    }[state]
    room = RoomFactory(event=EventFactory(**kwargs))
    response = client.get(register_url(room.event))
    assert message in response.content.decode()
    assert 'name="first_name"' not in response.content.decode()
    client.post(register_url(room.event), form_data(room))
    assert not Registration.objects.exists()


def test_register_page_when_everything_is_full(client):
    room = RoomFactory(capacity=1, waiting_list_size=0)
    RegistrationFactory(room=room)
    response = client.get(register_url(room.event))
    assert "Alle Räume und ihre Wartelisten sind voll." in response.content.decode()


def test_unpublished_event_register_is_404(client):
    room = RoomFactory(event=EventFactory(is_published=False))
    assert client.get(register_url(room.event)).status_code == 404
    assert client.post(register_url(room.event), form_data(room)).status_code == 404


@pytest.mark.parametrize("n", [1, 8])
def test_register_form_query_count_is_constant(client, django_assert_num_queries, n):
    event = EventFactory()
    for number in range(1, n + 1):
        RegistrationFactory(room=RoomFactory(event=event, number=number))
    # a cold cache: the event's key, the event, the rooms' seats, the event's questions (kept
    # in the cache then), the rooms as the form's choices (rendered with holes for the seats,
    # filled in at once); the page is stored
    with django_assert_num_queries(5):
        response = client.get(register_url(event))
    html = response.content.decode()
    assert html.count('class="room-choice-seats">9 Plätze frei</span>') == n
    assert "koki-hole-" not in html


@pytest.mark.parametrize("n", [1, 8])
def test_register_form_from_the_cache_costs_no_query_and_fills_in_fresh_seats(
    client, django_assert_num_queries, n, monkeypatch
):
    event = EventFactory()
    rooms = [RoomFactory(event=event, number=number, capacity=3) for number in range(1, n + 1)]
    first = client.get(register_url(event)).content.decode()  # renders and stores the page
    client.cookies.clear()

    # The next visitor's page costs no query: the event, the page and the seats are cached.
    with django_assert_num_queries(0):
        while_fresh = client.get(register_url(event)).content.decode()
    assert without_csrf(while_fresh) == without_csrf(first)

    # Once the seats' snapshot has expired, the next page counts them again (one query) and
    # fills them into the stored page, which is not rendered again.
    RegistrationFactory(room=rooms[0])
    monkeypatch.setattr(occupancy, "SNAPSHOT_SECONDS", 0)
    cache.clear()
    client.get(register_url(event))  # the event and the page are stored again
    client.cookies.clear()
    with django_assert_num_queries(1):
        response = client.get(register_url(event))

    html = response.content.decode()
    assert response.context is None  # not rendered: the stored page with its holes filled
    assert "koki-hole-" not in html
    assert re.findall(r'class="room-choice-seats">([^<]*)<', first) == ["3 Plätze frei"] * n
    assert re.findall(r'class="room-choice-seats">([^<]*)<', html) == (
        ["2 Plätze frei"] + ["3 Plätze frei"] * (n - 1)
    )
    assert without_csrf(html).replace("2 Plätze", "3 Plätze", 1) == without_csrf(first)
    assert response.cookies["csrftoken"].value


def test_register_form_from_the_cache_fills_holes_in_the_visitors_language(
    client, room, seats_uncached
):
    url = register_url(room.event)
    client.get(url)
    RegistrationFactory(room=room)
    RegistrationFactory(room=room)
    client.cookies["django_language"] = "en"
    client.get(f"/en{url}")  # the English page is stored under its own key

    english = client.get(f"/en{url}").content.decode()
    del client.cookies["django_language"]
    german = client.get(url).content.decode()

    assert '<span class="room-choice-seats">Full – waiting list: 0 people waiting</span>' in english
    assert (
        '<span class="room-choice-seats">Ausgebucht – Warteliste: 0 Personen warten</span>'
    ) in german
    # The state is a hole too: the card shows it, and a room that takes nobody is disabled.
    assert '<li class="room-option room-waitlist">' in german
    assert 'aria-describedby="id_room_0_about" required >' in german


def test_submitting_the_form_costs_a_fixed_number_of_queries(
    client, django_assert_num_queries, room, settings
):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "promotions"],
        }
    }
    client.get(register_url(room.event))  # the event and the rooms are cached now, as in a rush
    # the chosen room, the address not yet registered; then begin, lock the room, count its
    # seats and waiting list at once, queue the hold's expiry, insert the registration, queue
    # the mail, commit
    with django_assert_num_queries(9):
        response = client.post(register_url(room.event), form_data(room))
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert (registration.email, registration.room, registration.status) == (
        "erika@example.org",
        room,
        Registration.Status.PENDING,
    )
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "registrations.emails.send_registration_mail_task",
        "registrations.services.promote_waiting_list_task",
    ]


@pytest.mark.parametrize("n", [1, 8])
def test_manage_page_query_count_is_constant(client, django_assert_num_queries, n):
    event = EventFactory()
    rooms = [RoomFactory(event=event, number=number) for number in range(1, n + 1)]
    registration = RegistrationFactory(room=rooms[0])
    for room in rooms[1:]:
        RegistrationFactory(room=room)
    # registration (+event, room), the rooms' seats, the event's questions (none; then kept in
    # the cache), the rooms as the form's choices, the agenda (now and next, when the join links
    # open)
    with django_assert_num_queries(5):
        response = client.get(registration.get_absolute_url())
    assert response.status_code == 200


def test_manage_page_preselects_current_room(client, room):
    registration = RegistrationFactory(room=room)
    html = client.get(registration.get_absolute_url()).content.decode()
    assert re.search(rf'value="{room.pk}"[^>]*checked', html)


def test_register_writes_no_session_and_done_page_forgets_the_address(client, room):
    response = client.post(register_url(room.event), form_data(room))
    assert "sessionid" not in response.cookies
    first = client.get(response["Location"]).content.decode()
    assert "<strong>erika@example.org</strong>" in first
    again = client.get(response["Location"]).content.decode()
    assert "erika@example.org" not in again
    assert "Wir haben Ihnen eine E-Mail gesendet." in again


def test_done_page_from_the_cache_names_each_visitors_own_address(
    client, room, django_assert_num_queries
):
    done = reverse("registrations:done", kwargs={"slug": room.event.slug})
    client.post(register_url(room.event), form_data(room))
    first = client.get(done)
    other = Client()
    other.post(register_url(room.event), form_data(room, email="o'brien+koki@example.org"))

    with django_assert_num_queries(0):  # the event and the page from the cache
        second = other.get(done)

    assert first.context is not None  # rendered once, then stored
    assert second.context is None
    html = second.content.decode()
    assert "<strong>o&#x27;brien+koki@example.org</strong>" in html
    assert "erika" not in html
    assert "\x00" not in html
    assert without_csrf(html) == without_csrf(first.content).replace(
        "erika@example.org", "o&#x27;brien+koki@example.org"
    )
    assert second.cookies["koki_registered"].value == ""  # deleted


def test_registering_again_takes_the_path_of_a_new_registration_and_queues_its_link(
    client, django_assert_num_queries, room, settings
):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "promotions"],
        }
    }
    client.post(register_url(room.event), form_data(room))
    registration = Registration.objects.get()
    DBTaskResult.objects.all().delete()

    # the chosen room; then the path of a new registration, so that the answer and its time
    # tell nothing: begin, lock the room, count its seats and waiting list, queue the hold's
    # expiry, insert (nothing: the address is registered), read the address's registration,
    # commit; then queue the link mail
    with django_assert_num_queries(9):
        response = client.post(register_url(room.event), form_data(room))

    assert response.status_code == 302
    assert Registration.objects.count() == 1
    tasks = DBTaskResult.objects.order_by("enqueued_at")
    assert [(task.task_path, task.args_kwargs["kwargs"]) for task in tasks] == [
        ("registrations.services.promote_waiting_list_task", {"room_id": room.pk}),
        (
            "registrations.emails.send_registration_mail_task",
            {"registration_id": registration.pk, "kind": "link", "status": "pending"},
        ),
    ]


def test_done_page_asks_to_check_the_inbox_and_names_the_room(client, room):
    response = client.post(register_url(room.event), form_data(room))
    html = client.get(response["Location"]).content.decode()
    assert "<h1>Bitte prüfen Sie Ihr Postfach</h1>" in html
    assert "Vielen Dank für Ihre Anmeldung" not in html
    assert f"<dt>Break-out-Raum</dt><dd>Raum {room.number}: Ethik</dd>" in html
    assert "<dd>Ihr Platz ist bis zu Ihrer Bestätigung reserviert.</dd>" in html


def test_done_page_for_a_waiting_list_place_says_so_whoever_registers(client, room):
    RegistrationFactory.create_batch(2, room=room)  # full
    first = client.post(register_url(room.event), form_data(room))
    first_page = client.get(first["Location"]).content.decode()
    assert Registration.objects.get(email="erika@example.org").status == "waiting"
    # The same address again: the same answer as a new registration, nothing revealed.
    again = client.post(register_url(room.event), form_data(room))
    again_page = client.get(again["Location"]).content.decode()
    waiting = (
        "<dd>Auf der Warteliste: Wird ein Platz frei, rücken Sie nach, und wir schreiben Ihnen."
    )
    assert waiting in first_page
    assert without_csrf(again_page) == without_csrf(first_page)


def test_done_page_with_a_forged_cookie_shows_no_details(client, room):
    client.cookies["koki_registered"] = "not-signed"
    html = client.get(f"/events/{room.event.slug}/register/done/").content.decode()
    assert "Wir haben Ihnen eine E-Mail gesendet." in html
    assert "summary-list" not in html


def test_register_page_chooses_the_room_of_the_event_page_link(client, room):
    html = client.get(register_url(room.event) + f"?room={room.number}").content.decode()
    assert f'value="{room.pk}" id="id_room_0" aria-describedby="id_room_0_about" checked' in html
    for bad in ["99", "x", "123456"]:
        other = client.get(register_url(room.event) + f"?room={bad}").content.decode()
        assert " checked" not in other


def test_personal_page_folds_the_room_change_and_sets_cancelling_apart(client, room):
    registration = RegistrationFactory(room=room)
    html = client.get(registration.get_absolute_url()).content.decode()
    assert (
        '<details class="fold">\n          <summary>Einen anderen Raum statt '
        f"Raum {room.number}: Ethik wählen</summary>"
    ) in html
    assert (
        '<a class="btn btn-outline-danger" '
        f'href="/r/{registration.token}/cancel/">Anmeldung stornieren</a>'
    ) in html
    assert html.index('id="cancel-heading"') < html.index('id="data-heading"')
    # Join links are buttons (styled links), each with its opening time.
    assert '<ul class="join-list list-unstyled">' in html


def test_personal_page_opens_the_room_change_after_an_error(client, room):
    other = RoomFactory(event=room.event, number=room.number + 1, capacity=0, waiting_list_size=0)
    registration = RegistrationFactory(room=room)
    url = reverse("registrations:change_room", kwargs={"token": registration.token})
    html = client.post(url, {"room": other.pk}).content.decode()
    assert '<details class="fold" open>' in html


def test_cancelled_registration_shows_no_room(client, room):
    registration = RegistrationFactory(room=room, status="cancelled", cancelled_at=timezone.now())
    html = client.get(registration.get_absolute_url()).content.decode()
    assert "<strong>Storniert.</strong>" in html
    assert "Ethik" not in html
    assert "Break-out-Raum</dt>" not in html
    assert f"/r/{registration.token}/cancel/" not in html
    assert 'name="room"' not in html
