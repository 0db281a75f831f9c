"""In Chromium: an organiser asks a question in the admin, an attendee answers it on the form with
the keyboard alone and changes the answer on their personal page, the organiser finds the answer
in the attendee list (CSV), the moderator of the attendee's room sees it, and an organiser of
another event's team sees nothing of it."""

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.utils import timezone, translation

from events.models import Event, Question
from registrations.models import Registration
from tests.e2e.browser import axe_violations
from tests.e2e.test_admin import browser_organiser  # noqa: F401 (the fixture)
from tests.e2e.test_registration_flow import active, press_and_load, tab_until
from tests.factories import EventFactory

pytestmark = pytest.mark.e2e

LABEL_DE = "Wie möchten Sie teilnehmen?"
OPTIONS = [("Mit Kamera", "With camera"), ("Ohne Kamera", "Without camera")]


def log_in(page, username="anna"):
    page.goto("/admin/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill("sicheres-passwort-42")
    page.get_by_role("button", name="Anmelden").click()


def staff(django_user_model, username, group, permissions):
    """A staff account in `group`, rebuilt with `permissions` (transactional tests flush the
    data migrations' rows)."""
    group, _created = Group.objects.get_or_create(name=group)
    group.permissions.add(*permissions)
    user = django_user_model.objects.create_user(
        username=username, password="sicheres-passwort-42", is_staff=True
    )
    user.groups.add(group)
    return user


def test_organiser_asks_attendee_answers_organiser_exports(
    new_page,
    browser_organiser,  # noqa: F811 (the fixture)
    django_user_model,
):
    day = timezone.localdate() + dt.timedelta(days=60)
    call_command("load_koki_demo", "--date", day.isoformat(), stdout=None)
    event = Event.objects.get(slug="koki-abschluss")

    # The organiser adds a required single-choice question with two options.
    organiser = new_page()
    log_in(organiser)
    organiser.get_by_role("link", name="Fragen im Anmeldeformular").click()
    organiser.get_by_role("link", name="Frage im Anmeldeformular hinzufügen").click()
    organiser.locator("#id_event").select_option(label=event.title)
    organiser.locator("#id_order").fill("3")
    organiser.locator("#id_label_de").fill(LABEL_DE)
    organiser.locator("#id_label_en").fill("How would you like to take part?")
    organiser.locator("#id_kind").select_option("single")
    organiser.locator("#id_required").check()
    for index, (de, en) in enumerate(OPTIONS):
        organiser.get_by_role("button", name="Antwortmöglichkeit hinzufügen").click()
        organiser.locator(f"#id_choices-{index}-order").fill(str(index + 1))
        organiser.locator(f"#id_choices-{index}-label_de").fill(de)
        organiser.locator(f"#id_choices-{index}-label_en").fill(en)
    organiser.get_by_role("button", name="Sichern", exact=True).click()
    assert organiser.locator(".messagelist").inner_text().startswith("Frage im Anmeldeformular")
    question = Question.objects.get(label_de=LABEL_DE)
    assert [c.label_de for c in question.choices.order_by("order")] == ["Mit Kamera", "Ohne Kamera"]

    # The attendee: the question is on the form, accessible before and after a failed submit.
    attendee = new_page()
    attendee.goto(event.get_absolute_url())
    tab_until(attendee, lambda e: e["tag"] == "a" and e["text"] == "Jetzt anmelden")
    press_and_load(attendee, "Enter")
    radio = attendee.locator(f"#id_question_{question.pk}_0")
    group = attendee.locator("fieldset", has=radio).last  # the question's own, inside "Fragen …"
    # Required is the rule and unmarked; optional fields say "(optional)".
    assert group.locator("legend").first.inner_text() == LABEL_DE
    assert axe_violations(attendee) == []

    typed = {
        "first_name": "Max",
        "last_name": "Muster",
        "email": "max.muster@example.org",
    }
    element = tab_until(attendee, lambda e: e["name"] == "first_name")
    for _ in range(30):
        if element["name"] in typed:
            attendee.keyboard.type(typed[element["name"]])
        elif element["name"] == "room":
            attendee.keyboard.press("ArrowDown")  # Raum 1 -> Raum 2
        elif element["name"] == "consent":
            attendee.keyboard.press("Space")
        if element["tag"] == "button":
            break
        attendee.keyboard.press("Tab")
        element = active(attendee)
    press_and_load(attendee, "Enter")  # the required question is still open

    assert attendee.title().startswith("Fehler: ")
    assert attendee.locator("#error-summary li").all_inner_texts() == [
        "Bitte wählen Sie eine der Antwortmöglichkeiten."
    ]
    assert axe_violations(attendee) == []
    attendee.keyboard.press("Tab")  # the summary's link leads to the question
    attendee.keyboard.press("Enter")
    assert active(attendee)["id"] == f"id_question_{question.pk}_0"
    attendee.keyboard.press("ArrowDown")  # Mit Kamera -> Ohne Kamera
    assert attendee.locator(f"#id_question_{question.pk}_1").is_checked()
    tab_until(attendee, lambda e: e["tag"] == "button" and e["text"] == "Jetzt anmelden")
    press_and_load(attendee, "Enter")
    assert attendee.get_by_role("heading", level=1).inner_text() == "Bitte prüfen Sie Ihr Postfach"
    registration = Registration.objects.get(email="max.muster@example.org")
    with translation.override("de"):
        answers = [a.as_text() for a in registration.answers.filter(question=question)]
    assert answers == ["Ohne Kamera"]

    # The personal page shows the answers; the person changes one, with the keyboard.
    attendee.goto(registration.get_absolute_url())
    assert axe_violations(attendee) == []
    tab_until(attendee, lambda e: e["tag"] == "a" and e["text"] == "Antworten ändern")
    press_and_load(attendee, "Enter")
    assert attendee.locator(f"#id_question_{question.pk}_1").is_checked()
    assert axe_violations(attendee) == []
    tab_until(attendee, lambda e: e["name"] == f"question_{question.pk}")
    attendee.keyboard.press("ArrowUp")  # Ohne Kamera -> Mit Kamera
    tab_until(attendee, lambda e: e["tag"] == "button" and e["text"] == "Antworten speichern")
    press_and_load(attendee, "Enter")
    assert attendee.locator(".messages").inner_text() == "Ihre Antworten sind gespeichert."

    # The organiser downloads the event's attendee list and finds the answer in its column.
    organiser.goto("/admin/registrations/registration/occupancy/")
    with organiser.expect_download() as download:
        organiser.get_by_role("link", name="Liste (CSV)").first.click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    column = rows[0].index(LABEL_DE)
    assert rows[0][column - 2 : column] == [
        "Kommune / Art der Organisation",
        "Benötigen Sie Untertitel oder eine Gebärdensprachdolmetschung?",
    ]
    assert [(row[2], row[column]) for row in rows[1:]] == [("max.muster@example.org", "Mit Kamera")]

    # The moderator of the attendee's room sees the answer with the registration.
    room = registration.room
    mona = staff(
        django_user_model,
        "mona",
        "Moderators",
        Permission.objects.filter(
            content_type__app_label="registrations",
            codename__in=["view_registration", "view_mailing", "add_mailing"],
        ),
    )
    room.moderator_accounts.add(mona)
    moderator = new_page()
    log_in(moderator, "mona")
    moderator.goto("/admin/registrations/registration/")
    assert moderator.locator("#result_list tbody th").all_inner_texts() == ["Muster, Max"]
    moderator.goto(f"/admin/registrations/registration/{registration.pk}/change/")
    answers = moderator.locator("tr", has=moderator.locator("th", has_text=LABEL_DE))
    assert answers.locator("td").inner_text() == "Mit Kamera"
    assert axe_violations(moderator) == []

    # An organiser of another event's team reaches neither the person nor the list.
    other = staff(
        django_user_model,
        "otto",
        "Organisers",
        Permission.objects.filter(content_type__app_label__in=["events", "registrations"]),
    )
    EventFactory(title="Andere Tagung", slug="andere-tagung").team.add(other)
    outsider = new_page(expect_http_errors=True)
    log_in(outsider, "otto")
    outsider.goto("/admin/registrations/registration/")
    assert outsider.locator("#result_list tbody th").count() == 0
    outsider.goto(f"/admin/registrations/registration/{registration.pk}/change/")
    assert outsider.url.endswith("/admin/")  # "not found", back to the index
    export = outsider.request.get(f"/admin/registrations/registration/export/{event.pk}/csv/")
    assert export.status == 404
    assert "Mit Kamera" not in outsider.content()
