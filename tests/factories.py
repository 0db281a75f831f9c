import datetime as dt
import zoneinfo

import factory
from django.utils import timezone

from events.models import (
    AgendaItem,
    AgendaItemSpeaker,
    Event,
    Organiser,
    Question,
    QuestionChoice,
    Room,
    Speaker,
)
from registrations.models import Registration

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def future_day(days: int = 30) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


class OrganiserFactory(factory.django.DjangoModelFactory):
    """Shared by default: the events of a test have one organiser, as on a real site."""

    class Meta:
        model = Organiser
        django_get_or_create = ("slug",)

    slug = "colab"
    name = "Co:Lab e.V."
    website = "https://colab.example/"
    contact_email = "kontakt@colab.example"


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    slug = factory.Sequence(lambda n: f"event-{n}")
    title = factory.Sequence(lambda n: f"Veranstaltung {n}")
    organiser = factory.SubFactory(OrganiserFactory)
    starts_at = factory.LazyFunction(
        lambda: dt.datetime.combine(future_day(), dt.time(10, 0), tzinfo=BERLIN)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2, minutes=45))
    is_published = True


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speaker

    name = factory.Sequence(lambda n: f"Sprecherin {n}")
    role = "Forscherin"
    affiliation = "Universität"


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    event = factory.SubFactory(EventFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Thema {n}")
    topic = "KI und Verwaltung"
    capacity = 10
    join_url = factory.Sequence(lambda n: f"https://meet.example.org/room-{n}")


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    event = factory.SubFactory(EventFactory)
    starts_at = factory.LazyAttribute(lambda o: o.event.starts_at)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(minutes=15))
    title = factory.Sequence(lambda n: f"Programmpunkt {n}")
    kind = AgendaItem.Kind.TALK


class AgendaItemSpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItemSpeaker

    agenda_item = factory.SubFactory(AgendaItemFactory)
    speaker = factory.SubFactory(SpeakerFactory)


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    event = factory.LazyAttribute(lambda o: o.room.event)
    room = factory.SubFactory(RoomFactory)
    status = Registration.Status.CONFIRMED
    first_name = "Erika"
    last_name = factory.Sequence(lambda n: f"Mustermann{n}")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    consent_at = factory.LazyFunction(timezone.now)
    privacy_notice_version = 1
    email_confirmed_at = factory.LazyFunction(timezone.now)


def joined(*, registration, room, now=None) -> None:
    """The person clicked their join link to `room` (None: the plenary), at `now`."""
    from registrations.attendance import attendance_record

    attendance_record(registration_id=registration.pk, room_id=room.pk if room else None, now=now)


class QuestionFactory(factory.django.DjangoModelFactory):
    """A question of the registration form (text unless `kind` says otherwise)."""

    class Meta:
        model = Question

    event = factory.SubFactory(EventFactory)
    order = factory.Sequence(lambda n: n + 1)
    kind = Question.Kind.TEXT
    label_de = factory.Sequence(lambda n: f"Frage {n}")
    label_en = factory.Sequence(lambda n: f"Question {n}")


class QuestionChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuestionChoice

    question = factory.SubFactory(QuestionFactory, kind=Question.Kind.SINGLE)
    order = factory.Sequence(lambda n: n + 1)
    label_de = factory.Sequence(lambda n: f"Option {n}")
    label_en = factory.Sequence(lambda n: f"Option {n} (en)")
