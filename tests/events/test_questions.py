"""The questions of the registration form: the model, the admin, the demo event."""

import re

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone, translation

from events.demo import demo_event_load
from events.models import Question, QuestionChoice
from registrations.models import Answer
from tests.factories import (
    EventFactory,
    QuestionChoiceFactory,
    QuestionFactory,
    RegistrationFactory,
)

pytestmark = pytest.mark.django_db

ADD = reverse("admin:events_question_add")


def question_data(event, *, kind="single", options=(), **fields):
    """The admin's add or change form of a question with its options (German, English)."""
    data = {
        "event": str(event.pk),
        "order": "1",
        "label_de": "Art der Organisation",
        "label_en": "Type of organisation",
        "help_text_de": "",
        "help_text_en": "",
        "kind": kind,
        "required": "on",
        "choices-TOTAL_FORMS": str(len(options)),
        "choices-INITIAL_FORMS": "0",
        "choices-MIN_NUM_FORMS": "0",
        "choices-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for index, (de, en) in enumerate(options):
        data.update(
            {
                f"choices-{index}-order": str(index + 1),
                f"choices-{index}-label_de": de,
                f"choices-{index}-label_en": en,
            }
        )
    return data


def test_organiser_adds_a_choice_question_in_both_languages(organiser_client):
    event = EventFactory()
    options = [("Kommune", "Municipality"), ("Land", "Federal state")]

    response = organiser_client.post(ADD, question_data(event, options=options))

    assert response.status_code == 302
    question = Question.objects.get()
    assert (question.event, question.kind, question.required, question.is_access_need) == (
        event,
        Question.Kind.SINGLE,
        True,
        False,
    )
    assert (question.label_de, question.label_en) == (
        "Art der Organisation",
        "Type of organisation",
    )
    assert [(c.label_de, c.label_en) for c in question.choices.order_by("order")] == options


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        (
            "single",
            [("Nur eine", "Only one")],
            "Eine Auswahlfrage braucht mindestens zwei Antwortmöglichkeiten.",
        ),
        ("multiple", [], "Eine Auswahlfrage braucht mindestens zwei Antwortmöglichkeiten."),
        (
            "text",
            [("A", "A"), ("B", "B")],
            "Nur Fragen mit Einfach- oder Mehrfachauswahl haben Antwortmöglichkeiten.",
        ),
    ],
)
def test_options_must_fit_the_kind(organiser_client, kind, options, message):
    event = EventFactory()
    response = organiser_client.post(ADD, question_data(event, kind=kind, options=options))
    assert response.status_code == 200
    assert [
        str(e) for e in response.context["inline_admin_formsets"][0].formset.non_form_errors()
    ] == [message]
    assert not Question.objects.exists()


def test_labels_are_required_in_both_languages(organiser_client):
    event = EventFactory()
    response = organiser_client.post(ADD, question_data(event, kind="text", label_en=""))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "label_en": ["Dieses Feld ist zwingend erforderlich."]
    }


def test_the_kind_of_an_answered_question_stays(organiser_client):
    question = QuestionFactory(kind=Question.Kind.TEXT)
    registration = RegistrationFactory(room__event=question.event)
    Answer.objects.create(registration=registration, question=question, text="Hallo")
    url = reverse("admin:events_question_change", args=[question.pk])

    response = organiser_client.post(url, question_data(question.event, kind="yes_no", required=""))

    assert response.context["adminform"].form.errors == {
        "kind": [
            "Diese Frage wurde bereits beantwortet, daher lässt sich ihre Art nicht mehr ändern. "
            "Legen Sie stattdessen eine neue Frage an."
        ]
    }
    changed = organiser_client.post(url, question_data(question.event, kind="text", label_de="Neu"))
    assert changed.status_code == 302
    question.refresh_from_db()
    assert (question.kind, question.label_de) == ("text", "Neu")


def test_event_page_lists_the_questions_with_their_options(organiser_client):
    question = QuestionFactory(kind=Question.Kind.SINGLE, label_de="Art", label_en="Kind")
    QuestionChoiceFactory(question=question, order=2, label_de="Land")
    QuestionChoiceFactory(question=question, order=1, label_de="Kommune")

    html = organiser_client.get(
        reverse("admin:events_event_change", args=[question.event.pk])
    ).content.decode()

    assert 'name="questions-0-label_de"' in html
    assert 'name="questions-0-label_en"' in html
    assert re.findall(r'<td class="field-options">\s*<p>([^<]*)</p>', html)[0] == "Kommune, Land"
    assert reverse("admin:events_question_change", args=[question.pk]) in html


