from django import forms
from django.core.files.uploadedfile import UploadedFile

from events.models import Event, Speaker
from events.services import speaker_photo_clean
from events.theme import logo_clean


class SpeakerAdminForm(forms.ModelForm):
    """The admin's speaker form: an uploaded photo is checked and re-encoded before it is stored."""

    class Meta:
        model = Speaker
        fields = ["name", "role", "affiliation", "bio", "photo"]

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if isinstance(photo, UploadedFile):
            return speaker_photo_clean(upload=photo)
        return photo


class EventAdminForm(forms.ModelForm):
    """The admin's event form: an uploaded logo is checked and re-encoded before it is stored."""

    class Meta:
        model = Event
        fields = ["logo"]  # the admin passes the fieldsets' fields

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if isinstance(logo, UploadedFile):
            return logo_clean(logo)
        return logo
