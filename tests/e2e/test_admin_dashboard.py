"""The organisers' dashboard in a real browser: readable and accessible at 1280 and 375 px."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from registrations.models import Registration
from registrations.permissions import ORGANISERS_GROUP
from tests.e2e.browser import DESKTOP, PHONE, axe_violations, horizontal_overflow
from tests.factories import future_day, joined
from tests.registrations.admin_helpers import bulk_registrations, in_every_team

pytestmark = pytest.mark.e2e

PASSWORD = "sicheres-passwort-42"


@pytest.fixture
def dashboard_organiser(django_user_model):
    # Transactional tests flush the data migrations' rows: rebuild the "Organisers" group.
    group, _created = Group.objects.get_or_create(name=ORGANISERS_GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=["events", "registrations"])
    )
    user = django_user_model.objects.create_user(username="anna", password=PASSWORD, is_staff=True)
    user.groups.add(group)
    with in_every_team(user):  # the team of every event, those of the test included
        yield user


def registrations_over_three_weeks(event) -> None:
    """Room n: 5 n confirmed and one pending; room 1 full (39 and one) with a waiting list of 4;
    made over 21 days."""
    made = []
    for room in event.rooms.order_by("number"):
        n = room.number
        made += bulk_registrations(room, 39 if n == 1 else 5 * n, start=n * 1000)
        made += bulk_registrations(room, 1, status="pending", start=n * 1000 + 500)
        if n == 1:
            made += bulk_registrations(room, 4, status="waiting", start=n * 1000 + 600)
    for day in range(21):
        moment = timezone.now() - dt.timedelta(days=day, hours=1)
        Registration.objects.filter(pk__in=[r.pk for r in made[day::21]]).update(created_at=moment)


def open_dashboard(new_page, viewport):
    page = new_page(viewport=viewport)
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Benutzername").fill("anna")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/admin/")
    return page


def label_height(page, selector: str) -> float:
    """The rendered height (CSS pixels) of the first visible text matching `selector`."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .map(t => t.getBoundingClientRect().height).find(h => h > 0)""",
        selector,
    )


@pytest.mark.demo_event(day=future_day(20))
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "375px"])
def test_dashboard_reads_on_desktop_and_phone(new_page, demo_event, dashboard_organiser, viewport):
    registrations_over_three_weeks(demo_event)
    total = Registration.objects.active().count()
    confirmed = Registration.objects.filter(status="confirmed").count()

    page = open_dashboard(new_page, viewport)

    dashboard = page.get_by_role("region", name="Übersicht")
    assert dashboard.locator('[data-figure="registered"]').inner_text() == str(total)
    assert dashboard.locator('[data-figure="rate"]').inner_text() == (
        f"{round(100 * confirmed / total)}\u00a0%"
    )
    chart = dashboard.get_by_role("img", name="Anmeldungen im Zeitverlauf")
    box = chart.bounding_box()
    assert 0 < box["width"] <= viewport["width"]
    # Labels stay legible when the chart is drawn smaller: at least 10 CSS pixels high.
    assert label_height(page, ".koki-day-labels text") >= 10
    assert label_height(page, ".koki-count-labels text") >= 10
    room1 = "39 bestätigt, 1 gehalten, 4 auf der Warteliste, 0 von 40 Plätzen frei"
    bar = dashboard.get_by_role("img", name=room1, exact=True)
    assert bar.get_attribute("aria-labelledby").endswith("-seats-1")
    assert dashboard.locator('li[data-seats="1"] .koki-dash-bar-numbers').inner_text() == room1
    # The numbers behind the line chart open from the keyboard.
    summary = dashboard.get_by_text("Anmeldungen pro Tag als Tabelle")
    summary.focus()
    page.keyboard.press("Enter")
    table = dashboard.get_by_role("table", name="Anmeldungen pro Tag")
    assert table.is_visible()
    last_row = table.locator("tbody tr").last
    assert last_row.locator('[data-col="registered"]').inner_text() == str(total)
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []


def test_dashboard_after_the_event_shows_attendance(
    new_page, transactional_db, dashboard_organiser
):
    from events.demo import demo_event_load

    event, _created = demo_event_load(day=timezone.localdate() - dt.timedelta(days=2))
    room = event.rooms.get(number=2)
    people = bulk_registrations(room, 4)
    for person in people[:3]:
        joined(registration=person, room=room)
    joined(registration=people[0], room=None)

    for viewport in (DESKTOP, PHONE):
        page = open_dashboard(new_page, viewport)
        attendance = page.get_by_role("region", name="Teilnahme")
        assert attendance.locator('[data-attendance="2"] .koki-dash-bar-numbers').inner_text() == (
            "3 teilgenommen, 1 nicht erschienen"
        )
        plenary = attendance.get_by_role("img", name="1 von 4 Bestätigten teilgenommen")
        assert plenary.is_visible()
        assert horizontal_overflow(page) == 0
        assert axe_violations(page) == []
