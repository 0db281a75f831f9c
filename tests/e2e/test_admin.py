"""The admin in a real browser: an organiser moves an agenda item (the public page, iCal and PDF
follow); the registrations list fits a laptop, the occupancy table a phone."""

import datetime as dt
import subprocess

import icalendar
import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.utils import timezone

from events.models import Event
from tests.e2e.browser import DESKTOP, PHONE, axe_violations, horizontal_overflow
from tests.registrations.admin_helpers import bulk_registrations, in_every_team

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser_organiser(django_user_model):
    """The organiser who logs in with the browser: "anna", in a rebuilt "Organisers" group."""
    # Transactional tests flush the data migrations' rows: rebuild the "Organisers" group.
    group, _created = Group.objects.get_or_create(name="Organisers")
    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=["events", "registrations"])
    )
    user = django_user_model.objects.create_user(
        username="anna", password="sicheres-passwort-42", is_staff=True
    )
    user.groups.add(group)
    with in_every_team(user):  # the team of every event, those of the test included
        yield user


def programme_exports(page, event, title):
    """The item's start in the calendar feed, its SEQUENCE, and the PDF's text, via the browser."""
    ics = page.request.get(f"/events/{event.slug}/programme.ics")
    calendar = icalendar.Calendar.from_ical(ics.body())
    (entry,) = [c for c in calendar.walk("VEVENT") if str(c["SUMMARY"]) == title]
    pdf = page.request.get(f"/events/{event.slug}/programme.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf.body(), capture_output=True, check=True
    ).stdout.decode()
    return entry.decoded("DTSTART"), int(entry["SEQUENCE"]), text


def test_organiser_moves_an_agenda_item_and_the_public_page_follows(
    page, browser_organiser, settings
):
    day = timezone.localdate() + dt.timedelta(days=60)
    call_command("load_koki_demo", "--date", day.isoformat(), stdout=None)
    event = Event.objects.get(slug="koki-abschluss")
    event.team.add(browser_organiser)  # Anna runs the event
    item = event.agenda_items.order_by("-starts_at").first()
    start = timezone.localtime(item.starts_at, event.tzinfo)
    end = timezone.localtime(item.ends_at, event.tzinfo)
    new_start = start - dt.timedelta(minutes=10)
    new_end = end - dt.timedelta(minutes=5)

    page.goto(event.get_absolute_url())
    public_item = page.locator(".timeline-item", has_text=item.title)
    assert public_item.locator("time").all_inner_texts() == [f"{start:%H:%M}", f"{end:%H:%M}"]
    ical_start, sequence, pdf_text = programme_exports(page, event, item.title)
    assert ical_start == start
    assert f"{start:%H:%M}–{end:%H:%M}" in pdf_text

    page.goto("/admin/")
    page.get_by_label("Benutzername").fill("anna")
    page.get_by_label("Passwort").fill("sicheres-passwort-42")
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Programmpunkte").first.click()
    page.get_by_role("link", name=item.title, exact=True).click()

    # The admin shows and takes times in the event's zone.
    assert page.locator("#id_starts_at_1").input_value() == f"{start:%H:%M:%S}"
    page.locator("#id_starts_at_1").fill(f"{new_start:%H:%M:%S}")
    page.locator("#id_ends_at_1").fill(f"{new_end:%H:%M:%S}")
    page.get_by_role("button", name="Sichern", exact=True).click()
    assert page.locator(".messagelist").inner_text().startswith("Programmpunkt")

    item.refresh_from_db()
    assert timezone.localtime(item.starts_at, event.tzinfo) == new_start

    page.goto(event.get_absolute_url())
    public_item = page.locator(".timeline-item", has_text=item.title)
    assert public_item.locator("time").all_inner_texts() == [
        f"{new_start:%H:%M}",
        f"{new_end:%H:%M}",
    ]
    assert axe_violations(page) == []
    # The calendar feed and the PDF follow too; calendars learn of the move by SEQUENCE.
    ical_start, new_sequence, pdf_text = programme_exports(page, event, item.title)
    assert ical_start == new_start
    assert new_sequence == sequence + 1
    assert f"{new_start:%H:%M}–{new_end:%H:%M}" in pdf_text
    assert f"{start:%H:%M}–{end:%H:%M}" not in pdf_text