def test_organisers_group_may_manage_questions(organiser):
    assert organiser.has_perms(
        [
            "events.add_question",
            "events.change_question",
            "events.delete_question",
            "events.add_questionchoice",
            "events.change_questionchoice",
        ]
    )


def test_the_database_refuses_an_unknown_kind():
    with pytest.raises(IntegrityError):
        QuestionFactory(kind="essay")


def test_an_answer_is_text_or_yes_no_not_both():
    question = QuestionFactory()
    registration = RegistrationFactory(room__event=question.event)
    with pytest.raises(IntegrityError):
        Answer.objects.create(registration=registration, question=question, text="x", yes=True)


def test_one_answer_per_question_and_registration():
    question = QuestionFactory()
    registration = RegistrationFactory(room__event=question.event)
    Answer.objects.create(registration=registration, question=question, text="x")
    with pytest.raises(IntegrityError):
        Answer.objects.create(registration=registration, question=question, text="y")


def test_deleting_a_question_deletes_its_options_and_answers():
    choice = QuestionChoiceFactory()
    registration = RegistrationFactory(room__event=choice.question.event)
    answer = Answer.objects.create(registration=registration, question=choice.question)
    answer.choices.add(choice)
    choice.question.delete()
    assert (QuestionChoice.objects.count(), Answer.objects.count()) == (0, 0)
    assert Answer.choices.through.objects.count() == 0


def test_demo_event_asks_the_organisation_type_and_access_needs():
    event, _created = demo_event_load()
    questions = list(event.questions.order_by("order"))

    assert [(q.kind, q.required, q.is_access_need) for q in questions] == [
        ("single", False, False),
        ("multiple", False, True),
    ]
    with translation.override("de"):
        assert [q.label for q in questions] == [
            "Kommune / Art der Organisation",
            "Benötigen Sie Untertitel oder eine Gebärdensprachdolmetschung?",
        ]
        assert [c.label for c in questions[0].choices.order_by("order")] == [
            "Kommune (Stadt, Gemeinde)",
            "Landkreis",
            "Land",
            "Bund",
            "Wissenschaft",
            "Zivilgesellschaft",
            "Wirtschaft",
            "Sonstiges",
        ]
    with translation.override("en"):
        assert questions[1].label == "Do you need captions or sign-language interpretation?"
        assert [c.label for c in questions[1].choices.order_by("order")] == [
            "Captions (live captions)",
            "Sign-language interpretation (DGS)",
        ]
    assert demo_event_load() == (event, False)
    assert Question.objects.count() == 2  # a second load changes nothing


def test_question_page_counts_the_answers_of_registrations_not_cancelled(organiser_client):
    question = QuestionFactory(kind=Question.Kind.MULTIPLE, label_de="Barrierefreiheit")
    captions = QuestionChoiceFactory(question=question, order=1, label_de="Untertitel")
    signs = QuestionChoiceFactory(question=question, order=2, label_de="Gebärdensprache")
    text = QuestionFactory(event=question.event, label_de="Anmerkung")
    for status, chosen in [
        ("confirmed", [captions, signs]),
        ("waiting", [captions]),
        ("cancelled", [captions, signs]),
    ]:
        registration = RegistrationFactory(
            room__event=question.event, status=status, waiting_since=timezone.now()
        )
        Answer.objects.create(registration=registration, question=question).choices.set(chosen)
        Answer.objects.create(registration=registration, question=text, text="x")

    def tally(obj):
        url = reverse("admin:events_question_change", args=[obj.pk])
        html = organiser_client.get(url).content.decode()
        return re.search(r'<div class="readonly">([^<]*)</div>', html)[1]

    assert tally(question) == "Untertitel: 2; Gebärdensprache: 1"
    assert tally(text) == "2 Personen haben geantwortet."
    listing = organiser_client.get(reverse("admin:events_question_changelist")).content.decode()
    assert re.findall(r'<td class="field-answered">(\d+)</td>', listing) == ["2", "2"]
