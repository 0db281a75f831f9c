"""Writing to the attendees of an event or a room: compose, preview, send, record."""

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.tasks import task_backends
from django.urls import reverse
from django.utils import timezone

from registrations import mailings
from registrations.models import Mailing, MailingRecipient, Registration
from tests.factories import RegistrationFactory, RoomFactory, joined
from tests.registrations.admin_helpers import (
    bulk_registrations,
    make_staff_outside_group,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.room(number=4, name="Stadt- & Regionalplanung", capacity=10),
]
ADD = "/admin/registrations/mailing/add/"


@pytest.fixture
def people(room):
    other_room = RoomFactory(event=room.event, number=5, name="Recht")
    return {
        "anna": RegistrationFactory(room=room, first_name="Anna", email="anna@example.org"),
        "ben": RegistrationFactory(
            room=room, first_name="Ben", email="ben@example.org", language="en"
        ),
        "waiting": RegistrationFactory(
            room=room, status="waiting", waiting_since=timezone.now(), email="w@example.org"
        ),
        "pending": RegistrationFactory(
            room=room,
            status="pending",
            email_confirmed_at=None,
            expires_at=timezone.now() + dt.timedelta(hours=1),
            email="p@example.org",
        ),
        "cancelled": RegistrationFactory(room=room, status="cancelled", email="c@example.org"),
        "other_room": RegistrationFactory(room=other_room, email="o@example.org"),
    }


def compose(client, room, **fields):
    data = {
        "event": room.event_id,
        "room": room.pk,
        "audience": "confirmed",
        "subject": "Ihr Raum öffnet um 11:05",
        "body": "Guten Tag,\n\nder Deep Dive beginnt pünktlich.\n\nViele Grüße",
        **fields,
    }
    response = client.post(ADD, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Mailing.objects.latest("pk"), response


def test_compose_preview_and_send_to_a_room(organiser_client, organiser, room, people):
    form = organiser_client.get(ADD, {"event": room.event_id, "room": room.pk})
    assert form.context["adminform"].form.initial["room"] == str(room.pk)

    mailing, response = compose(organiser_client, room)
    change_url = reverse("admin:registrations_mailing_change", args=[mailing.pk])
    assert response["Location"] == change_url
    page = organiser_client.get(change_url).content.decode()
    assert "2 Personen würden diese Nachricht jetzt erhalten." in page
    assert "der Deep Dive beginnt pünktlich." in page  # the preview
    send_url = reverse("admin:registrations_mailing_send", args=[mailing.pk])
    assert f'action="{send_url}"' in page
    assert mail.outbox == []

    response = organiser_client.post(send_url, follow=True)
    assert "Die Nachricht an 2 Personen ist unterwegs." in response.content.decode()

    # One mail per person, each to one address only.
    assert sorted(m.to[0] for m in mail.outbox) == ["anna@example.org", "ben@example.org"]
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)
    by_address = {m.to[0]: m for m in mail.outbox}
    anna, ben = by_address["anna@example.org"], by_address["ben@example.org"]
    assert anna.subject == "Ihr Raum öffnet um 11:05"
    assert "(Europe/Berlin)\n\nGuten Tag,\n\nder Deep Dive beginnt pünktlich." in anna.body
    assert people["anna"].token in anna.body
    assert people["ben"].token not in anna.body
    assert "Sie erhalten diese Nachricht, weil Sie für" in anna.body
    assert "Raum 4: Stadt- & Regionalplanung" in anna.body
    assert "You receive this message because you are registered for" in ben.body

    # The record: who, when.
    mailing.refresh_from_db()
    assert mailing.queued_at is not None
    assert mailing.created_by == organiser
    recipients = MailingRecipient.objects.filter(mailing=mailing)
    assert {r.registration_id for r in recipients} == {people["anna"].pk, people["ben"].pk}
    assert all(r.sent_at and r.error == "" and r.attempts == 1 for r in recipients)
    log = LogEntry.objects.filter(object_id=str(mailing.pk), content_type__model="mailing")
    assert [e.get_change_message() for e in log.order_by("pk")] == [
        "Hinzugefügt.",
        "An 2 Personen gesendet.",
    ]

    # The sent message is read-only: it shows who got it, and cannot be sent again.
    page = organiser_client.get(change_url).content.decode()
    assert "anna@example.org" in page
    assert f'action="{send_url}"' not in page
    organiser_client.post(send_url)
    assert len(mail.outbox) == 2
    delete = reverse("admin:registrations_mailing_delete", args=[mailing.pk])
    assert organiser_client.get(delete).status_code == 403


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        ("confirmed", {"anna", "ben", "other_room"}),
        ("holding_seat", {"anna", "ben", "pending", "other_room"}),
        ("waiting", {"waiting"}),
    ],
)
def test_audience_of_the_whole_event(room, people, audience, expected):
    mailing = Mailing.objects.create(event=room.event, audience=audience, subject="s", body="b")
    found = set(mailings.mailing_audience(mailing=mailing))
    assert found == {people[key] for key in expected}


