"""The texts that organisers enter in German and English (django-modeltranslation: German is
the default and the fallback)."""

from modeltranslation.translator import TranslationOptions, register

from events.models import Organiser


@register(Organiser)
class OrganiserTranslationOptions(TranslationOptions):
    fields = (
        "imprint_extra",
        "privacy_notice",
        "accessibility_limitations",
        "enforcement_body",
    )
