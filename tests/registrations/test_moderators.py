"""Moderators: their own rooms' registrations (read only, without e-mail addresses), attendance
marks and messages to their rooms; nothing else."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from registrations.models import Attendance, Mailing, Registration
from tests.factories import EventFactory, RegistrationFactory, RoomFactory
from tests.registrations.admin_helpers import make_moderator

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/registrations/registration/"
ADD = "/admin/registrations/mailing/add/"
QUERIES = 16


@pytest.fixture
def setting():
    """Event with rooms 3 (Mona moderates it) and 4; Mona's client."""
    event = EventFactory(title="KoKI-Tag", slug="koki-tag")
    own = RoomFactory(event=event, number=3, name="Verwaltung")
    other = RoomFactory(event=event, number=4, name="Recht")
    mona = make_moderator("mona", rooms=[own])
    client = Client()
    client.force_login(mona)
    return {
        "event": event,
        "own": own,
        "other": other,
        "mona": mona,
        "client": client,
        "carla": RegistrationFactory(
            room=own,
            first_name="Carla",
            last_name="Conrad",
            email="carla@example.org",
            organisation="Stadt Jena",
        ),
        "dora": RegistrationFactory(
            room=other, first_name="Dora", last_name="Dietz", email="dora@example.org"
        ),
    }


def test_the_list_shows_the_own_room_without_addresses(setting):
    response = setting["client"].get(CHANGELIST)

    assert response.status_code == 200
    assert [r.last_name for r in response.context["cl"].result_list] == ["Conrad"]
    html = response.content.decode()
    assert "Conrad, Carla" in html
    assert "Stadt Jena" in html
    assert "carla@example.org" not in html
    assert "Dietz" not in html
    # No searching by address either.
    found = setting["client"].get(CHANGELIST, {"q": "carla@example.org"})
    assert found.context["cl"].result_count == 0
    # Their own tools are linked: the room's lists and writing to it.
    own = setting["own"]
    export = reverse("admin:registrations_registration_export", args=[own.event_id, "xlsx"])
    assert f'href="{export}?room={own.pk}"' in html
    assert f'href="{ADD}?event={own.event_id}&amp;room={own.pk}"' in html
    # The links of the organisers' tools are not offered.
    assert reverse("admin:registrations_registration_occupancy") not in html
    assert reverse("admin:failed_mails") not in html


def test_the_only_actions_are_the_attendance_marks(setting):
    response = setting["client"].get(CHANGELIST)
    actions = [value for value, _label in response.context["action_form"].fields["action"].choices]
    assert actions == ["", "mark_attended", "unmark_attended"]


def test_marking_attendance_in_the_own_room_only(setting):
    carla, dora = setting["carla"], setting["dora"]

    response = setting["client"].post(
        CHANGELIST,
        {"action": "mark_attended", "_selected_action": [carla.pk, dora.pk], "index": 0},
    )

    assert response.status_code == 302
    carla.refresh_from_db()
    dora.refresh_from_db()
    assert carla.attended_at is not None
    assert dora.attended_at is None
    assert list(Attendance.objects.values_list("registration_id", "room_id", "source")) == [
        (carla.pk, setting["own"].pk, Attendance.Source.ORGANISERS)
    ]