def test_mails_are_queued_as_one_task_each(settings, room, people):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    mailing = Mailing.objects.create(event=room.event, room=room, subject="s", body="b")
    assert mailings.mailing_send(mailing=mailing) == 2
    results = task_backends["default"].results
    assert [r.task.name for r in results] == ["mailing_deliver", "mailing_deliver"]
    assert sorted(r.kwargs["recipient_id"] for r in results) == sorted(
        mailing.recipients.values_list("pk", flat=True)
    )
    assert mail.outbox == []
    assert not mailing.recipients.filter(sent_at__isnull=False).exists()


def test_a_failing_mail_is_recorded_and_can_be_sent_again(settings, organiser_client, room, people):
    settings.MAILERS = {"default": {"BACKEND": "tests.registrations.failing_mailer.Backend"}}
    mailing, _response = compose(organiser_client, room)
    organiser_client.post(reverse("admin:registrations_mailing_send", args=[mailing.pk]))
    recipients = list(mailing.recipients.all())
    assert [(r.sent_at, r.error) for r in recipients] == [(None, "ConnectionRefusedError")] * 2
    page = organiser_client.get(reverse("admin:registrations_mailing_change", args=[mailing.pk]))
    assert "0 von 2 (2 fehlgeschlagen)" in page.content.decode()

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    organiser_client.post(reverse("admin:registrations_mailing_retry", args=[mailing.pk]))
    assert len(mail.outbox) == 2
    assert all(r.sent_at and r.error == "" for r in mailing.recipients.all())


