"""The admin in German throughout: Django's own messages that its catalogue lacks, and no English
note under the time fields."""

import pytest
from django.utils import translation

from koki.translation_gaps import DJANGO_GAPS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("message", DJANGO_GAPS)
def test_each_gap_in_djangos_catalogue_reads_german(message):
    with translation.override("de"):
        german = translation.gettext(message)
    with translation.override("en"):
        english = translation.gettext(message)
    assert english == message
    assert german != message


def test_the_actions_bar_and_the_logged_out_page_are_german(organiser_client, room):
    from tests.factories import RegistrationFactory

    RegistrationFactory(room=room)
    listed = organiser_client.get("/admin/registrations/registration/").content.decode()
    run = '<button type="submit" class="button" name="index" value="0">Ausführen</button>'
    assert run in listed
    logged_out = organiser_client.post("/admin/logout/").content.decode()
    assert '<li aria-current="page">Abmelden</li>' in logged_out


def test_the_date_and_time_pickers_speak_german(organiser_client):
    """German strings that Django's JavaScript catalogue lacks come from our djangojs.po."""
    catalogue = organiser_client.get("/admin/jsi18n/", headers={"accept-language": "de"})

    text = catalogue.content.decode()
    assert catalogue.status_code == 200
    assert '"Today (%(date)s)": "Heute (%(date)s)"' in text
    assert '"Remove all %s": "Alle %s entfernen"' in text
    assert '"Hinweis: Geben Sie Zeiten in der Zeitzone %(timezone)s ein.' in text
