"""The event's admin page for volunteers: time zones by name, one line about the zone instead of
a note under every field, the agenda as times of the event's day, compact rooms, and koki with
the current event in the header."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from events.models import AgendaItem, Event
from events.timezones import timezone_choices, utc_offset, zone_label
from tests.events.test_exports_admin import admin_form, admin_post
from tests.factories import AgendaItemFactory, EventFactory, RoomFactory

pytestmark = pytest.mark.django_db


def change_url(event) -> str:
    return f"/admin/events/event/{event.pk}/change/"


def test_zone_labels_name_the_region_city_and_offset():
    winter = dt.datetime(2027, 1, 15, 12, tzinfo=dt.UTC)
    summer = dt.datetime(2027, 7, 15, 12, tzinfo=dt.UTC)
    assert (utc_offset("Europe/Berlin", winter), utc_offset("Europe/Berlin", summer)) == (
        "UTC+01:00",
        "UTC+02:00",
    )
    assert utc_offset("America/St_Johns", winter) == "UTC−03:30"
    assert utc_offset("UTC", winter) == "UTC±00:00"
    assert zone_label("Europe/Vienna").startswith("Europa – Wien (UTC+0")
    assert zone_label("America/Argentina/Buenos_Aires") == (
        "Amerika – Argentina – Buenos Aires (UTC−03:00)"
    )


def test_time_zone_choices_are_grouped_and_readable():
    choices = timezone_choices()
    assert choices[0] == ("UTC", "UTC")
    groups = {str(label): dict(zones) for label, zones in choices[1:]}
    assert list(groups) == [
        "Europa",
        "Amerika",
        "Afrika",
        "Asien",
        "Australien",
        "Pazifik",
        "Atlantik",
        "Indischer Ozean",
        "Antarktis",
    ]
    assert groups["Europa"]["Europe/Berlin"] == f"Berlin ({utc_offset('Europe/Berlin')})"
    assert groups["Europa"]["Europe/Zurich"].startswith("Zürich (")
    # No legacy aliases ("US/Eastern") or Etc zones in the list.
    assert not any(zone.startswith(("US/", "Etc/")) for group in groups.values() for zone in group)


def test_event_page_offers_the_zones_to_choose(organiser_client):
    event = EventFactory(timezone="Europe/Berlin")
    html = organiser_client.get(change_url(event)).content.decode()
    select = re.search(r'<select name="timezone"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert '<optgroup label="Europa">' in select
    offset = utc_offset("Europe/Berlin")
    assert f'<option value="Europe/Berlin" selected>Berlin ({offset})</option>' in select
    assert 'name="timezone" type="text"' not in html


def test_a_zone_from_before_the_list_stays_and_saves(organiser_client):
    event = EventFactory(timezone="Etc/GMT-1")
    url = change_url(event)
    data = admin_form(organiser_client, url)
    assert data["timezone"] == "Etc/GMT-1"
    admin_post(organiser_client, url, {**data, "_save": "1"})
    event.refresh_from_db()
    assert event.timezone == "Etc/GMT-1"


def test_an_unknown_zone_is_refused_with_a_message(organiser_client):
    event = EventFactory()
    url = change_url(event)
    data = {**admin_form(organiser_client, url), "timezone": "Mars/Olympus", "_save": "1"}
    response = organiser_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["timezone"] == [
        "Bitte eine gültige Auswahl treffen. Mars/Olympus ist keine gültige Auswahl."
    ]


@pytest.mark.parametrize(
    ("zone", "label"),
    [("Europe/Berlin", "Europa – Berlin"), ("America/New_York", "Amerika – New York")],
)
def test_one_line_names_the_zone_of_the_times(organiser_client, zone, label):
    event = EventFactory(timezone=zone)
    AgendaItemFactory(event=event)
    html = organiser_client.get(change_url(event)).content.decode()
    notes = re.findall(r'<p class="koki-timezone-note">(.*?)</p>', html)
    assert notes == [
        f"Alle Zeiten auf dieser Seite gelten in der Zeitzone {label} ({utc_offset(zone)})."
    ]


def test_pages_without_times_have_no_zone_line(organiser_client):
    speaker_page = organiser_client.get("/admin/events/speaker/add/").content.decode()
    assert "koki-timezone-note" not in speaker_page


def test_agenda_rows_of_a_one_day_event_show_times_only(organiser_client):
    event = EventFactory(timezone="America/New_York")
    start = timezone.localtime(event.starts_at, event.tzinfo)
    item = AgendaItemFactory(
        event=event, starts_at=event.starts_at, ends_at=event.starts_at + dt.timedelta(minutes=20)
    )
    url = change_url(event)
    data = admin_form(organiser_client, url)
    assert (data["agenda_items-0-starts_at"], data["agenda_items-0-ends_at"]) == (
        f"{start:%H:%M}",
        f"{start + dt.timedelta(minutes=20):%H:%M}",
    )
    assert "agenda_items-0-starts_at_0" not in data  # no date field in the row

    new_start, new_end = start + dt.timedelta(minutes=90), start + dt.timedelta(minutes=125)
    data.update(
        {
            "agenda_items-0-starts_at": f"{new_start:%H:%M}",
            "agenda_items-0-ends_at": f"{new_end:%H:%M}",
            "_save": "1",
        }
    )
    admin_post(organiser_client, url, data)

    item.refresh_from_db()
    assert (item.starts_at, item.ends_at) == (new_start, new_end)


def test_an_agenda_row_outside_the_event_gets_the_models_message(organiser_client):
    event = EventFactory()  # 10:00–12:45
    AgendaItemFactory(event=event)
    url = change_url(event)
    data = {
        **admin_form(organiser_client, url),
        "agenda_items-0-starts_at": "09:00",
        "agenda_items-0-ends_at": "09:30",
        "_save": "1",
    }
    response = organiser_client.post(url, data)
    assert response.status_code == 200
    (formset,) = [
        f.formset
        for f in response.context["inline_admin_formsets"]
        if f.formset.prefix == "agenda_items"
    ]
    assert formset.errors[0]["__all__"][0].startswith(
        "Ein Programmpunkt muss innerhalb der Veranstaltungszeit liegen"
    )


def test_a_new_agenda_row_takes_the_events_day(organiser_client):
    event = EventFactory()
    url = change_url(event)
    data = admin_form(organiser_client, url)
    data.update(
        {
            "agenda_items-TOTAL_FORMS": "1",
            "agenda_items-0-starts_at": "10:15",
            "agenda_items-0-ends_at": "10:45",
            "agenda_items-0-title_de": "Begrüßung",
            "agenda_items-0-kind": AgendaItem.Kind.WELCOME,
            "agenda_items-0-room": "",
            "_save": "1",
        }
    )
    admin_post(organiser_client, url, data)
    item = AgendaItem.objects.get(event=event)
    start = timezone.localtime(event.starts_at, event.tzinfo)
    assert timezone.localtime(item.starts_at, event.tzinfo) == start.replace(minute=15)


def test_the_events_own_times_show_in_its_zone(organiser_client):
    event = EventFactory(timezone="America/New_York")  # 10:00 in Berlin: 04:00 in New York
    data = admin_form(organiser_client, change_url(event))
    local = timezone.localtime(event.starts_at, event.tzinfo)
    assert (data["starts_at_0"], data["starts_at_1"]) == (f"{local:%d.%m.%Y}", f"{local:%H:%M:%S}")


def test_agenda_rows_of_a_multi_day_event_keep_their_dates(organiser_client):
    event = EventFactory()
    Event.objects.filter(pk=event.pk).update(ends_at=event.starts_at + dt.timedelta(days=1))
    AgendaItemFactory(event=event)
    data = admin_form(organiser_client, change_url(event))
    assert "agenda_items-0-starts_at_0" in data  # date and time


def test_rows_are_compact(organiser_client):
    event = EventFactory()
    RoomFactory(event=event, number=1, join_url="https://meet.example.org/raum-1")
    AgendaItemFactory(event=event)
    html = organiser_client.get(change_url(event)).content.decode()
    agenda = html.split('id="agenda_items-group"')[1].split('id="reminders-group"')[0]
    # The room select without add/change/delete icons; the plenary named as such; the item's
    # own page as a "Details" link instead of the title repeated above the row.
    assert "related-widget-wrapper-link" not in agenda
    assert "Plenum (bei Deep Dives: alle Räume)" in agenda
    assert '>Details<span class="visually-hidden">' in agenda
    rooms = html.split('id="rooms-group"')[1].split('id="agenda_items-group"')[0]
    assert "Aktuell:" not in rooms  # the meeting address as a plain input
    # One short row per room: the topic and the moderators are on the room's own page.
    assert 'name="rooms-0-name_de"' in rooms
    assert 'name="rooms-0-topic_de"' not in rooms
    assert '>Details<span class="visually-hidden">: Raum 1: ' in rooms


def test_header_names_koki_and_the_current_event(organiser_client):
    past = EventFactory(title="Vorjahr")
    Event.objects.filter(pk=past.pk).update(
        starts_at=past.starts_at - dt.timedelta(days=400),
        ends_at=past.ends_at - dt.timedelta(days=400),
    )
    current = EventFactory(title="Abschlussveranstaltung")
    html = organiser_client.get("/admin/").content.decode()
    branding = html.split('id="branding"')[1].split("</div>\n")[0:3]
    branding = "".join(branding)
    assert "koki – Verwaltung" in branding
    assert "Django" not in html.split("<body")[1].split('id="content"')[0]
    assert (
        f'<a href="/admin/events/event/{current.pk}/change/">Abschlussveranstaltung</a> · '
        f"{current.local_span()}"
    ) in html
    assert "<title>Website-Verwaltung | koki-Verwaltung</title>" not in html
    assert "| koki-Verwaltung</title>" in html


def test_a_reminders_page_names_its_events_zone(organiser_client):
    event = EventFactory(timezone="America/New_York")
    reminder = event.reminders.create(days_before=1, at_time=dt.time(9, 0))
    html = organiser_client.get(f"/admin/events/reminder/{reminder.pk}/change/").content.decode()
    assert re.findall(r'<p class="koki-timezone-note">(.*?)</p>', html) == [
        "Alle Zeiten auf dieser Seite gelten in der Zeitzone Amerika – New York "
        f"({utc_offset('America/New_York')})."
    ]
    add = organiser_client.get("/admin/events/reminder/add/").content.decode()
    assert "Zeitzone Amerika – New York" in add  # the only event's zone