def test_a_room_of_another_event_is_refused(organiser_client, room):
    stranger = RoomFactory()
    response = organiser_client.post(
        ADD,
        {
            "event": room.event_id,
            "room": stranger.pk,
            "audience": "confirmed",
            "subject": "s",
            "body": "b",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "room": ["Dieser Raum gehört zu einer anderen Veranstaltung."]
    }
    assert not Mailing.objects.exists()


def test_nobody_to_write_to_is_an_error(organiser_client, room):
    mailing, _response = compose(organiser_client, room)
    response = organiser_client.post(
        reverse("admin:registrations_mailing_send", args=[mailing.pk]), follow=True
    )
    assert "Niemand würde diese Nachricht erhalten." in response.content.decode()
    mailing.refresh_from_db()
    assert mailing.queued_at is None


def test_staff_outside_the_group_cannot_write(client, room, people):
    mailing = Mailing.objects.create(event=room.event, room=room, subject="s", body="b")
    client.force_login(make_staff_outside_group())
    assert client.get(ADD).status_code == 403
    send = client.post(reverse("admin:registrations_mailing_send", args=[mailing.pk]))
    assert send.status_code == 403
    assert mail.outbox == []


@pytest.mark.parametrize("count", [1, 60])
def test_sent_mailing_page_query_count_is_constant(
    organiser_client, django_assert_num_queries, count
):
    room = RoomFactory(capacity=500)
    bulk_registrations(room, count)
    mailing = Mailing.objects.create(event=room.event, room=room, subject="s", body="b")
    mailings.mailing_send(mailing=mailing)
    url = reverse("admin:registrations_mailing_change", args=[mailing.pk])
    organiser_client.get(url)
    # session, user, draft check, the mailing with its counts, Organisers group, permissions (2),
    # the recipients with registration and room, the event and the room shown read-only, the
    # event in the header.
    with django_assert_num_queries(11):
        response = organiser_client.get(url)
    assert response.content.decode().count("@example.org") >= count


# -- follow-ups after the event: to those who attended, or to those who did not -----------------

FOLLOW_UP = (
    "Vielen Dank für Ihre Teilnahme!\n\n"
    "Folien: https://cloud.example.org/s/koki?dl=1&lang=de\n"
    "Aufzeichnung: https://video.example.org/v/koki-abschluss#t=90\n"
    "Feedback: https://forms.example.org/koki?id=7&quelle=<mail>\n"
)


@pytest.fixture
def after_the_event(room, people):
    """Anna (this room) and the other room's attendee came, Ben did not. The waiting, pending
    and cancelled people and an anonymised registration carry an attendance time too: only
    confirmed people who are still there count."""
    for key in ["anna", "other_room"]:
        joined(registration=people[key], room=None)
    now = timezone.now()
    Registration.objects.filter(
        pk__in=[people[key].pk for key in ["waiting", "pending", "cancelled"]]
    ).update(attended_at=now)
    RegistrationFactory(room=room, attended_at=now, anonymised_at=now, email="x@example.org")
    return people


@pytest.mark.parametrize(
    ("audience", "in_room", "expected"),
    [
        ("attended", False, ["anna", "other_room"]),
        ("attended", True, ["anna"]),
        ("no_show", False, ["ben"]),
        ("no_show", True, ["ben"]),
    ],
)
def test_follow_up_audiences(room, after_the_event, audience, in_room, expected):
    mailing = Mailing.objects.create(
        event=room.event,
        room=room if in_room else None,
        audience=audience,
        subject="s",
        body="b",
    )

    found = list(mailings.mailing_audience(mailing=mailing))

    assert found == [after_the_event[key] for key in expected]  # by pk: as created


def test_admin_offers_the_follow_up_audiences(organiser_client):
    response = organiser_client.get(ADD)

    field = response.context["adminform"].form.fields["audience"]
    assert list(field.choices) == [
        ("confirmed", "bestätigte Teilnehmende"),
        ("holding_seat", "bestätigte und noch nicht bestätigte Teilnehmende"),
        ("waiting", "Personen auf der Warteliste"),
        ("attended", "Personen, die teilgenommen haben"),
        ("no_show", "bestätigte Teilnehmende, die nicht teilgenommen haben"),
    ]
    page = response.content.decode()
    assert '<option value="attended">Personen, die teilgenommen haben</option>' in page
    assert (
        '<option value="no_show">bestätigte Teilnehmende, die nicht teilgenommen haben</option>'
    ) in page


def test_follow_up_with_links_to_those_who_attended(organiser_client, room, after_the_event):
    response = organiser_client.post(
        ADD,
        {
            "event": room.event_id,
            "room": "",
            "audience": "attended",
            "subject": "Folien, Aufzeichnung und Ihr Feedback",
            "body": FOLLOW_UP,
        },
    )
    mailing = Mailing.objects.get()
    change_url = reverse("admin:registrations_mailing_change", args=[mailing.pk])
    assert response["Location"] == change_url
    page = organiser_client.get(change_url).content.decode()
    assert "2 Personen würden diese Nachricht jetzt erhalten." in page
    assert "https://forms.example.org/koki?id=7&amp;quelle=&lt;mail&gt;" in page  # the preview

    organiser_client.post(reverse("admin:registrations_mailing_send", args=[mailing.pk]))

    assert sorted(m.to[0] for m in mail.outbox) == ["anna@example.org", "o@example.org"]
    for message in mail.outbox:
        assert message.subject == "Folien, Aufzeichnung und Ihr Feedback"
        # The links arrive as they were written: plain text, nothing escaped or shortened.
        assert f"(Europe/Berlin)\n\n{FOLLOW_UP}\n" in message.body
