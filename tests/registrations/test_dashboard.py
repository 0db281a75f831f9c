"""The organisers' dashboard on the admin index: numbers, charts, who sees it, query counts."""

import datetime as dt
import re
import zoneinfo
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from registrations.dashboard import (
    dashboard_events,
    dashboards,
    event_dashboard,
    registration_days,
)
from registrations.models import Registration
from registrations.permissions import is_organiser
from registrations.templatetags.koki_dashboard import (
    count_step,
    day_step,
    seat_bars,
    timeline,
)
from tests.factories import EventFactory, RegistrationFactory, RoomFactory, future_day, joined
from tests.registrations.admin_helpers import bulk_registrations, make_staff_outside_group

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=BERLIN)


def made_on(registrations, moment: dt.datetime) -> None:
    """Set when registrations were made (`created_at` is set on insert)."""
    Registration.objects.filter(pk__in=[r.pk for r in registrations]).update(created_at=moment)


def dashboard_section(html: str) -> str:
    return html.split('id="koki-dashboard-heading"')[1].split('<div class="koki-table-scroll">')[0]


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([a-z]+)">([^<]*)<', html))


def seat_rows(html: str) -> dict[str, dict[str, int]]:
    table = html.split("koki-dash-seats")[1].split("</table>")[0]
    rows = re.findall(r'<tr data-seats="(\d+)">(.*?)</tr>', table, re.S)
    return {
        number: {col: int(value) for col, value in re.findall(r'data-col="(\w+)">(\d+)<', cells)}
        for number, cells in rows
    }


@pytest.fixture
def two_rooms():
    """An event on 10 December 2026 (Berlin) with two rooms of 3 and 5 seats."""
    event = EventFactory(
        starts_at=dt.datetime(2026, 12, 10, 10, tzinfo=BERLIN),
        ends_at=dt.datetime(2026, 12, 10, 13, tzinfo=BERLIN),
    )
    return (
        event,
        RoomFactory(event=event, number=1, capacity=3),
        RoomFactory(event=event, number=2, capacity=5),
    )


def fill(event, room1, room2):
    """Room 1: 3 confirmed (full) and 2 waiting; room 2: 1 confirmed, 1 pending holding a seat,
    1 pending whose hold expired, 1 cancelled. Made on 17, 18 (none on 19) and 20 November."""
    early = bulk_registrations(room1, 2, start=0)
    made_on(early, dt.datetime(2026, 11, 17, 9, tzinfo=BERLIN))
    # 23:30 UTC on the 17th is already the 18th in Berlin.
    late = bulk_registrations(room1, 1, start=2)
    made_on(late, dt.datetime(2026, 11, 17, 23, 30, tzinfo=dt.UTC))
    waiting = bulk_registrations(room1, 2, status=Registration.Status.WAITING, start=10)
    made_on(waiting, dt.datetime(2026, 11, 18, 10, tzinfo=BERLIN))
    later = [
        *bulk_registrations(room2, 1, start=20),
        *bulk_registrations(room2, 1, status=Registration.Status.PENDING, start=21),
        *bulk_registrations(
            room2,
            1,
            status=Registration.Status.PENDING,
            start=22,
            expires_at=NOW - dt.timedelta(minutes=5),
        ),
        *bulk_registrations(room2, 1, status=Registration.Status.CANCELLED, start=23),
    ]
    made_on(later, dt.datetime(2026, 11, 20, 8, tzinfo=BERLIN))
    Registration.objects.filter(status="pending", expires_at__gt=NOW).update(
        expires_at=NOW + dt.timedelta(hours=1)
    )


def test_event_dashboard_counts_by_status_day_and_room(two_rooms):
    event = two_rooms[0]
    fill(*two_rooms)

    board = event_dashboard(event=event, now=NOW)

    assert (board.registered, board.confirmed, board.pending, board.waiting) == (8, 4, 2, 2)
    assert (board.holding, board.expired, board.cancelled) == (1, 1, 1)
    assert board.confirmation_rate == 0.5
    assert board.confirmation_percent == 50
    assert board.is_over is False
    assert [(d.day.day, d.new, d.new_confirmed, d.registered, d.confirmed) for d in board.days] == [
        (17, 2, 2, 2, 2),
        (18, 3, 1, 5, 3),
        (19, 0, 0, 5, 3),
        (20, 3, 1, 8, 4),
    ]
    seats = [(r.number, r.confirmed, r.pending, r.waiting, r.free) for r in board.occupancy.rooms]
    assert seats == [(1, 3, 0, 2, 0), (2, 1, 1, 0, 3)]


def test_days_run_until_today_or_the_event_whichever_is_first(two_rooms):
    event, room1, _room2 = two_rooms
    made_on(bulk_registrations(room1, 1), dt.datetime(2026, 11, 17, 9, tzinfo=BERLIN))

    days = event_dashboard(event=event, now=NOW).days
    after = event_dashboard(event=event, now=NOW + dt.timedelta(days=60)).days

    assert (days[0].day, days[-1].day, len(days)) == (dt.date(2026, 11, 17), NOW.date(), 4)
    assert (after[-1].day, after[-1].registered) == (dt.date(2026, 12, 10), 1)


