"""Edits in the admin reach the next PDF and calendar, and raise SEQUENCE on moves."""

import datetime as dt
import subprocess
from html.parser import HTMLParser

import icalendar
import pytest
from django.db.models import F
from django.utils import timezone

from events.models import AgendaItem, Event, Room, Speaker
from tests.factories import BERLIN

pytestmark = pytest.mark.django_db


class _FormFields(HTMLParser):
    """The values a browser would submit from the admin's change form (id="…_form")."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._select_options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("id") or "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_options = name, []
        elif tag == "option" and self._select is not None:
            self._select_options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._select_options if selected]
            if not chosen and self._select_options:
                chosen = [self._select_options[0][0]]
            self.fields.extend((self._select, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data


def admin_form(client, url: str) -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _FormFields()
    parser.feed(response.content.decode())
    return dict(parser.fields)


def admin_post(client, url: str, data: dict[str, str]):
    response = client.post(url, data)
    if response.status_code != 302:
        errors = response.context["adminform"].form.errors if response.context else None
        inline_errors = [
            formset.formset.errors
            for formset in (response.context or {}).get("inline_admin_formsets", [])
        ]
        pytest.fail(f"admin did not save: {response.status_code} {errors} {inline_errors}")
    return response


def feed_events(client, slug: str) -> dict[str, icalendar.Event]:
    content = client.get(f"/events/{slug}/programme.ics").content
    calendar = icalendar.Calendar.from_ical(content)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def pdf_text(client, slug: str, tmp_path) -> str:
    path = tmp_path / "admin.pdf"
    path.write_bytes(client.get(f"/events/{slug}/programme.pdf").content)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(text.split())


def test_agenda_item_admin_edit_reaches_pdf_and_ical_and_raises_sequence(
    organiser_client, client, demo_event, tmp_path, renders, poppler
):
    # LAST-MODIFIED has whole seconds: date the item back a minute, so that an edit in the same
    # second as the demo load must still move it forward.
    AgendaItem.objects.filter(event=demo_event).update(
        updated_at=F("updated_at") - dt.timedelta(minutes=1)
    )
    item = AgendaItem.objects.get(event=demo_event, title="Networking")
    before_pdf = pdf_text(client, "koki-abschluss", tmp_path)
    before = feed_events(client, "koki-abschluss")["Networking"]
    assert int(before["SEQUENCE"]) == 0
    url = f"/admin/events/agendaitem/{item.pk}/change/"
    data = admin_form(organiser_client, url)
    # The admin shows times in the event's zone.
    assert (data["starts_at_0"], data["starts_at_1"]) == ("16.03.2027", "11:55:00")

    data.update(
        title_de="Networking im Foyer", starts_at_1="11:56:00", ends_at_1="12:05:00", _save="1"
    )
    admin_post(organiser_client, url, data)

    item.refresh_from_db()
    assert item.sequence == 1
    assert item.starts_at == dt.datetime(2027, 3, 16, 11, 56, tzinfo=BERLIN)
    after_pdf = pdf_text(client, "koki-abschluss", tmp_path)
    assert "Networking im Foyer" in after_pdf
    assert "11:56–12:05" in after_pdf
    assert "11:56" not in before_pdf
    after = feed_events(client, "koki-abschluss")["Networking im Foyer"]
    assert str(after["UID"]) == str(before["UID"]) == f"{item.uid}@127.0.0.1"
    assert int(after["SEQUENCE"]) == 1
    assert after.decoded("DTSTART") == dt.datetime(2027, 3, 16, 11, 56, tzinfo=BERLIN)
    assert after.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED")
    assert [kind for kind, _key in renders] == ["pdf", "ics", "pdf", "ics"]


def test_agenda_item_admin_title_only_edit_keeps_sequence(organiser_client, client, demo_event):
    item = AgendaItem.objects.get(event=demo_event, title="Networking")
    url = f"/admin/events/agendaitem/{item.pk}/change/"
    data = admin_form(organiser_client, url)

    data.update(title_de="Networking und Kaffee", _save="1")
    admin_post(organiser_client, url, data)

    after = feed_events(client, "koki-abschluss")["Networking und Kaffee"]
    assert int(after["SEQUENCE"]) == 0


def test_event_admin_inline_move_to_a_room_raises_sequence(
    organiser_client, client, demo_event, tmp_path, poppler
):
    first = feed_events(client, "koki-abschluss")
    url = f"/admin/events/event/{demo_event.pk}/change/"
    data = admin_form(organiser_client, url)
    items = list(AgendaItem.objects.filter(event=demo_event).order_by("starts_at", "pk"))
    prefix = next(key for key in data if key.endswith("-TOTAL_FORMS") and "agenda" in key)
    prefix = prefix.removesuffix("-TOTAL_FORMS")
    index = next(
        number for number in range(len(items)) if data[f"{prefix}-{number}-id"] == str(items[-1].pk)
    )
    room = Room.objects.get(event=demo_event, number=5)

    data.update({f"{prefix}-{index}-room": str(room.pk), "_save": "1"})
    admin_post(organiser_client, url, data)

    closing = AgendaItem.objects.get(pk=items[-1].pk)
    assert closing.room == room
    assert closing.sequence == 1
    assert AgendaItem.objects.filter(event=demo_event, sequence__gt=0).count() == 1
    after = feed_events(client, "koki-abschluss")
    assert int(after["Abschluss und Ausblick"]["SEQUENCE"]) == 1
    assert str(after["Abschluss und Ausblick"]["LOCATION"]) == "Raum 5: Recht (Online)"
    assert str(first["Abschluss und Ausblick"]["LOCATION"]) == "Online"
    assert (
        "Raum 5: Recht" in pdf_text(client, "koki-abschluss", tmp_path).split("Abschluss und")[-1]
    )


def test_room_rename_in_admin_raises_sequence_of_its_items(organiser_client, client, demo_event):
    room = Room.objects.get(event=demo_event, number=2)
    item = AgendaItem.objects.get(event=demo_event, title="Networking")
    item.room = room
    item.save()
    url = f"/admin/events/room/{room.pk}/change/"
    data = admin_form(organiser_client, url)

    data.update(name_de="Verwaltung", _save="1")
    admin_post(organiser_client, url, data)

    after = feed_events(client, "koki-abschluss")["Networking"]
    assert int(after["SEQUENCE"]) == 1
    assert str(after["LOCATION"]) == "Raum 2: Verwaltung (Online)"


def test_agenda_item_admin_delete_reaches_the_cached_exports(
    organiser_client, client, demo_event, tmp_path, poppler
):
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    for model in (Event, AgendaItem, Room, Speaker):
        model.objects.update(updated_at=an_hour_ago)
    item = AgendaItem.objects.get(event=demo_event, title="Networking")
    first = client.get("/events/koki-abschluss/programme.ics")
    assert "Zeit für Austausch." in pdf_text(client, "koki-abschluss", tmp_path)

    response = organiser_client.post(f"/admin/events/agendaitem/{item.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    second = client.get(
        "/events/koki-abschluss/programme.ics", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
    )
    assert second.status_code == 200
    assert b"SUMMARY:Networking" not in second.content
    assert "Zeit für Austausch." not in pdf_text(client, "koki-abschluss", tmp_path)
