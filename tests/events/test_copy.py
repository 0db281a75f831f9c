"""Copying an event for its next edition: the service (what moves, what stays, what is left out)
and the admin action that asks for the new date."""

import datetime as dt
import zoneinfo

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from events import services
from events.models import AgendaItem, AgendaItemSpeaker, Event, QuestionChoice, Reminder, Room
from registrations.models import Registration
from tests.factories import RegistrationFactory
from tests.registrations.admin_helpers import make_moderator, make_organiser

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
CHANGELIST = "/admin/events/event/"
WINTER = dt.date(2027, 3, 16)  # CET, UTC+1
SUMMER = dt.date(2027, 4, 13)  # CEST, UTC+2: four weeks later, across the change of time


def local(moment) -> str:
    return timezone.localtime(moment, BERLIN).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def source(demo_event):
    """The demo event (16 March 2027, eight rooms, agenda with speakers, two reminders) with a
    registration window, a team and a moderator account."""
    Event.objects.filter(pk=demo_event.pk).update(
        registration_opens_at=dt.datetime(2027, 2, 1, 8, 0, tzinfo=BERLIN),
        registration_closes_at=dt.datetime(2027, 3, 15, 18, 0, tzinfo=BERLIN),
        hold_minutes=45,
    )
    demo_event.refresh_from_db()
    berta = make_organiser("berta")
    demo_event.team.add(berta)
    make_moderator("mona", rooms=[demo_event.rooms.get(number=3)])
    RegistrationFactory(room=demo_event.rooms.get(number=1))
    return demo_event


def test_the_copy_moves_every_time_keeping_the_local_clock(source):
    copy = services.event_copy(event=source, starts_on=SUMMER, title="KoKI 2", slug="koki-2")

    assert (local(source.starts_at), local(copy.starts_at)) == (
        "2027-03-16 10:00",
        "2027-04-13 10:00",
    )
    assert copy.starts_at - source.starts_at == dt.timedelta(days=28, hours=-1)  # summer time
    assert local(copy.ends_at) == "2027-04-13 12:45"
    assert local(copy.registration_opens_at) == "2027-03-01 08:00"
    assert local(copy.registration_closes_at) == "2027-04-12 18:00"
    old_items = list(AgendaItem.objects.filter(event=source).order_by("starts_at", "pk"))
    new_items = list(AgendaItem.objects.filter(event=copy).order_by("starts_at", "pk"))
    assert [
        (i.title, i.kind, local(i.starts_at)[11:], local(i.ends_at)[11:]) for i in new_items
    ] == [(i.title, i.kind, local(i.starts_at)[11:], local(i.ends_at)[11:]) for i in old_items]
    assert {local(i.starts_at)[:10] for i in new_items} == {"2027-04-13"}
    assert all(i.uid not in {o.uid for o in old_items} and i.sequence == 0 for i in new_items)


def test_the_copy_carries_programme_rooms_speakers_texts_and_settings(source):
    copy = services.event_copy(event=source, starts_on=SUMMER, title="KoKI 2", slug="koki-2")

    assert (copy.title, copy.slug, copy.is_published) == ("KoKI 2", "koki-2", False)
    for name in [
        "subtitle",
        "description",
        "organiser",
        "timezone",
        "is_online",
        "double_opt_in",
        "hold_minutes",
        "join_opens_minutes",
        "embed_origins",
    ]:
        assert getattr(copy, name) == getattr(source, name), name
    assert [u.username for u in copy.team.all()] == ["berta"]
    fields = ["number", "name", "topic", "capacity", "waiting_list_size", "moderators"]
    assert list(copy.rooms.values_list(*fields)) == list(source.rooms.values_list(*fields))
    # Items in rooms point at the copy's rooms; speakers are the same people, in the same order.
    assert not AgendaItem.objects.filter(event=copy, room__event=source).exists()
    links = AgendaItemSpeaker.objects.order_by("agenda_item__starts_at", "order", "pk")
    assert [
        (lk.agenda_item.title, lk.speaker_id) for lk in links.filter(agenda_item__event=copy)
    ] == [(lk.agenda_item.title, lk.speaker_id) for lk in links.filter(agenda_item__event=source)]
    reminders = ["days_before", "at_time", "minutes_before"]
    assert list(Reminder.objects.filter(event=copy).values_list(*reminders)) == list(
        Reminder.objects.filter(event=source).values_list(*reminders)
    )


def test_the_copy_carries_both_languages_and_the_forms_questions(source):
    copy = services.event_copy(event=source, starts_on=SUMMER, title="KoKI 2", slug="koki-2")

    # The new title is the German one; the English title shows it until one is entered.
    assert (copy.title_de, copy.title_en) == ("KoKI 2", "")
    assert (copy.description_de, copy.description_en) == (
        source.description_de,
        source.description_en,
    )
    assert copy.source_note_en == source.source_note_en != ""
    room_texts = ["number", "name_de", "name_en", "topic_de", "topic_en"]
    assert list(copy.rooms.order_by("number").values_list(*room_texts)) == list(
        source.rooms.order_by("number").values_list(*room_texts)
    )
    question_texts = ["order", "kind", "label_de", "label_en", "required", "is_access_need"]
    assert list(copy.questions.order_by("order").values_list(*question_texts)) == list(
        source.questions.order_by("order").values_list(*question_texts)
    )
    assert source.questions.count() == 2  # the demo's two questions

    def options(event):
        return [
            (option.question.label_de, option.order, option.label_de, option.label_en)
            for option in QuestionChoice.objects.filter(question__event=event).order_by(
                "question__order", "order"
            )
        ]

    assert options(copy) == options(source)
    assert len(options(source)) > 2  # the source keeps its options: they were copied, not moved


