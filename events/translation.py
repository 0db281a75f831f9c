"""The event's texts in German and English (django-modeltranslation).

Each field named here gets a column per language (title_de, title_en, …); reading `title`
gives the active language's text, and an empty English text falls back to the German one
(settings.MODELTRANSLATION_FALLBACK_LANGUAGES). Names, addresses and numbers stay one value.
"""

from modeltranslation.translator import TranslationOptions, register

from events.models import AgendaItem, Event, Room, Speaker


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
