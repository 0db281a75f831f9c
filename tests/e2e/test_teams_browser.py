"""In a real browser: an organiser of event B reaches nothing of event A; a moderator sees their
room only, marks attendance and reaches no other room."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from events.models import Event
from registrations.models import Registration
from tests.e2e.browser import axe_violations
from tests.factories import EventFactory, RegistrationFactory, RoomFactory

pytestmark = pytest.mark.e2e
PASSWORD = "sicheres-passwort-42"
MODERATOR_PERMISSIONS = [
    "view_registration",
    "view_mailing",
    "view_mailingrecipient",
    "add_mailing",
    "change_mailing",
    "delete_mailing",
]


@pytest.fixture
def world(django_user_model):
    """Transactional tests flush the data migrations' rows: rebuild both groups as the
    migrations create them. Event A (Annabell), event B (Bertold in room 3, Dora in room 4);
    Berta runs B, Mona moderates B's room 3."""
    organisers, _created = Group.objects.get_or_create(name="Organisers")
    organisers.permissions.set(
        Permission.objects.filter(content_type__app_label__in=["events", "registrations"])
    )
    moderators, _created = Group.objects.get_or_create(name="Moderators")
    moderators.permissions.set(
        Permission.objects.filter(
            content_type__app_label="registrations", codename__in=MODERATOR_PERMISSIONS
        )
    )
    event_a = EventFactory(title="Tagung Anton", slug="tagung-a")
    event_b = EventFactory(title="Tagung Berta", slug="tagung-b")
    room_a = RoomFactory(event=event_a, number=1, name="Anfang")
    room_3 = RoomFactory(event=event_b, number=3, name="Verwaltung")
    room_4 = RoomFactory(event=event_b, number=4, name="Recht")
    berta = django_user_model.objects.create_user("berta", password=PASSWORD, is_staff=True)
    berta.groups.add(organisers)
    event_b.team.add(berta)
    mona = django_user_model.objects.create_user("mona", password=PASSWORD, is_staff=True)
    mona.groups.add(moderators)
    room_3.moderator_accounts.add(mona)
    return {
        "event_a": event_a,
        "room_a": room_a,
        "annabell": RegistrationFactory(room=room_a, first_name="Anna", last_name="Annabell"),
        "bertold": RegistrationFactory(
            room=room_3, first_name="Bert", last_name="Bertold", organisation="Stadt Jena"
        ),
        "dora": RegistrationFactory(room=room_4, first_name="Dora", last_name="Dietz"),
        "room_3": room_3,
    }


def log_in(page, username):
    page.goto("/admin/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def test_an_organiser_of_b_reaches_nothing_of_a(new_page, world):
    page = new_page(expect_http_errors=True)
    log_in(page, "berta")

    assert "Tagung Berta" in page.content()
    assert "Tagung Anton" not in page.content()
    page.locator("a[href='/admin/registrations/registration/']").first.click()
    page.wait_for_url("**/admin/registrations/registration/")
    names = page.locator("#result_list tbody th").all_inner_texts()
    assert sorted(names) == ["Bertold, Bert", "Dietz, Dora"]

    # Event A's pages lead back to the index ("does not exist"), its lists are not found.
    annabell = world["annabell"]
    for url in [
        f"/admin/registrations/registration/{annabell.pk}/change/",
        f"/admin/events/event/{world['event_a'].pk}/change/",
        f"/admin/events/room/{world['room_a'].pk}/change/",
    ]:
        page.goto(url)
        assert page.url.endswith("/admin/"), url
        assert "Annabell" not in page.content()
        assert "Tagung Anton" not in page.content()
    for fmt in ["csv", "xlsx"]:
        export = page.request.get(
            f"/admin/registrations/registration/export/{world['event_a'].pk}/{fmt}/"
        )
        assert export.status == 404
        assert "Annabell" not in export.text()


def test_a_moderator_sees_their_room_and_marks_attendance(new_page, world):
    page = new_page(expect_http_errors=True)
    log_in(page, "mona")

    # The index offers registrations and messages, no events.
    assert page.get_by_role("link", name="Veranstaltungen").count() == 0
    page.locator("a[href='/admin/registrations/registration/']").first.click()
    page.wait_for_url("**/admin/registrations/registration/")
    assert page.locator("#result_list tbody th").all_inner_texts() == ["Bertold, Bert"]
    assert "Stadt Jena" in page.content()
    assert "Dietz" not in page.content()
    assert world["bertold"].email not in page.content()
    options = page.locator("select[name=action] option").all_inner_texts()
    assert options[1:] == ["Als teilgenommen markieren", "Teilnahme-Markierung entfernen"]

    page.locator("#result_list tbody input[name=_selected_action]").check()
    page.locator("select[name=action]").select_option("mark_attended")
    page.get_by_role("button", name="Ausführen").click()
    assert "1 Person als teilgenommen markiert." in page.locator(".messagelist").inner_text()
    bertold = Registration.objects.get(pk=world["bertold"].pk)
    assert bertold.attended_at is not None

    # Another room's registration, the events and the occupancy are closed.
    page.goto(f"/admin/registrations/registration/{world['dora'].pk}/change/")
    assert page.url.endswith("/admin/")
    for url in ["/admin/events/event/", "/admin/registrations/registration/occupancy/"]:
        response = page.goto(url)
        assert response.status == 403, url
    own = page.request.get(
        f"/admin/registrations/registration/export/{world['room_3'].event_id}/csv/"
        f"?room={world['room_3'].pk}"
    )
    assert own.status == 200
    assert "Bertold" in own.text()
    assert "Dietz" not in own.text()


def test_an_organiser_copies_the_event_and_hands_a_moderator_their_room(new_page, world):
    page = new_page()
    log_in(page, "berta")
    event_b = world["room_3"].event
    page.goto(f"/admin/events/event/{event_b.pk}/change/")

    page.get_by_role("button", name="Für ein neues Datum kopieren …").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "„Tagung Berta“ für ein neues Datum kopieren"
    )
    assert axe_violations(page) == []
    page.get_by_label("Titel der neuen Ausgabe").fill("Tagung Berta 2")
    page.get_by_label("Kurzname (URL)").fill("tagung-b-2")
    page.get_by_label("Neues Datum (erster Tag)").fill("2030-09-17")
    page.get_by_role("button", name="Veranstaltung kopieren").click()

    copy = Event.objects.get(slug="tagung-b-2")
    page.wait_for_url(f"**/admin/events/event/{copy.pk}/change/")
    assert "unveröffentlicht und ohne Anmeldungen" in page.locator(".messagelist").inner_text()
    assert timezone.localtime(copy.starts_at, copy.tzinfo).date() == dt.date(2030, 9, 17)
    assert list(copy.team.all()) == [Event.objects.get(pk=event_b.pk).team.get()]

    # Hand Mona room 3 of the new edition: from the event's rooms to the room's own page.
    room = copy.rooms.get(number=3)
    rooms = page.locator("#rooms-group tbody tr.form-row")
    row = rooms.filter(has=page.locator("input[value='3']")).first
    row.get_by_role("link", name="Details").click()
    page.wait_for_url(f"**/admin/events/room/{room.pk}/change/")
    page.locator("select[name='moderator_accounts']").select_option(label="mona")
    page.get_by_role("button", name="Sichern", exact=True).first.click()
    page.wait_for_url("**/admin/events/room/")
    assert [user.username for user in room.moderator_accounts.all()] == ["mona"]
    assert not Registration.objects.filter(event=copy).exists()
