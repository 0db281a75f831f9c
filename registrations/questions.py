"""The organisers' questions (events.Question) on the registration form, and their answers.

`question_fields` builds one form field per question, in the question's order and the form's
language; the register form adds them to its own fields and its template renders them as it
renders the built-in ones (a choice question as a fieldset with a legend, hints and errors tied
to the field). `answers_from` turns the cleaned data into `Given` answers, which
`services.registration_create` stores with the registration. `answers_by_question` and
`with_answers` serve the lists, exports and the data download.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.translation import gettext_lazy as _

from events import cache
from events.models import Event, Question, QuestionChoice
from registrations.models import Answer, Registration

PREFIX = "question_"
LABELS = ("label_de", "label_en", "help_text_de", "help_text_en")
TEXT_MAX_LENGTH = 1000
TOO_LONG = _("Please enter at most %(limit_value)d characters (you entered %(show_value)d).")
ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def validate_answer_text(value: str) -> None:
    """Free text over several lines: no other control or format characters (Unicode Cc, Cf)."""
    for character in value:
        if character in ALLOWED_CONTROLS:
            continue
        if unicodedata.category(character) in {"Cc", "Cf"}:
            raise ValidationError(
                _("Please use only letters, digits, spaces and punctuation here."),
                code="control_characters",
            )


@dataclass(frozen=True)
class Given:
    """One answer as the form gives it: text, yes/no or options (of `question`)."""

    question: Question
    text: str = ""
    yes: bool | None = None
    choices: tuple[QuestionChoice, ...] = field(default=())


def questions_for(event: Event) -> list[Question]:
    """The event's questions in their order, with their options (two queries)."""
    options = Prefetch("choices", queryset=QuestionChoice.objects.order_by("order", "pk"))
    return list(event.questions.order_by("order", "pk").prefetch_related(options))


QUESTION_COLUMNS = ("pk", "kind", "required", "is_access_need", *LABELS)


def _stored(event: Event) -> tuple:
    """The event's questions as plain values: ((question values), ((option values), …)), …"""
    return tuple(
        (
            tuple(getattr(question, name) for name in QUESTION_COLUMNS),
            tuple(
                (choice.pk, choice.label_de, choice.label_en) for choice in question.choices.all()
            ),
        )
        for question in questions_for(event)
    )


def form_questions(event: Event) -> list[tuple[Question, list[QuestionChoice]]]:
    """The event's questions with their options, for the form: from the event's cache
    (events/cache.py; a change of a question or option starts a new generation), so that
    showing and sending the form costs no query for them."""
    key = cache.event_key(event.pk, cache.generation(event.pk), "questions")
    return [
        (
            Question(event_id=event.pk, **dict(zip(QUESTION_COLUMNS, values, strict=True))),
            [
                QuestionChoice(pk=pk, question_id=values[0], label_de=de, label_en=en)
                for pk, de, en in options
            ],
        )
        for values, options in cache.cached(key, lambda: _stored(event))
    ]


def _field(question: Question, choices: list[QuestionChoice]) -> forms.Field | None:
    label = (
        question.label
        if question.required
        else _("%(question)s (optional)") % {"question": question.label}
    )
    common = {
        "label": label,
        "required": question.required,
        "help_text": conditional_escape(question.help_text or ""),
    }
    if question.kind == Question.Kind.TEXT:
        return forms.CharField(
            max_length=TEXT_MAX_LENGTH,
            validators=[validate_answer_text],
            widget=forms.Textarea(attrs={"rows": 3}),
            error_messages={"required": _("Please answer this question."), "max_length": TOO_LONG},
            **common,
        )
    if question.kind == Question.Kind.YES_NO:
        return forms.ChoiceField(
            choices=[("yes", _("Yes")), ("no", _("No"))],
            widget=forms.RadioSelect,
            error_messages={
                "required": _("Please answer yes or no."),
                "invalid_choice": _("Please answer yes or no."),
            },
            **common,
        )
    options = [(str(choice.pk), choice.label) for choice in choices]
    if not options:  # nothing to choose yet: not asked
        return None
    if question.kind == Question.Kind.SINGLE:
        return forms.ChoiceField(
            choices=options,
            widget=forms.RadioSelect,
            error_messages={
                "required": _("Please choose one of the options."),
                "invalid_choice": _("Please choose one of the options listed."),
            },
            **common,
        )
    return forms.MultipleChoiceField(
        choices=options,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Please choose at least one of the options."),
            "invalid_choice": _("Please choose only options listed."),
            "invalid_list": _("Please choose only options listed."),
        },
        **common,
    )


