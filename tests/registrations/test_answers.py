"""Answers to the organisers' questions: the register form, the service, the admin, the attendee
lists, the data download, deletion and the purge."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from events.models import Question
from registrations import services
from registrations.models import Answer, Registration
from registrations.purge import registrations_purge
from registrations.questions import Given
from tests.factories import (
    EventFactory,
    QuestionChoiceFactory,
    QuestionFactory,
    RegistrationFactory,
    RoomFactory,
)
from tests.registrations.admin_helpers import bulk_registrations
from tests.registrations.test_admin_exports import export_url, header
from tests.registrations.test_fuzz import room_values, texts
from tests.registrations.test_views import form_data, register_url

pytestmark = pytest.mark.django_db

ENGLISH = {"cookie": "django_language=en"}


@pytest.fixture
def asked(room):
    """Three questions of the room's event: a required single choice, an optional multiple
    choice (an access need) and an optional text."""
    kind = QuestionFactory(
        event=room.event,
        order=1,
        kind=Question.Kind.SINGLE,
        required=True,
        label_de="Art der Organisation",
        label_en="Type of organisation",
        help_text_de="Für die <b>Planung</b>.",
        help_text_en="For the <b>planning</b>.",
    )
    kommune = QuestionChoiceFactory(question=kind, order=1, label_de="Kommune", label_en="Council")
    land = QuestionChoiceFactory(question=kind, order=2, label_de="Land", label_en="State")
    access = QuestionFactory(
        event=room.event,
        order=2,
        kind=Question.Kind.MULTIPLE,
        is_access_need=True,
        label_de="Barrierefreiheit",
        label_en="Access",
    )
    captions = QuestionChoiceFactory(
        question=access, order=1, label_de="Untertitel", label_en="Captions"
    )
    signs = QuestionChoiceFactory(
        question=access, order=2, label_de="Gebärdensprache", label_en="Sign language"
    )
    note = QuestionFactory(
        event=room.event, order=3, label_de="Anmerkung", label_en="Remark", kind="text"
    )
    return {
        "kind": kind,
        "kommune": kommune,
        "land": land,
        "access": access,
        "captions": captions,
        "signs": signs,
        "note": note,
    }


def field(question) -> str:
    return f"question_{question.pk}"


# --- The form ------------------------------------------------------------------------------------


def test_form_shows_the_questions_in_order_with_labels_hints_and_fieldsets(client, room, asked):
    html = client.get(register_url(room.event)).content.decode()

    assert "<legend>Fragen des Orga-Teams</legend>" in html
    legends = re.findall(r'<legend\s+class="form-label[^"]*">\s*([^<]+?)\s*<', html)
    assert legends[-2:] == ["Art der Organisation", "Barrierefreiheit (optional)"]
    kind = field(asked["kind"])
    assert f'<fieldset aria-describedby="id_{kind}_helptext">' in html
    assert f'id="id_{kind}_helptext" class="form-text">Für die &lt;b&gt;Planung&lt;/b&gt;.' in html
    note = field(asked["note"])
    assert re.search(rf'<label\s+for="id_{note}"[^>]*>\s*Anmerkung \(optional\)\s*</label>', html)
    assert f'<textarea name="{note}"' in html
    assert html.index("Art der Organisation") < html.index("Anmerkung (optional)")


def test_form_in_english_shows_the_english_texts(client, room, asked):
    html = client.get(register_url(room.event), headers=ENGLISH, follow=True).content.decode()

    assert "<legend>Questions from the organisers</legend>" in html
    assert "Type of organisation" in html
    assert "Access (optional)" in html
    options = re.findall(r'class="form-check-label">\s*([^<]+?)\s*</label>', html)
    assert options[-4:] == ["Council", "State", "Captions", "Sign language"]


def test_english_falls_back_to_german_where_a_text_is_missing(client, room):
    question = QuestionFactory(event=room.event, label_de="Nur deutsch", label_en="")
    html = client.get(register_url(room.event), headers=ENGLISH, follow=True).content.decode()
    assert f'for="id_{field(question)}"' in html
    assert "Nur deutsch (optional)" in html


def test_a_choice_question_without_options_is_not_asked(client, room):
    QuestionFactory(event=room.event, kind=Question.Kind.SINGLE, label_de="Leer", required=True)
    html = client.get(register_url(room.event)).content.decode()
    assert "Leer" not in html
    assert "Fragen des Orga-Teams" not in html
    assert client.post(register_url(room.event), form_data(room)).status_code == 302


@pytest.mark.parametrize(
    ("headers", "messages"),
    [
        ({}, ["Bitte wählen Sie eine der Antwortmöglichkeiten."]),
        (ENGLISH, ["Please choose one of the options."]),
    ],
)
def test_a_required_question_must_be_answered(client, room, asked, headers, messages):
    response = client.post(register_url(room.event), form_data(room), headers=headers)

    assert response.status_code == 200
    assert response.context["form"].errors == {field(asked["kind"]): messages}
    assert not Registration.objects.exists()
    html = response.content.decode()
    assert f'<a href="#id_{field(asked["kind"])}_0">{messages[0]}</a>' in html  # the summary


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("999999", "Bitte wählen Sie eine der angezeigten Antwortmöglichkeiten."),
        ("abc", "Bitte wählen Sie eine der angezeigten Antwortmöglichkeiten."),
        ("", "Bitte wählen Sie eine der Antwortmöglichkeiten."),
    ],
)
def test_a_bad_option_is_a_clear_error(client, room, asked, value, message):
    data = form_data(room, **{field(asked["kind"]): value})
    response = client.post(register_url(room.event), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {field(asked["kind"]): [message]}


def test_an_option_of_another_question_is_refused(client, room, asked):
    data = form_data(
        room,
        **{
            field(asked["kind"]): str(asked["kommune"].pk),
            field(asked["access"]): [str(asked["captions"].pk), str(asked["land"].pk)],
        },
    )
    response = client.post(register_url(room.event), data, headers=ENGLISH)
    assert response.context["form"].errors == {
        field(asked["access"]): ["Please choose only options listed."]
    }


def test_a_text_answer_is_limited_and_plain(client, room, asked):
    long = form_data(
        room, **{field(asked["kind"]): str(asked["land"].pk), field(asked["note"]): "x" * 1001}
    )
    control = form_data(
        room, **{field(asked["kind"]): str(asked["land"].pk), field(asked["note"]): "a\u202eb"}
    )
    assert client.post(register_url(room.event), long).context["form"].errors == {
        field(asked["note"]): [
            "Bitte geben Sie höchstens 1000 Zeichen ein (Sie haben 1001 eingegeben)."
        ]
    }
    assert client.post(register_url(room.event), control).context["form"].errors == {
        field(asked["note"]): [
            "Bitte verwenden Sie hier nur Buchstaben, Ziffern, Leerzeichen und Satzzeichen."
        ]
    }


def test_answers_are_stored_with_the_registration(client, room, asked):
    data = form_data(
        room,
        **{
            field(asked["kind"]): str(asked["land"].pk),
            field(asked["access"]): [str(asked["signs"].pk), str(asked["captions"].pk)],
            field(asked["note"]): "  Zwei Zeilen\nText  ",
        },
    )
    response = client.post(register_url(room.event), data)

    assert response.status_code == 302
    registration = Registration.objects.get()
    answers = {a.question_id: a for a in registration.answers.all()}
    assert set(answers) == {asked["kind"].pk, asked["access"].pk, asked["note"].pk}
    assert list(answers[asked["kind"].pk].choices.all()) == [asked["land"]]
    assert list(answers[asked["access"].pk].choices.all()) == [asked["captions"], asked["signs"]]
    assert answers[asked["access"].pk].as_text() == "Untertitel, Gebärdensprache"
    assert answers[asked["note"].pk].text == "Zwei Zeilen\nText"


def test_optional_questions_left_empty_store_no_answer(client, room, asked):
    data = form_data(room, **{field(asked["kind"]): str(asked["kommune"].pk)})
    assert client.post(register_url(room.event), data).status_code == 302
    assert [(a.question_id, a.as_text()) for a in Answer.objects.all()] == [
        (asked["kind"].pk, "Kommune")
    ]


def test_a_yes_no_question_takes_yes_or_no_only(client, room):
    question = QuestionFactory(event=room.event, kind=Question.Kind.YES_NO, required=True)
    bad = client.post(register_url(room.event), form_data(room, **{field(question): "maybe"}))
    assert bad.context["form"].errors == {
        field(question): ["Bitte antworten Sie mit „Ja“ oder „Nein“."]
    }
    good = client.post(register_url(room.event), form_data(room, **{field(question): "no"}))
    assert good.status_code == 302
    answer = Answer.objects.get()
    assert (answer.yes, answer.text, answer.as_text()) == (False, "", "nein")


def test_a_new_question_shows_on_the_cached_form_at_once(client, room):
    first = client.get(register_url(room.event)).content.decode()
    assert "Fragen des Orga-Teams" not in first
    question = QuestionFactory(event=room.event, label_de="Neu gestellt")
    assert "Neu gestellt (optional)" in client.get(register_url(room.event)).content.decode()
    QuestionFactory._meta.model.objects.filter(pk=question.pk).update(label_de="Umbenannt")
    assert "Umbenannt (optional)" in client.get(register_url(room.event)).content.decode()


def test_a_question_moved_to_another_event_leaves_the_cached_form(client, room):
    question = QuestionFactory(event=room.event, label_de="Umgezogen")
    assert "Umgezogen" in client.get(register_url(room.event)).content.decode()
    question.event = EventFactory()
    question.save()
    assert "Umgezogen" not in client.get(register_url(room.event)).content.decode()


def test_a_new_option_shows_on_the_cached_form_at_once(client, room, asked):
    client.get(register_url(room.event))
    QuestionChoiceFactory(question=asked["kind"], order=3, label_de="Bund")
    html = client.get(register_url(room.event)).content.decode()
    options = re.findall(r'class="form-check-label">\s*([^<]+?)\s*</label>', html)
    assert options[-5:] == ["Kommune", "Land", "Bund", "Untertitel", "Gebärdensprache"]


# --- The service ---------------------------------------------------------------------------------


def register(room, answers, email="erika@example.org"):
    return services.registration_create(
        event=room.event,
        room=room,
        first_name="Erika",
        last_name="Mustermann",
        email=email,
        consent=True,
        answers=answers,
    )


def test_the_service_refuses_answers_that_do_not_fit(room, asked):
    other = QuestionFactory(event=EventFactory(), label_de="Fremd")
    cases = [
        [Given(question=other, text="x")],  # another event's question
        [Given(question=asked["note"], text="a"), Given(question=asked["note"], text="b")],
        [Given(question=asked["kind"], choices=(asked["captions"],))],  # another's option
        [Given(question=asked["kind"], choices=(asked["kommune"], asked["land"]))],  # two
        [Given(question=asked["note"], choices=(asked["kommune"],))],  # options for text
    ]
    for answers in cases:
        with pytest.raises(services.RegistrationError) as refused:
            register(room, answers)
        assert (refused.value.code, str(refused.value.message)) == (
            "answers",
            "Bitte beantworten Sie nur die Fragen dieses Formulars.",
        )
    assert not Registration.objects.exists()


def test_a_duplicate_registration_stores_no_second_set_of_answers(room, asked):
    register(room, [Given(question=asked["note"], text="erste")])
    with pytest.raises(services.AlreadyRegistered):
        register(room, [Given(question=asked["note"], text="zweite")])
    assert [a.text for a in Answer.objects.all()] == ["erste"]


def test_submitting_with_answers_costs_two_queries_more(
    client, django_assert_num_queries, room, asked, settings
):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "promotions"],
        }
    }
    client.get(register_url(room.event))  # the event, rooms and questions are cached now
    data = form_data(
        room,
        **{
            field(asked["kind"]): str(asked["land"].pk),
            field(asked["access"]): [str(asked["captions"].pk), str(asked["signs"].pk)],
        },
    )
    # as without questions (test_views), and the answers and their options: one INSERT each
    with django_assert_num_queries(11):
        response = client.post(register_url(room.event), data)
    assert response.status_code == 302
    assert Answer.objects.count() == 2


# --- Lists, exports, data download ---------------------------------------------------------------


def answered(room, asked, email, *, kind, access=(), note=""):
    registration = register(room, [], email=email)
    answers = [Given(question=asked["kind"], choices=(asked[kind],))]
    if access:
        answers.append(Given(question=asked["access"], choices=tuple(asked[a] for a in access)))
    if note:
        answers.append(Given(question=asked["note"], text=note))
    services._answers_store(registration, answers)
    return registration


def test_csv_has_one_column_per_question_with_the_answers(organiser_client, room, asked):
    answered(room, asked, "a@example.org", kind="land", access=("captions", "signs"), note="=1+1")
    answered(room, asked, "b@example.org", kind="kommune")

    response = organiser_client.get(export_url(room, "csv"))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [*header(), "Art der Organisation", "Barrierefreiheit", "Anmerkung"]
    assert [row[2] for row in rows[1:]] == ["a@example.org", "b@example.org"]
    assert [row[-3:] for row in rows[1:]] == [
        ["Land", "Untertitel, Gebärdensprache", "'=1+1"],
        ["Kommune", "", ""],
    ]


def test_xlsx_in_english_has_the_english_questions_and_answers(organiser_client, room, asked):
    answered(room, asked, "a@example.org", kind="land", access=("signs",))
    organiser_client.cookies["django_language"] = "en"
    response = organiser_client.get(export_url(room, "xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][-3:] == ["Type of organisation", "Access", "Remark"]
    assert rows[1][-3:] == ["State", "Sign language", None]


@pytest.mark.room(capacity=50)
@pytest.mark.parametrize("count", [1, 40])
def test_export_with_answers_query_count_is_constant(
    organiser_client, django_assert_num_queries, asked, room, count
):
    for n in range(count):
        answered(room, asked, f"p{n}@example.org", kind="land", access=("captions",), note="x")
    # session, user, Organisers group, user and group permissions, event, room, the list, their
    # attendance, their answers and the answers' options, the event's questions
    with django_assert_num_queries(12):
        response = organiser_client.get(export_url(room, "csv"))
    assert response.content.decode("utf-8-sig").count("Untertitel") == count


def test_data_download_holds_the_answers(client, room, asked):
    registration = answered(room, asked, "a@example.org", kind="land", access=("captions",))
    url = reverse("registrations:data", kwargs={"token": registration.token})

    german = json.loads(client.get(url).content)
    english = json.loads(client.get(url, headers=ENGLISH, follow=True).content)

    assert german["answers"] == [
        {"question": "Art der Organisation", "answer": "Land"},
        {"question": "Barrierefreiheit", "answer": "Untertitel"},
    ]
    assert english["answers"] == [
        {"question": "Type of organisation", "answer": "State"},
        {"question": "Access", "answer": "Captions"},
    ]


# --- Deleted with the registration, and by the purge --------------------------------------------


def test_deleting_the_registration_deletes_its_answers(client, room, asked):
    registration = answered(room, asked, "a@example.org", kind="land", access=("captions",))
    kept = answered(room, asked, "b@example.org", kind="kommune")
    client.post(reverse("registrations:delete", kwargs={"token": registration.token}))
    assert [a.registration_id for a in Answer.objects.all()] == [kept.pk]
    assert Answer.choices.through.objects.count() == 1


def test_purge_deletes_the_answers_of_past_events_only():
    now = timezone.now()
    past = EventFactory(starts_at=now - dt.timedelta(days=40), ends_at=now - dt.timedelta(days=39))
    current = EventFactory()
    people = []
    for event in (past, current):
        question = QuestionFactory(event=event, kind=Question.Kind.YES_NO)
        person = RegistrationFactory(room=RoomFactory(event=event))
        Answer.objects.create(registration=person, question=question, yes=True)
        people.append(person)

    assert registrations_purge(now=now, days=30) == 1

    assert [a.registration_id for a in Answer.objects.all()] == [people[1].pk]
    people[0].refresh_from_db()
    assert people[0].anonymised_at == now


# --- The admin -----------------------------------------------------------------------------------

CHANGELIST = reverse("admin:registrations_registration_changelist")


def test_change_page_shows_every_question_with_the_answer(organiser_client, room, asked):
    registration = answered(room, asked, "a@example.org", kind="land", access=("captions",))
    url = reverse("admin:registrations_registration_change", args=[registration.pk])

    html = organiser_client.get(url).content.decode()

    rows = re.findall(r"<tr>\s*<th scope=\"row\">([^<]*)</th>\s*<td>([^<]*)</td>", html)
    assert rows == [
        ("Art der Organisation", "Land"),
        ("Barrierefreiheit (Barrierefreiheit)", "Untertitel"),
        ("Anmerkung", "-"),
    ]
    assert "Antworten auf die Fragen" in html


def test_list_shows_access_needs_and_filters_by_them(organiser_client, room, asked):
    answered(room, asked, "a@example.org", kind="land", access=("captions", "signs"))
    answered(room, asked, "b@example.org", kind="kommune")

    html = organiser_client.get(CHANGELIST, {"access_needs": "yes"}).content.decode()
    cells = re.findall(r'<td class="field-access_needs">([^<]*)</td>', html)
    assert cells == ["Untertitel, Gebärdensprache"]
    html = organiser_client.get(CHANGELIST, {"access_needs": "no"}).content.decode()
    # One row (b@example.org, who stated none).
    assert re.findall(r'<td class="field-access_needs">([^<]*)</td>', html) == ["-"]


@pytest.mark.parametrize("count", [1, 300])
def test_changelist_with_answers_query_count_is_constant(
    organiser_client, django_assert_num_queries, count
):
    event = EventFactory()
    room = RoomFactory(event=event, capacity=400)
    question = QuestionFactory(event=event, kind=Question.Kind.MULTIPLE, is_access_need=True)
    choice = QuestionChoiceFactory(question=question, label_de="Untertitel")
    people = bulk_registrations(room, count)
    answers = Answer.objects.bulk_create(Answer(registration=p, question=question) for p in people)
    Answer.choices.through.objects.bulk_create(
        Answer.choices.through(answer=a, questionchoice=choice) for a in answers
    )
    organiser_client.get(CHANGELIST)
    # session, user, Organisers group, user and group permissions, whether an event has begun
    # and asks for access needs (one query), the event filter, the room filter, the page count and
    # the full count, the page itself, the page's attendance, its answers and their options, the
    # event in the header
    with django_assert_num_queries(15):
        response = organiser_client.get(CHANGELIST)
    cells = re.findall(r'<td class="field-access_needs">([^<]*)</td>', response.content.decode())
    assert cells == ["Untertitel"] * min(count, 100)


# --- The personal page ----------------------------------------------------------------------------


def answers_url(registration):
    return reverse("registrations:answers", kwargs={"token": registration.token})


def test_personal_page_shows_the_answers_and_a_link_to_change_them(client, room, asked):
    registration = answered(room, asked, "a@example.org", kind="land", access=("captions",))

    html = client.get(registration.get_absolute_url()).content.decode()

    section = html[html.index('<section aria-labelledby="answers-heading"') :]
    section = section[: section.index("</section>")]
    assert re.findall(r"<dt>([^<]*)</dt>\s*<dd>([^<]*)</dd>", section) == [
        ("Art der Organisation", "Land"),
        ("Barrierefreiheit", "Untertitel"),
        ("Anmerkung", "(keine Antwort)"),
    ]
    assert f'<a href="{answers_url(registration)}">Antworten ändern</a>' in section


def test_personal_page_without_questions_has_no_answers_section(client, room):
    registration = RegistrationFactory(room=room)
    html = client.get(registration.get_absolute_url()).content.decode()
    assert "answers-heading" not in html


def test_the_person_changes_their_answers(client, room, asked):
    registration = answered(room, asked, "a@example.org", kind="land", access=("captions",))
    url = answers_url(registration)

    html = client.get(url).content.decode()
    checked = re.findall(r'value="(\d+)"[^>]*id="id_question_\d+_\d+"[^>]*checked', html)
    assert sorted(checked) == sorted([str(asked["land"].pk), str(asked["captions"].pk)])

    response = client.post(
        url,
        {
            field(asked["kind"]): str(asked["kommune"].pk),
            field(asked["access"]): [str(asked["signs"].pk)],
            field(asked["note"]): "Bitte mit Pausen",
        },
    )

    assert response["Location"] == registration.get_absolute_url()
    assert {a.question_id: a.as_text() for a in registration.answers.all()} == {
        asked["kind"].pk: "Kommune",
        asked["access"].pk: "Gebärdensprache",
        asked["note"].pk: "Bitte mit Pausen",
    }
    page = client.get(registration.get_absolute_url()).content.decode()
    assert "Ihre Antworten sind gespeichert." in page


def test_changing_answers_keeps_required_questions_answered(client, room, asked):
    registration = answered(room, asked, "a@example.org", kind="land", access=("captions",))
    response = client.post(answers_url(registration), {}, headers=ENGLISH)
    assert response.context["form"].errors == {
        field(asked["kind"]): ["Please choose one of the options."]
    }
    assert registration.answers.count() == 2


def test_emptying_an_optional_answer_deletes_it(client, room, asked):
    registration = answered(room, asked, "a@example.org", kind="land", access=("captions",))
    client.post(answers_url(registration), {field(asked["kind"]): str(asked["land"].pk)})
    assert [a.question_id for a in registration.answers.all()] == [asked["kind"].pk]
    assert Answer.choices.through.objects.count() == 1


def test_a_cancelled_registration_cannot_change_its_answers(client, room, asked):
    registration = answered(room, asked, "a@example.org", kind="land")
    services.registration_cancel(registration=registration)
    for response in (
        client.get(answers_url(registration)),
        client.post(answers_url(registration), {field(asked["kind"]): str(asked["kommune"].pk)}),
    ):
        assert response["Location"] == registration.get_absolute_url()
    assert [a.as_text() for a in registration.answers.all()] == ["Land"]
    html = client.get(registration.get_absolute_url()).content.decode()
    assert "Antworten ändern" not in html


def test_the_service_refuses_a_cancelled_registration(room, asked):
    registration = answered(room, asked, "a@example.org", kind="land")
    services.registration_cancel(registration=registration)
    with pytest.raises(services.RegistrationError) as refused:
        services.registration_answers_update(
            registration=registration, answers=[Given(question=asked["note"], text="x")]
        )
    assert refused.value.code == "cancelled"


def test_answers_page_of_an_unknown_link_is_not_found(client):
    assert client.get("/r/" + "x" * 32 + "/answers/").status_code == 404


def test_the_error_summary_links_to_the_first_checkbox_of_a_group(client, room, asked):
    Question.objects.filter(pk=asked["access"].pk).update(required=True)
    data = form_data(room, **{field(asked["kind"]): str(asked["land"].pk)})
    html = client.post(register_url(room.event), data).content.decode()
    name = field(asked["access"])
    message = "Bitte wählen Sie mindestens eine der Antwortmöglichkeiten."
    assert f'<a href="#id_{name}_0">{message}</a>' in html
    assert f'id="id_{name}_0"' in html


@pytest.mark.room(capacity=1000)
def test_answers_fuzz_never_fail_and_store_only_what_fits(client, room, asked):
    option_ids = [str(asked[key].pk) for key in ("kommune", "land", "captions", "signs")]
    values = st.one_of(st.sampled_from(option_ids), room_values([room]), texts)
    counter = iter(range(10_000))

    @hypothesis_settings(max_examples=60)
    @given(
        kind=st.one_of(st.none(), values),
        access=st.one_of(st.none(), st.lists(values, max_size=4)),
        note=st.one_of(st.none(), texts),
    )
    def register(kind, access, note):
        before = Registration.objects.count()
        data = form_data(room, email=f"fuzz{next(counter)}@example.org")
        data.update({field(asked["kind"]): kind, field(asked["note"]): note})
        data = {key: value for key, value in data.items() if value is not None}
        if access is not None:
            data[field(asked["access"])] = access

        response = client.post(register_url(room.event), data)

        assert response.status_code in {200, 302}
        if response.status_code == 302:
            assert Registration.objects.count() == before + 1
            registration = Registration.objects.order_by("-pk").first()
            for answer in registration.answers.all():
                chosen = {c.question_id for c in answer.choices.all()}
                assert chosen <= {answer.question_id}
            assert registration.answers.get(question=asked["kind"]).choices.count() == 1
        else:
            assert Registration.objects.count() == before

    register()


def test_a_question_that_looks_like_a_formula_stays_text(organiser_client, room):
    QuestionFactory(event=room.event, label_de='=HYPERLINK("http://evil.example")')
    csv_response = organiser_client.get(export_url(room, "csv"))
    xlsx_response = organiser_client.get(export_url(room, "xlsx"))
    text = csv_response.content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text), delimiter=";"))[-1] == (
        '\'=HYPERLINK("http://evil.example")'
    )
    cell = load_workbook(io.BytesIO(xlsx_response.content)).active.cell(row=1, column=13)
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil.example")', "s")