# -- the organisers' lists on a laptop and a phone ---------------------------------------------

WORDS_SPLIT_ACROSS_LINES = """(selector) => {
    // Every word of the matched cells that the browser broke over two lines ("KAPAZI|TÄT").
    const split = [];
    for (const cell of document.querySelectorAll(selector)) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const match of node.textContent.matchAll(/\\S+/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
                if (lines.size > 1) split.push(match[0]);
            }
        }
    }
    return split;
}"""


def log_in(page):
    page.goto("/admin/")
    page.get_by_label("Benutzername").fill("anna")
    page.get_by_label("Passwort").fill("sicheres-passwort-42")
    page.get_by_role("button", name="Anmelden").click()


def fill_rooms(event):
    """Three confirmed people per room (long organisation names) and one waiting."""
    for room in event.rooms.order_by("number"):
        bulk_registrations(
            room,
            3,
            start=room.number * 10,
            organisation="Landkreis Beispielkreis – Amt für Digitalisierung und Organisation",
        )
        bulk_registrations(room, 1, status="waiting", start=room.number * 10 + 5)


def test_registrations_list_fits_a_laptop_screen(new_page, browser_organiser, demo_event):
    fill_rooms(demo_event)
    # The event has begun: the attendance column is there too.
    Event.objects.filter(pk=demo_event.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=1),
        ends_at=timezone.now() + dt.timedelta(hours=2),
    )
    page = new_page(viewport=DESKTOP)
    log_in(page)
    page.goto("/admin/registrations/registration/")

    columns = [
        " ".join(text.split()) for text in page.locator("#result_list thead th").all_text_contents()
    ]
    assert columns == [
        "",
        "Name",
        "Organisation",
        "Raum",
        "Status",
        "Platz auf der Warteliste",
        "Angemeldet am",
        "Teilgenommen",
        "Barrierefreiheit",  # the demo asks about captions and sign language
    ]
    table, visible = page.evaluate(
        "() => [document.querySelector('#result_list').scrollWidth,"
        " document.querySelector('#changelist .results').clientWidth]"
    )
    assert table <= visible  # no sideways scrolling of the results
    assert horizontal_overflow(page) == 0
    assert page.get_by_role("link", name="Diese Liste exportieren (CSV)").is_visible()
    assert page.get_by_role("link", name="Diese Liste exportieren (Excel)").is_visible()
    assert page.locator(".timezonewarning:visible").count() == 0
    assert axe_violations(page) == []


def test_occupancy_is_usable_on_a_phone(new_page, browser_organiser, demo_event):
    fill_rooms(demo_event)
    page = new_page(viewport=PHONE)
    log_in(page)
    page.goto("/admin/registrations/registration/occupancy/")

    assert horizontal_overflow(page) == 0
    first = page.locator('tr[data-room="1"]')
    box = first.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    # Each figure carries its label ("Kapazität: 40") and stays inside the screen.
    assert (
        first.locator('[data-col="capacity"]').evaluate(
            "cell => getComputedStyle(cell, '::before').content"
        )
        == '"Kapazität: "'
    )
    assert first.locator('[data-col="confirmed"]').inner_text() == "3"
    assert page.evaluate(WORDS_SPLIT_ACROSS_LINES, ".koki-occupancy-table td") == []
    assert axe_violations(page) == []


def test_occupancy_never_breaks_inside_a_word(new_page, browser_organiser, demo_event):
    fill_rooms(demo_event)
    # Under way: the attendance columns, with the longest headings, are there too.
    Event.objects.filter(pk=demo_event.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=1),
        ends_at=timezone.now() + dt.timedelta(hours=2),
    )
    page = new_page(viewport=DESKTOP)
    log_in(page)
    cells = ".koki-occupancy-table th, .koki-occupancy-table td"
    for url in (
        "/admin/registrations/registration/occupancy/",
        f"/admin/events/event/{demo_event.pk}/change/",
        "/admin/",  # the index's own table styles break words unless overridden
    ):
        page.goto(url)
        assert page.evaluate(WORDS_SPLIT_ACROSS_LINES, cells) == [], url
        assert horizontal_overflow(page) == 0
        if url != "/admin/":
            assert page.locator(".koki-occupancy-table thead th").count() == 10
