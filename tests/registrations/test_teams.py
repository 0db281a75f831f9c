"""Teams: an organiser sees and changes only the events whose team they belong to, with their
programme, registrations, lists, messages and reminders; superusers see every event."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from events.models import AgendaItem, Event, Reminder, Room
from registrations.models import Attendance, Mailing, Registration
from tests.factories import AgendaItemFactory, EventFactory, RegistrationFactory, RoomFactory
from tests.registrations.admin_helpers import make_organiser

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/registrations/registration/"


@pytest.fixture
def two_events():
    """Event A (Anna's registration) and event B (Bert's), each with a room, a reminder, an agenda
    item and a draft message; and Berta, an organiser in B's team only."""
    data = {}
    for key, person in [("a", "Annabell"), ("b", "Bertold")]:
        event = EventFactory(title=f"Tagung {key.upper()}", slug=f"tagung-{key}")
        room = RoomFactory(event=event, number=1, name=f"Raum {key.upper()}")
        data[key] = {
            "event": event,
            "room": room,
            "registration": RegistrationFactory(room=room, last_name=person),
            "reminder": Reminder.objects.create(event=event, minutes_before=60),
            "item": AgendaItemFactory(event=event, title=f"Vortrag {key.upper()}"),
            "mailing": Mailing.objects.create(
                event=event,
                room=room,
                audience="confirmed",
                subject=f"Botschaft {key.upper()}",
                body="x",
            ),
        }
    berta = make_organiser("berta")
    data["b"]["event"].team.add(berta)
    client = Client()
    client.force_login(berta)
    data["client"] = client
    data["berta"] = berta
    return data


def pages_of(event_data) -> list[str]:
    """Every admin page that shows one object of an event."""
    registration, mailing = event_data["registration"], event_data["mailing"]
    return [
        f"{CHANGELIST}{registration.pk}/change/",
        f"{CHANGELIST}{registration.pk}/history/",
        f"{CHANGELIST}{registration.pk}/delete/",
        f"/admin/registrations/mailing/{mailing.pk}/change/",
        f"/admin/registrations/mailing/{mailing.pk}/delete/",
        f"/admin/events/reminder/{event_data['reminder'].pk}/change/",
        f"/admin/events/event/{event_data['event'].pk}/change/",
        f"/admin/events/event/{event_data['event'].pk}/delete/",
        f"/admin/events/room/{event_data['room'].pk}/change/",
        f"/admin/events/agendaitem/{event_data['item'].pk}/change/",
    ]


def test_an_organiser_of_b_reaches_no_page_of_event_a(two_events):
    client = two_events["client"]

    for url in pages_of(two_events["a"]):
        response = client.get(url)
        # Django's answer for an object that is not there (for this user): back to the index.
        assert (response.status_code, response["Location"]) == (302, "/admin/"), url
    for url in pages_of(two_events["b"]):
        assert client.get(url).status_code == 200, url


def test_an_organiser_of_b_sees_only_b_in_every_list(two_events):
    client = two_events["client"]
    lists = {
        CHANGELIST: ("Bertold", "Annabell"),
        "/admin/registrations/mailing/": ("Botschaft B", "Botschaft A"),
        "/admin/events/event/": ("Tagung B", "Tagung A"),
        "/admin/events/room/": ("Raum B", "Raum A"),
        "/admin/events/agendaitem/": ("Vortrag B", "Vortrag A"),
        "/admin/events/reminder/": ("Tagung B", "Tagung A"),
        "/admin/": ("Tagung B", "Tagung A"),
        reverse("admin:registrations_registration_occupancy"): ("Tagung B", "Tagung A"),
    }
    for url, (shown, hidden) in lists.items():
        html = client.get(url).content.decode()
        assert shown in html, url
        assert hidden not in html, url
    # Asking for A's rows by the filters gives none of them.
    event_a, room_a = two_events["a"]["event"], two_events["a"]["room"]
    by_event = client.get(CHANGELIST, {"event__id__exact": event_a.pk})
    assert [r.last_name for r in by_event.context["cl"].result_list] == ["Bertold"]
    by_room = client.get(CHANGELIST, {"room": room_a.pk})
    assert list(by_room.context["cl"].result_list) == []