def test_days_are_counted_in_the_event_time_zone():
    event = EventFactory(timezone="America/New_York")
    room = RoomFactory(event=event)
    # 03:00 UTC on the 18th is the evening of the 17th in New York.
    made_on(bulk_registrations(room, 1), dt.datetime(2026, 11, 18, 3, tzinfo=dt.UTC))

    days = event_dashboard(event=event, now=dt.datetime(2026, 11, 17, 23, tzinfo=dt.UTC)).days

    assert [(d.day, d.registered) for d in days] == [(dt.date(2026, 11, 17), 1)]


def test_registration_days_without_registrations_or_only_cancelled_is_empty():
    day = dt.date(2026, 11, 17)
    assert registration_days([]) == []
    assert registration_days([(day, "cancelled", 3)], last_day=day) == []


def test_confirmation_rate_without_registrations_is_none(two_rooms):
    event, _room1, _room2 = two_rooms
    board = event_dashboard(event=event, now=NOW)
    assert (board.registered, board.confirmation_rate, board.confirmation_percent) == (
        0,
        None,
        None,
    )
    assert timeline(board.days) is None


@pytest.mark.parametrize(
    ("maximum", "step"),
    [
        (0, 1),
        (1, 1),
        (7, 2),
        (40, 10),
        (300, 100),
        (314, 100),
        (4500, 1000),
        (5000, 1000),
        (5001, 2000),
    ],
)
def test_count_step_is_round(maximum, step):
    assert count_step(maximum) == step


@pytest.mark.parametrize(("days", "step"), [(1, 1), (6, 1), (7, 2), (28, 7), (60, 14), (400, 91)])
def test_day_step_gives_at_most_six_ticks(days, step):
    assert day_step(days) == step


def test_timeline_geometry(two_rooms):
    fill(*two_rooms)
    board = event_dashboard(event=two_rooms[0], now=NOW)

    chart = timeline(board.days)

    assert [(t.value, t.position) for t in chart.count_ticks] == [
        (0, 256),
        (2, 196),
        (4, 136),
        (6, 76),
        (8, 16),
    ]
    assert [p.x for p in chart.registered] == [72, 248, 424, 600]
    assert [p.y for p in chart.registered] == [196, 106, 106, 16]
    assert [p.y for p in chart.confirmed] == [196, 166, 166, 136]
    assert [(t.value.day, t.position, t.alt) for t in chart.day_ticks] == [
        (17, 72, False),
        (18, 248, True),
        (19, 424, False),
        (20, 600, True),
    ]
    assert (chart.area[0].y, chart.area[-1].y) == (256, 256)


def test_seat_bars_share_one_scale(two_rooms):
    fill(*two_rooms)
    board = event_dashboard(event=two_rooms[0], now=NOW)

    bars = seat_bars(board.occupancy.rooms)

    # Room 1 has 3 + 2 waiting = 5 people, room 2 has 5 seats: 5 is the whole width.
    assert [(s.name, s.start, s.width) for s in bars[0].segments] == [
        ("confirmed", 0, 600),
        ("waiting", 600, 400),
    ]
    assert bars[0].capacity == 600
    assert [(s.name, s.start, s.width) for s in bars[1].segments] == [
        ("confirmed", 0, 200),
        ("held", 200, 200),
    ]
    assert bars[1].capacity == 1000


def test_a_small_part_of_a_bar_stays_visible():
    room = SimpleNamespace(capacity=1000, confirmed=1, pending=0, waiting=0, taken=1)

    (bar,) = seat_bars([room])

    assert [(s.name, s.start, s.width) for s in bar.segments] == [("confirmed", 0, 4)]
    assert bar.capacity == 1000


def test_dashboard_events_organisers_see_current_events_other_staff_none(organiser):
    current = EventFactory(starts_at=timezone.now() + dt.timedelta(days=3))
    EventFactory(starts_at=timezone.now() - dt.timedelta(days=400))

    assert list(dashboard_events(organiser)) == [current]
    assert list(dashboard_events(make_staff_outside_group())) == []


