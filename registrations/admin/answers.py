"""The answers to the registration form's questions in the registrations admin: a section on
each registration's page, a column with the access needs (captions, sign language, …) in the
list, and a filter for them. Whoever may see a registration sees its answers."""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from registrations.admin.common import listed_events
from registrations.models import Answer
from registrations.questions import questions_for, with_answers


class AccessNeedsListFilter(admin.SimpleListFilter):
    title = _("access needs")
    parameter_name = "access_needs"

    def lookups(self, request, model_admin):
        return [("yes", _("stated")), ("no", _("none stated"))]

    def queryset(self, request, queryset):
        stated = Exists(
            Answer.objects.filter(
                registration=OuterRef("pk"), question__is_access_need=True
            ).exclude(yes=False)
        )
        if self.value() == "yes":
            return queryset.filter(stated)
        if self.value() == "no":
            return queryset.exclude(stated)
        return queryset


class AnswersAdminMixin:
    """For RegistrationAdmin: the answers, read only (they are the person's to give)."""

    answers_fieldset = (_("Answers to the questions"), {"fields": ["answers"]})

    def get_queryset(self, request):
        return with_answers(super().get_queryset(request))

    def get_list_display(self, request):
        """The access needs column where the listed event (or, unfiltered, any event) asks for
        them."""
        shown = super().get_list_display(request)
        return [*shown, "access_needs"] if listed_events(request)["asks_access_needs"] else shown

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), AccessNeedsListFilter]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        return [*fieldsets[:1], self.answers_fieldset, *fieldsets[1:]]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "answers"]

    @admin.display(description=_("access needs"))
    def access_needs(self, obj):
        """The answers to access-need questions, "Untertitel; Gebärdensprache" (prefetched)."""
        stated = [
            answer.as_text()
            for answer in obj.answers.all()
            if answer.question.is_access_need and answer.yes is not False
        ]
        return "; ".join(stated) or None

    @admin.display(description=_("answers"))
    def answers(self, obj):
        """Every question of the event with the person's answer (a dash when none)."""
        questions = questions_for(obj.event)
        if not questions:
            return self.get_empty_value_display()
        given = {answer.question_id: answer for answer in obj.answers.all()}
        rows = [
            {
                "question": question.label,
                "answer": given[question.pk].as_text() if question.pk in given else "",
                "is_access_need": question.is_access_need,
            }
            for question in questions
        ]
        return render_to_string(
            "admin/registrations/registration/answers.html",
            {"rows": rows, "empty": self.get_empty_value_display()},
        )