@pytest.mark.django_db(transaction=True)
def test_a_copy_that_fails_halfway_leaves_nothing_behind(source, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(QuestionChoice.objects, "bulk_create", fail)  # the last step
    events = Event.objects.count()

    with pytest.raises(RuntimeError):
        services.event_copy(event=source, starts_on=SUMMER, title="KoKI 2", slug="koki-2")

    assert Event.objects.count() == events
    assert not Event.objects.filter(slug="koki-2").exists()
    assert not Room.objects.filter(event__slug="koki-2").exists()


def test_the_copy_leaves_out_registrations_meeting_addresses_and_moderator_accounts(source):
    copy = services.event_copy(event=source, starts_on=SUMMER, title="KoKI 2", slug="koki-2")

    assert not Registration.objects.filter(event=copy).exists()
    assert Registration.objects.filter(event=source).count() == 1
    assert copy.plenary_join_url == ""
    assert set(copy.rooms.values_list("join_url", flat=True)) == {""}
    assert not Room.moderator_accounts.through.objects.filter(room__event=copy).exists()
    assert Room.moderator_accounts.through.objects.filter(room__event=source).count() == 1
    assert Reminder.objects.filter(event=copy, scheduled_for__isnull=False).count() == 0


def test_a_free_short_name_is_suggested():
    assert services.event_slug_free(base="koki") == "koki"
    from tests.factories import EventFactory

    EventFactory(slug="koki")
    EventFactory(slug="koki-2")
    assert services.event_slug_free(base="koki") == "koki-3"


# -- the admin action ---------------------------------------------------------------------------


@pytest.fixture
def berta_client(source):
    client = Client()
    client.force_login(source.team.get())
    return client


def run_copy(client, event, **fields):
    return client.post(
        CHANGELIST,
        {"action": "copy_for_new_date", "_selected_action": [event.pk], "index": 0, **fields},
    )


def test_the_action_is_offered_on_the_list_and_the_event_page(source, berta_client):
    for url in [CHANGELIST, f"{CHANGELIST}{source.pk}/change/"]:
        assert 'value="copy_for_new_date"' in berta_client.get(url).content.decode(), url
    page = berta_client.get(f"{CHANGELIST}{source.pk}/change/").content.decode()
    assert f'<input type="hidden" name="_selected_action" value="{source.pk}">' in page
    # A programme editor who may not add events gets neither.
    editor = get_user_model().objects.create_user("redaktion", is_staff=True)
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_event", "change_event"])
    )
    source.team.add(editor)
    client = Client()
    client.force_login(editor)
    for url in [CHANGELIST, f"{CHANGELIST}{source.pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "copy_for_new_date" not in response.content.decode(), url


def test_the_action_asks_for_the_date_and_copies(source, berta_client):
    form_page = run_copy(berta_client, source)

    assert form_page.status_code == 200
    form = form_page.context["form"]
    assert form.initial == {
        "title": source.title,
        "slug": f"{source.slug}-2028",
        "starts_on": dt.date(2028, 3, 16),
    }
    html = form_page.content.decode()
    assert 'type="date"' in html
    assert form_page.context["counts"] == {
        "rooms": 8,
        "items": AgendaItem.objects.count(),
        "reminders": 2,
    }

    done = run_copy(
        berta_client,
        source,
        title="KoKI-Tag 2027 (Sommer)",
        slug="koki-sommer",
        starts_on="2027-04-13",
    )

    copy = Event.objects.get(slug="koki-sommer")
    assert done.status_code == 302
    assert done["Location"] == f"/admin/events/event/{copy.pk}/change/"
    assert local(copy.starts_at) == "2027-04-13 10:00"
    assert copy.rooms.count() == 8
    assert [u.username for u in copy.team.all()] == ["berta"]
    log = LogEntry.objects.get(object_id=str(copy.pk))
    with translation.override("de"):
        assert log.get_change_message() == gettext("Copied from “%(event)s”.") % {
            "event": source.title
        }
    assert berta_client.get(done["Location"]).status_code == 200


def test_the_action_refuses_bad_input_with_messages(source, berta_client):
    for fields, field in [
        ({"title": "X", "slug": source.slug, "starts_on": "2027-04-13"}, "slug"),
        ({"title": "X", "slug": "neu", "starts_on": "abc"}, "starts_on"),
        ({"title": "X", "slug": "neu", "starts_on": "99999-01-01"}, "starts_on"),
        ({"title": "X", "slug": "neu", "starts_on": "1500-01-01"}, "starts_on"),
        ({"title": "", "slug": "neu", "starts_on": "2027-04-13"}, "title"),
        ({"title": "X", "slug": "a b\x00", "starts_on": "2027-04-13"}, "slug"),
    ]:
        response = run_copy(berta_client, source, **fields)
        assert response.status_code == 200, fields
        assert list(response.context["form"].errors) == [field], fields
    assert Event.objects.count() == 1


def test_only_the_team_copies_its_event(source):
    other = Client()
    other.force_login(make_organiser("fremd"))
    response = run_copy(other, source, title="X", slug="geklaut", starts_on="2027-04-13")
    assert response.status_code == 302  # no such event in their list
    moderator = Client()
    moderator.force_login(source.rooms.get(number=3).moderator_accounts.get())
    assert (
        run_copy(moderator, source, title="X", slug="geklaut", starts_on="2027-04-13").status_code
        == 403
    )
    assert Event.objects.count() == 1
