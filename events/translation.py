"""The texts that organisers enter in German and English (django-modeltranslation: each field
gets a _de and an _en column; German is the default and the fallback)."""

from modeltranslation.translator import TranslationOptions, register

from events.models import Organiser, Question, QuestionChoice


@register(Organiser)
class OrganiserTranslationOptions(TranslationOptions):
    fields = (
        "imprint_extra",
        "privacy_notice",
        "accessibility_limitations",
        "enforcement_body",
    )


@register(Question)
class QuestionTranslationOptions(TranslationOptions):
    fields = ("label", "help_text")
    required_languages = {"de": ("label",), "en": ("label",)}


@register(QuestionChoice)
class QuestionChoiceTranslationOptions(TranslationOptions):
    fields = ("label",)
    required_languages = ("de", "en")