def test_an_organiser_of_b_gets_no_export_of_a(two_events):
    client = two_events["client"]
    event_a, event_b = two_events["a"]["event"], two_events["b"]["event"]
    room_a = two_events["a"]["room"]
    export = "admin:registrations_registration_export"

    for fmt in ["csv", "xlsx"]:
        assert client.get(reverse(export, args=[event_a.pk, fmt])).status_code == 404
        assert (
            client.get(reverse(export, args=[event_a.pk, fmt]), {"room": room_a.pk}).status_code
            == 404
        )
        # A's room under B's event is not found either.
        assert (
            client.get(reverse(export, args=[event_b.pk, fmt]), {"room": room_a.pk}).status_code
            == 404
        )
    own = client.get(reverse(export, args=[event_b.pk, "csv"]))
    assert own.status_code == 200
    assert "Bertold" in own.content.decode("utf-8-sig")
    assert "Annabell" not in own.content.decode("utf-8-sig")


def test_an_organiser_of_b_runs_no_action_on_a(two_events):
    client = two_events["client"]
    anna = two_events["a"]["registration"]
    for action in [
        "mark_attended",
        "cancel_registrations",
        "resend_confirmation",
        "move_to_room",
        "download_certificates",
    ]:
        response = client.post(
            CHANGELIST, {"action": action, "_selected_action": [anna.pk], "index": 0}
        )
        assert response.status_code == 302, action  # "no items selected": back to the list
    # The targets of the intermediate forms, called directly.
    move = client.post(
        reverse("admin:registrations_registration_move"),
        {
            "event": two_events["a"]["event"].pk,
            "registrations": [anna.pk],
            "room": two_events["a"]["room"].pk,
        },
    )
    assert move.status_code == 404
    cancel = client.post(
        reverse("admin:registrations_registration_cancel"), {"registrations": [anna.pk]}
    )
    assert cancel.status_code == 302
    promote = client.post(
        reverse("admin:registrations_registration_promote", args=[two_events["a"]["room"].pk])
    )
    assert promote.status_code == 404
    mailing = two_events["a"]["mailing"]
    for name in ["registrations_mailing_send", "registrations_mailing_retry"]:
        assert client.post(reverse(f"admin:{name}", args=[mailing.pk])).status_code == 404
    reminder = client.post(
        "/admin/events/reminder/",
        {"action": "send_now", "_selected_action": [two_events["a"]["reminder"].pk], "index": 0},
    )
    assert reminder.status_code == 302

    anna.refresh_from_db()
    mailing.refresh_from_db()
    assert (anna.status, anna.attended_at) == (Registration.Status.CONFIRMED, None)
    assert not Attendance.objects.filter(registration=anna).exists()
    assert mailing.queued_at is None
    assert not two_events["a"]["reminder"].deliveries.exists()
    assert mail.outbox == []  # no confirmation mail resent, no message, no reminder


def test_an_organiser_of_b_cannot_write_to_a_or_put_things_into_a(two_events):
    client = two_events["client"]
    event_a, room_a = two_events["a"]["event"], two_events["a"]["room"]
    event_b = two_events["b"]["event"]

    mailing = client.post(
        "/admin/registrations/mailing/add/",
        {
            "event": event_b.pk,
            "room": room_a.pk,
            "audience": "confirmed",
            "subject": "S",
            "body": "B",
        },
    )
    assert mailing.status_code == 200
    assert "room" in mailing.context["adminform"].form.errors
    item = client.post(
        "/admin/events/agendaitem/add/",
        {
            "event": event_a.pk,
            "title": "Eingeschmuggelt",
            "kind": "talk",
            "starts_at_0": "01.01.2030",
            "starts_at_1": "10:00",
            "ends_at_0": "01.01.2030",
            "ends_at_1": "11:00",
            "speaker_links-TOTAL_FORMS": "0",
            "speaker_links-INITIAL_FORMS": "0",
        },
    )
    assert item.status_code == 200
    assert "event" in item.context["adminform"].form.errors
    assert Mailing.objects.count() == 2
    assert not AgendaItem.objects.filter(title="Eingeschmuggelt").exists()
    # The choices name B's event and room only.
    form = client.get("/admin/registrations/mailing/add/").context["adminform"].form
    assert list(form.fields["event"].queryset) == [event_b]
    assert list(form.fields["room"].queryset) == [two_events["b"]["room"]]


