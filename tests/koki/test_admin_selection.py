"""An admin action posted with a selection that is no key answers with a message, never a 500."""

import pytest
from django.contrib.auth import get_user_model

from events.models import Event
from registrations.models import Registration
from tests.factories import RegistrationFactory

BAD = ["abc", "1\x00", "99999999999999999999999", "", "²"]


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize(
    ("url", "action"),
    [
        ("/admin/registrations/registration/", "cancel_registrations"),
        ("/admin/events/event/", "delete_selected"),
        ("/admin/auth/user/", "delete_selected"),
    ],
)
def test_a_bad_selection_goes_back_with_a_message(admin_client, url, action, value):
    registration = RegistrationFactory()
    response = admin_client.post(
        url, {"action": action, "_selected_action": [str(registration.pk), value]}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain == [(url, 302)]
    assert "Die Auswahl ist ungültig. Bitte wählen Sie erneut aus." in response.content.decode()
    assert Registration.objects.get().status == "confirmed"
    assert Event.objects.count() == 1
    assert get_user_model().objects.count() == 1


def test_a_good_selection_still_runs_the_action(admin_client):
    registration = RegistrationFactory()
    response = admin_client.post(
        "/admin/registrations/registration/",
        {"action": "cancel_registrations", "_selected_action": [str(registration.pk)]},
    )
    assert response.status_code == 200  # the confirmation page of the action
    assert "Die Auswahl ist ungültig" not in response.content.decode()