def test_the_registration_page_is_read_only_and_only_for_the_own_room(setting):
    client = setting["client"]
    page = client.get(f"{CHANGELIST}{setting['carla'].pk}/change/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Stadt Jena" in html
    assert "carla@example.org" not in html
    assert 'name="_save"' not in html  # read only
    assert (
        client.post(f"{CHANGELIST}{setting['carla'].pk}/change/", {"first_name": "X"}).status_code
        == 403
    )
    other = client.get(f"{CHANGELIST}{setting['dora'].pk}/change/")
    assert (other.status_code, other["Location"]) == (302, "/admin/")
    assert client.get(f"{CHANGELIST}{setting['carla'].pk}/delete/").status_code == 403


def test_the_organisers_tools_are_closed(setting):
    client = setting["client"]
    event, own = setting["event"], setting["own"]
    assert client.get(reverse("admin:registrations_registration_occupancy")).status_code == 403
    assert client.get(reverse("admin:failed_mails")).status_code == 403
    assert (
        client.post(
            reverse("admin:registrations_registration_move"), {"event": event.pk}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:registrations_registration_cancel"),
            {"registrations": [setting["carla"].pk]},
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("admin:registrations_registration_promote", args=[own.pk])).status_code
        == 403
    )
    for url in [
        "/admin/events/event/",
        f"/admin/events/event/{event.pk}/change/",
        "/admin/events/room/",
        f"/admin/events/room/{own.pk}/change/",
        "/admin/events/reminder/",
        "/admin/events/agendaitem/",
        "/admin/auth/user/",
        "/admin/django_tasks_database/dbtaskresult/",
    ]:
        assert client.get(url).status_code == 403, url
    index = client.get("/admin/").content.decode()
    assert "/admin/events/" not in index
    assert "/admin/registrations/registration/" in index
    setting["carla"].refresh_from_db()
    assert setting["carla"].status == Registration.Status.CONFIRMED
    assert not Registration.objects.filter(status=Registration.Status.CANCELLED).exists()


def test_exports_of_the_own_room_only(setting):
    client = setting["client"]
    export = reverse("admin:registrations_registration_export", args=[setting["event"].pk, "csv"])

    own = client.get(export, {"room": setting["own"].pk})
    assert own.status_code == 200
    text = own.content.decode("utf-8-sig")
    assert "Conrad" in text
    assert "Dietz" not in text
    assert client.get(export, {"room": setting["other"].pk}).status_code == 404
    assert client.get(export).status_code == 404  # the whole event's list


def test_writing_to_the_own_room(setting):
    client = setting["client"]
    form = client.get(ADD).context["adminform"].form
    assert list(form.fields["event"].queryset) == [setting["event"]]
    assert list(form.fields["room"].queryset) == [setting["own"]]
    data = {
        "event": setting["event"].pk,
        "audience": "confirmed",
        "subject": "Raum 3 startet",
        "body": "Guten Tag, wir beginnen gleich.",
    }
    # The whole event or another room: refused.
    no_room = client.post(ADD, data)
    assert "room" in no_room.context["adminform"].form.errors
    other_room = client.post(ADD, {**data, "room": setting["other"].pk})
    assert "room" in other_room.context["adminform"].form.errors
    assert not Mailing.objects.exists()

    created = client.post(ADD, {**data, "room": setting["own"].pk})
    assert created.status_code == 302
    mailing = Mailing.objects.get()
    draft = client.get(reverse("admin:registrations_mailing_change", args=[mailing.pk]))
    assert "wir beginnen gleich." in draft.content.decode()  # the preview
    assert setting["carla"].token not in draft.content.decode()  # without Carla's own link
    sent = client.post(reverse("admin:registrations_mailing_send", args=[mailing.pk]))

    assert sent.status_code == 302
    assert [m.to for m in mail.outbox] == [["carla@example.org"]]
    page = client.get(reverse("admin:registrations_mailing_change", args=[mailing.pk]))
    assert "Conrad" in page.content.decode()
    assert "carla@example.org" not in page.content.decode()


@pytest.mark.parametrize("count", [1, 30])
def test_the_moderators_list_takes_the_same_queries_for_one_or_many(
    setting, django_assert_num_queries, count
):
    for _ in range(count - 1):
        RegistrationFactory(room=setting["own"])
    RegistrationFactory.create_batch(3, room=setting["other"])

    # Session, user, the two groups, permissions (2), whether the event has begun and asks for
    # access needs (one query), the event filter, the room filter, the counts (2), the page, its
    # attendance and answers (2), the rooms of the links, the event in the header: for one
    # registration or 30.
    with django_assert_num_queries(QUERIES):
        response = setting["client"].get(CHANGELIST)

    assert response.context["cl"].result_count == count


def test_a_moderator_without_rooms_sees_nothing(setting):
    client = Client()
    client.force_login(make_moderator("ohne-raum"))
    assert client.get(CHANGELIST).context["cl"].result_count == 0
    assert client.get("/admin/registrations/mailing/").context["cl"].result_count == 0
    assert list(client.get(ADD).context["adminform"].form.fields["room"].queryset) == []


def test_the_room_offers_moderator_accounts_of_the_group_only(setting, organiser_client):
    from tests.registrations.admin_helpers import make_organiser

    make_organiser("nicht-moderation")
    room = setting["event"].rooms.order_by("number").first()
    page = organiser_client.get(f"/admin/events/room/{room.pk}/change/")
    field = page.context["adminform"].form.fields["moderator_accounts"]
    assert list(field.queryset) == [setting["mona"]]


def test_the_demo_logins_run_the_demo_event_and_moderate_room_3(settings, demo_event):
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    settings.DEBUG = True
    out = io.StringIO()
    call_command("ensure_demo_organiser", stdout=out)
    call_command("ensure_demo_organiser", stdout=out)  # twice: nothing changes

    users = get_user_model().objects
    organiser, moderator = users.get(username="organiser"), users.get(username="moderator")
    assert list(organiser.koki_events.all()) == [demo_event]
    assert [(r.event, r.number) for r in moderator.moderated_rooms.all()] == [(demo_event, 3)]
    assert list(moderator.groups.values_list("name", flat=True)) == ["Moderators"]
    assert moderator.check_password("koki-demo-moderator")
    assert "“moderator”, password “koki-demo-moderator”" in out.getvalue()
    # The login address is where the server is (make run PORT=… sets KOKI_SITE_URL).
    assert f"Organiser login: {settings.SITE_URL}/admin/  user “organiser”" in out.getvalue()