def test_an_organiser_in_no_team_sees_no_event(two_events):
    client = Client()
    client.force_login(make_organiser("ohne-team"))

    assert client.get(CHANGELIST).context["cl"].result_count == 0
    assert client.get("/admin/events/event/").context["cl"].result_count == 0
    assert client.get("/admin/registrations/mailing/").context["cl"].result_count == 0
    html = client.get("/admin/").content.decode()
    assert "Tagung A" not in html
    assert "Tagung B" not in html


def test_a_superuser_sees_every_event_and_edits_the_team(two_events):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client = Client()
    client.force_login(admin)

    assert client.get(CHANGELIST).context["cl"].result_count == 2
    assert client.get("/admin/events/event/").context["cl"].result_count == 2
    page = client.get(f"/admin/events/event/{two_events['a']['event'].pk}/change/")
    assert "team" in page.context["adminform"].form.fields
    berta_page = two_events["client"].get(
        f"/admin/events/event/{two_events['b']['event'].pk}/change/"
    )
    assert "team" not in berta_page.context["adminform"].form.fields


def test_an_organiser_who_creates_an_event_joins_its_team(two_events):
    client = two_events["client"]
    response = client.post(
        "/admin/events/event/add/",
        {
            "title_de": "Tagung C",
            "slug": "tagung-c",
            "organiser": two_events["b"]["event"].organiser_id,
            "timezone": "Europe/Berlin",
            "starts_at_0": "01.10.2030",
            "starts_at_1": "10:00",
            "ends_at_0": "01.10.2030",
            "ends_at_1": "13:00",
            "is_online": "on",
            "double_opt_in": "on",
            "hold_minutes": "30",
            "join_opens_minutes": "15",
            **{
                f"{prefix}-{key}": "0"
                for prefix in ["rooms", "agenda_items", "reminders", "questions"]
                for key in ["TOTAL_FORMS", "INITIAL_FORMS"]
            },
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get(slug="tagung-c")
    assert list(event.team.all()) == [two_events["berta"]]
    assert client.get(f"/admin/events/event/{event.pk}/change/").status_code == 200


def test_room_choices_of_the_agenda_item_are_the_teams(two_events):
    form = two_events["client"].get("/admin/events/agendaitem/add/").context["adminform"].form
    assert list(form.fields["event"].queryset) == [two_events["b"]["event"]]
    assert list(form.fields["room"].queryset) == [two_events["b"]["room"]]
    assert Room.objects.count() == 2


def test_an_organiser_of_b_sees_the_speakers_of_b_and_of_no_event(two_events):
    from events.models import AgendaItemSpeaker, Speaker

    anton = Speaker.objects.create(name="Anton Aust")
    bea = Speaker.objects.create(name="Bea Bolz")
    Speaker.objects.create(name="Neu Nagel")
    AgendaItemSpeaker.objects.create(agenda_item=two_events["a"]["item"], speaker=anton)
    AgendaItemSpeaker.objects.create(agenda_item=two_events["b"]["item"], speaker=bea)
    client = two_events["client"]

    listed = client.get("/admin/events/speaker/").context["cl"].result_list
    assert [speaker.name for speaker in listed] == ["Bea Bolz", "Neu Nagel"]
    page = client.get(f"/admin/events/speaker/{anton.pk}/change/")
    assert (page.status_code, page["Location"]) == (302, "/admin/")
    found = client.get(
        "/admin/autocomplete/",
        {
            "app_label": "events",
            "model_name": "agendaitemspeaker",
            "field_name": "speaker",
            "term": "a",
        },
    ).json()
    assert [result["text"] for result in found["results"]] == ["Bea Bolz", "Neu Nagel"]
