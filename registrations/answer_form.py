"""The personal page's form to change one's answers to the organisers' questions."""

from django import forms

from registrations import questions, services
from registrations.models import Registration


class AnswersForm(forms.Form):
    def __init__(self, *, registration: Registration, language: str, **kwargs):
        if kwargs.get("data") is None:  # a sent form shows what was sent: no answers to load
            given = questions.answers_initial(registration)
            kwargs["initial"] = {**given, **kwargs.get("initial", {})}
        super().__init__(**kwargs)
        self.registration = registration
        self.questions = questions.question_fields(registration.event, language)
        self.fields.update(self.questions)

    def save(self) -> None:
        services.registration_answers_update(
            registration=self.registration,
            answers=questions.answers_from(self.questions, self.cleaned_data),
        )
