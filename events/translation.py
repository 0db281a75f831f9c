"""The texts organisers enter, in German and English (django-modeltranslation).

Each field named here gets a column per language (title_de, title_en, …); reading `title`
gives the active language's text, and an empty English text falls back to the German one
(settings.MODELTRANSLATION_FALLBACK_LANGUAGES). Names, addresses and numbers stay one value.
"""

from modeltranslation.translator import TranslationOptions, register

from events.models import (
    AgendaItem,
    Event,
    Organiser,
    Question,
    QuestionChoice,
    Room,
    Speaker,
)


@register(Event)
class EventTranslationOptions(TranslationOptions):
    fields = ("title", "subtitle", "description", "source_note")


@register(AgendaItem)
class AgendaItemTranslationOptions(TranslationOptions):
    fields = ("title", "description")


@register(Room)
class RoomTranslationOptions(TranslationOptions):
    fields = ("name", "topic")


@register(Speaker)
class SpeakerTranslationOptions(TranslationOptions):
    fields = ("role", "affiliation", "bio")


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