@pytest.mark.demo_event(day=future_day(30))
def test_admin_index_shows_the_dashboard_to_organisers(organiser_client, demo_event):
    rooms = {room.number: room for room in demo_event.rooms.all()}
    made_on(bulk_registrations(rooms[1], 40), timezone.now() - dt.timedelta(days=2))
    made_on(
        bulk_registrations(rooms[1], 3, status=Registration.Status.WAITING, start=100),
        timezone.now(),
    )
    bulk_registrations(rooms[2], 2, status=Registration.Status.PENDING, start=200)
    bulk_registrations(rooms[2], 1, status=Registration.Status.CANCELLED, start=300)

    response = organiser_client.get("/admin/")
    html = response.content.decode()
    section = dashboard_section(html)

    assert response.status_code == 200
    assert 'href="/static/css/admin-dashboard.css"' in html
    assert "Anmeldungen im Zeitverlauf" in section
    assert figures(section) == {
        "registered": "45",
        "confirmed": "40",
        "rate": "89\u00a0%",
        "pending": "2",
        "waiting": "3",
        "cancelled": "1",
    }
    rows = seat_rows(section)
    assert rows["1"] == {"confirmed": 40, "held": 0, "waiting": 3, "free": 0, "capacity": 40}
    assert rows["2"] == {"confirmed": 0, "held": 2, "waiting": 0, "free": 38, "capacity": 40}
    assert len(rows) == 8
    title_id = f"koki-dash-{demo_event.pk}-timeline-title"
    assert f'role="img" aria-labelledby="{title_id} ' in section
    assert f'<title id="{title_id}">Anmeldungen im Zeitverlauf</title>' in section
    # Three days: the day before yesterday, yesterday (no new registrations) and today.
    assert section.count("<tr data-day=") == 2
    assert 'style="' not in section
    assert "<script" not in section
    assert "Teilnahme" not in section  # attendance only after the event


def test_admin_index_in_english(organiser, two_rooms):
    fill(*two_rooms)
    client = Client(headers={"accept-language": "en"})
    client.force_login(organiser)
    client.cookies["django_language"] = "en"

    html = client.get("/admin/").content.decode()

    assert "Registrations over time" in html
    assert "Confirmation rate" in html


def test_other_staff_see_the_plain_admin_index(client, two_rooms):
    fill(*two_rooms)
    client.force_login(make_staff_outside_group())

    html = client.get("/admin/").content.decode()

    assert "koki-dashboard" not in html
    assert "Anmeldungen im Zeitverlauf" not in html
    assert "Raumbelegung" not in html  # nor the occupancy table (the header may name the event)


def test_after_the_event_attendance_and_no_shows_per_room_and_plenary(organiser_client):
    event = EventFactory(
        starts_at=timezone.now() - dt.timedelta(days=2),
        ends_at=timezone.now() - dt.timedelta(days=2) + dt.timedelta(hours=3),
    )
    room1 = RoomFactory(event=event, number=1)
    room2 = RoomFactory(event=event, number=2)
    came = [RegistrationFactory(room=room1) for _ in range(3)]
    RegistrationFactory(room=room1)  # a no-show
    plenary_only = RegistrationFactory(room=room2)
    RegistrationFactory(room=room2)  # a no-show
    for person in came:
        joined(registration=person, room=room1)
    joined(registration=came[0], room=None)
    joined(registration=plenary_only, room=None)

    section = dashboard_section(organiser_client.get("/admin/").content.decode())

    table = section.split("koki-dash-attendance")[1]
    rows = dict(re.findall(r'<tr data-attendance="(\w+)">(.*?)</tr>', table, re.S))
    cells = {
        key: dict(re.findall(r'data-col="(\w+)">(\d+)<', value)) for key, value in rows.items()
    }
    assert cells == {
        "1": {"attended": "3", "noshows": "1"},
        "2": {"attended": "0", "noshows": "1"},
        "plenary": {"attended": "2"},
    }
    assert "3 teilgenommen, 1 nicht erschienen" in table
    assert "2 von 6 Bestätigten teilgenommen" in table


def test_dashboards_take_three_queries_for_one_event(
    organiser, two_rooms, django_assert_num_queries
):
    fill(*two_rooms)
    # Who may see it is asked once per request (cached on the user), before the dashboard.
    organiser.has_perm("registrations.view_registration")
    is_organiser(organiser)
    with django_assert_num_queries(3):
        (board,) = dashboards(organiser, now=NOW)
    assert board.registered == 8


def spread(event, count: int) -> None:
    """`count` registrations over the eight demo rooms and 30 days, in all statuses."""
    rooms = list(event.rooms.order_by("number"))
    statuses = ["confirmed"] * 7 + ["pending", "waiting", "cancelled"]
    made = []
    for index, status in enumerate(statuses):
        share = len(range(index, count, len(statuses)))
        for number, room in enumerate(rooms):
            size = len(range(number, share, len(rooms)))
            made += bulk_registrations(room, size, status=status, start=len(made))
    for day in range(30):
        made_on(made[day::30], timezone.now() - dt.timedelta(days=day, hours=1))


@pytest.mark.demo_event(day=future_day(30))
@pytest.mark.parametrize("count", [1, 5000])
def test_admin_index_query_count_does_not_grow(
    organiser_client, demo_event, django_assert_num_queries, count
):
    spread(demo_event, count)
    assert Registration.objects.filter(event=demo_event).count() == count
    organiser_client.get("/admin/")
    # The same count with 1 and with 5,000 registrations; the occupancy table below the charts
    # reuses their figures (no second query per event).

    with django_assert_num_queries(10):
        response = organiser_client.get("/admin/")

    assert response.status_code == 200
    assert figures(dashboard_section(response.content.decode()))["registered"] == str(
        Registration.objects.active().count()
    )