def question_fields(event: Event, language: str) -> dict[str, forms.Field]:
    """Form fields for the event's questions ("question_<id>": field), labelled in `language`;
    each field knows its `question`. A choice question without options is left out."""
    fields = {}
    with translation.override(language):
        for question, choices in form_questions(event):
            form_field = _field(question, choices)
            if form_field is not None:
                form_field.question, form_field.options = question, choices
                fields[f"{PREFIX}{question.pk}"] = form_field
    return fields


def answers_from(fields: dict[str, forms.Field], cleaned_data: dict) -> list[Given]:
    """The answers in a valid form's `cleaned_data`; unanswered optional questions give none."""
    answers = []
    for name, form_field in fields.items():
        question = getattr(form_field, "question", None)
        value = cleaned_data.get(name)
        if question is None or value in (None, "", []):
            continue
        if question.kind == Question.Kind.TEXT:
            answers.append(Given(question=question, text=value.strip()))
        elif question.kind == Question.Kind.YES_NO:
            answers.append(Given(question=question, yes=value == "yes"))
        else:
            chosen = {str(pk) for pk in ([value] if isinstance(value, str) else value)}
            options = tuple(c for c in form_field.options if str(c.pk) in chosen)
            answers.append(Given(question=question, choices=options))
    return [answer for answer in answers if answer.text or answer.yes is not None or answer.choices]


def with_answers(queryset: QuerySet[Registration]) -> QuerySet[Registration]:
    """Prefetch each registration's answers with their question and options: two queries for
    all of them."""
    answers = Answer.objects.select_related("question").prefetch_related("choices")
    return queryset.prefetch_related(Prefetch("answers", queryset=answers))


def answers_by_question(registration: Registration) -> dict[int, Answer]:
    """The registration's answers by question id (from the prefetched `answers`)."""
    return {answer.question_id: answer for answer in registration.answers.all()}


def answers_text(registration: Registration, questions: Iterable[Question]) -> list[str]:
    """One text per question ("" if not answered), for a row of an export."""
    answers = answers_by_question(registration)
    return [answers[q.pk].as_text() if q.pk in answers else "" for q in questions]


def answers_initial(registration: Registration) -> dict:
    """The person's answers as the form's initial values ("question_<id>": value)."""
    initial = {}
    for answer in registration.answers.select_related("question").prefetch_related("choices"):
        name = f"{PREFIX}{answer.question_id}"
        if answer.yes is not None:
            initial[name] = "yes" if answer.yes else "no"
        elif answer.text:
            initial[name] = answer.text
        else:
            chosen = [str(choice.pk) for choice in answer.choices.all()]
            multiple = answer.question.kind == Question.Kind.MULTIPLE
            initial[name] = chosen if multiple else next(iter(chosen), "")
    return initial


def answers_overview(registration: Registration) -> list[dict] | None:
    """For the personal page: each question with the person's answer ("" if none); None when
    the event asks nothing (then no query for the answers either)."""
    questions = form_questions(registration.event)
    if not questions:
        return None
    given = {
        answer.question_id: answer.as_text()
        for answer in registration.answers.prefetch_related("choices")
    }
    return [
        {"question": question.label, "answer": given.get(question.pk, "")}
        for question, _choices in questions
    ]
