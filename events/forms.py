from django import forms
from django.core.files.uploadedfile import UploadedFile

from events.models import Speaker
from events.services import speaker_photo_clean


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
