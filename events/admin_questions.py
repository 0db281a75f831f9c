"""The questions of the registration form in the admin: a table on the event's page, and each
question's own page with its options (German and English side by side, modeltranslation)."""

from django import forms
from django.contrib import admin
from django.db.models import Count, Prefetch, Q
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from events.admin_scope import TeamScopedMixin
from events.models import Question, QuestionChoice


class QuestionForm(forms.ModelForm):
    """Once people have answered, the kind of a question stays (their answers must fit it)."""

    class Meta:
        model = Question
        fields = ["event", "order", "label", "help_text", "kind", "required", "is_access_need"]

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        question = self.instance
        if question.pk and kind != question.kind and question.answers.exists():
            raise forms.ValidationError(
                _(
                    "People have answered this question already, so its kind can no longer "
                    "change. Add a new question instead."
                ),
                code="answered",
            )
        return kind


class ChoiceFormSet(BaseInlineFormSet):
    """A choice question needs two options at least; the other kinds take none."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form
            for form in self.forms
            if (form.instance.pk or form.has_changed()) and not self._should_delete_form(form)
        ]
        if self.instance.has_choices and len(kept) < 2:
            raise forms.ValidationError(
                _("A choice question needs at least two options."), code="too_few"
            )
        if not self.instance.has_choices and kept:
            raise forms.ValidationError(
                _("Only single- and multiple-choice questions have options."), code="no_choices"
            )


class QuestionChoiceInline(TranslationTabularInline):
    model = QuestionChoice
    formset = ChoiceFormSet
    extra = 0
    fields = ["order", "label"]


class QuestionInline(TranslationTabularInline):
    """On the event's page: the questions; their options on each question's own page."""

    model = Question
    form = QuestionForm
    extra = 0
    fields = ["order", "label", "kind", "required", "is_access_need", "options"]
    readonly_fields = ["options"]
    show_change_link = True
    classes = ["koki-compact-inline"]
    verbose_name_plural = _(
        "Questions on the registration form (options of a choice question: on the question's "
        "own page, “Change”)"
    )

    def get_queryset(self, request):
        options = Prefetch("choices", queryset=QuestionChoice.objects.order_by("order", "pk"))
        return super().get_queryset(request).prefetch_related(options)

    @admin.display(description=_("options"))
    def options(self, obj):
        return ", ".join(choice.label for choice in obj.choices.all()) or "–"


# Answers of registrations that are not cancelled (the related name of registrations.Answer).
ACTIVE = ~Q(answers__registration__status="cancelled")


@admin.register(Question)
class QuestionAdmin(TeamScopedMixin, TranslationAdmin):
    form = QuestionForm
    list_display = ["label", "event", "kind", "required", "is_access_need", "order", "answered"]
    list_filter = ["event", "kind", "is_access_need"]
    list_select_related = ["event"]
    search_fields = ["label_de", "label_en"]
    fields = [
        "event",
        "order",
        "label",
        "help_text",
        "kind",
        "required",
        "is_access_need",
        "tally",
    ]
    readonly_fields = ["tally"]
    inlines = [QuestionChoiceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(answered_by=Count("answers", filter=ACTIVE))

    @admin.display(description=_("answered by"), ordering="answered_by")
    def answered(self, obj):
        return obj.answered_by

    @admin.display(description=_("answers so far"))
    def tally(self, obj):
        """How many people (registrations not cancelled) answered, and chose each option: to
        plan captions or interpreters, say."""
        if obj.pk is None:
            return self.get_empty_value_display()
        total = obj.answered_by
        if not obj.has_choices:
            return ngettext("%(count)d person answered.", "%(count)d people answered.", total) % {
                "count": total
            }
        options = obj.choices.order_by("order", "pk").annotate(
            chosen=Count("answers", filter=ACTIVE)
        )
        return "; ".join(f"{option.label}: {option.chosen}" for option in options)
