"""The texts of events' models in German and English (django-modeltranslation: each field gets
a _de and an _en column; German is the default and the fallback)."""

from modeltranslation.translator import TranslationOptions, register

from events.models import Question, QuestionChoice


@register(Question)
class QuestionTranslationOptions(TranslationOptions):
    fields = ("label", "help_text")
    required_languages = {"de": ("label",), "en": ("label",)}


@register(QuestionChoice)
class QuestionChoiceTranslationOptions(TranslationOptions):
    fields = ("label",)
    required_languages = ("de", "en")
