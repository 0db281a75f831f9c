"""The person's answers to the organisers' questions, changed behind their secret link."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import FormView

from registrations.answer_form import AnswersForm
from registrations.models import Registration
from registrations.views.personal import RegistrationMixin


class AnswersView(RegistrationMixin, FormView):
    """Until the event is over, and not for a cancelled registration (the personal page)."""

    template_name = "registrations/answers.html"
    form_class = AnswersForm

    def get(self, request, *args, **kwargs):
        if not self.may_answer():
            return redirect(self.registration)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.may_answer():
            return redirect(self.registration)
        return super().post(request, *args, **kwargs)

    def may_answer(self) -> bool:
        registration = self.registration
        return (
            registration.status != Registration.Status.CANCELLED
            and registration.event.registration_state() != "over"
        )

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "registration": self.registration,
            "language": get_language(),
        }

    def form_valid(self, form):
        form.save()
        messages.success(self.request, _("Your answers are saved."))
        return redirect(self.registration)
