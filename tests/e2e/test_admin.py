"""An organiser moves an agenda item in the admin: the public page, iCal and PDF follow."""

import datetime as dt
import subprocess

import icalendar
import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.utils import timezone

from events.models import Event
from tests.e2e.browser import axe_violations

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
    return user


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
