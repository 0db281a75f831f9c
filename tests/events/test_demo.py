import datetime as dt
import zoneinfo

import pytest
from django.core.management import call_command

from events.demo import next_demo_date
from events.models import AgendaItem, Event, Room, Speaker

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def snapshot():
    return (
        list(Event.objects.values()),
        list(Room.objects.values()),
        list(AgendaItem.objects.values()),
        list(Speaker.objects.values()),
    )


def test_load_koki_demo_loads_the_real_facts():
    call_command("load_koki_demo", "--date", "2027-03-16")
    event = Event.objects.get(slug="koki-abschluss")
    assert event.title == (
        "Abschlussveranstaltung der Initiative „#KoKI – Künstliche Intelligenz in Kommunen“"
    )
    assert event.organiser.name.startswith("Co:Lab – Denklabor & Kollaborationsplattform")
    assert event.starts_at == dt.datetime(2027, 3, 16, 10, 0, tzinfo=BERLIN)
    assert event.ends_at == dt.datetime(2027, 3, 16, 12, 45, tzinfo=BERLIN)
    assert event.is_published
    assert event.is_online
    assert "16. März 2021" in event.source_note
    assert "Illustrativ" in event.source_note
    assert "Illustrativ" not in event.description
    assert [(r.number, r.name, r.capacity) for r in event.rooms.order_by("number")] == [
        (1, "Bildung & Lernen", 40),
        (2, "Politik & Verwaltung", 40),
        (3, "Pflege", 40),
        (4, "Stadt- & Regionalplanung", 40),
        (5, "Recht", 40),
        (6, "Ethik", 40),
        (7, "Facing Fears", 40),
        (8, "(Offene) Daten", 40),
    ]
    assert set(Speaker.objects.values_list("name", flat=True)) == {
        "Henning Lühr",
        "Tobias Krafft",
        "Christian Mainka",
        "Dr. Anja C. Wagner",
    }
    items = list(event.agenda_items.order_by("starts_at"))
    assert len(items) == 8
    assert all(event.starts_at <= i.starts_at < i.ends_at <= event.ends_at for i in items)
    for item in items:
        item.full_clean()
    panel = event.agenda_items.get(kind=AgendaItem.Kind.PANEL)
    assert [link.speaker.name for link in panel.speaker_links.all()] == [
        "Christian Mainka",
        "Dr. Anja C. Wagner",
    ]
    deep_dive = event.agenda_items.get(kind=AgendaItem.Kind.DEEP_DIVE)
    assert deep_dive.room is None
    assert deep_dive.is_all_rooms
    assert event.registration_state(now=event.starts_at - dt.timedelta(days=1)) == "open"


def test_load_koki_demo_twice_changes_nothing(capsys):
    call_command("load_koki_demo", "--date", "2027-03-16")
    before = snapshot()
    call_command("load_koki_demo")
    assert snapshot() == before
    assert "nothing changed" in capsys.readouterr().out


def test_load_koki_demo_rejects_bad_date():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("load_koki_demo", "--date", "16.03.2027")
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2026, 11, 28), dt.date(2027, 3, 16)),
        (dt.date(2027, 3, 16), dt.date(2027, 3, 16)),
        (dt.date(2027, 3, 17), dt.date(2028, 3, 16)),
        (dt.date(2027, 1, 1), dt.date(2027, 3, 16)),
    ],
)
def test_next_demo_date(today, expected):
    assert next_demo_date(today) == expected


def test_organisers_group_can_manage_content_but_not_users():
    from django.contrib.auth.models import Group

    perms = set(Group.objects.get(name="Organisers").permissions.values_list("codename", flat=True))
    assert {"change_event", "add_agendaitem", "delete_room", "view_registration"} <= perms
    assert "change_user" not in perms
    assert "add_group" not in perms
