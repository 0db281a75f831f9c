import pytest

from tests.registrations.admin_helpers import make_organiser


@pytest.fixture
def organiser(db):
    """A staff member of the "Organisers" group."""
    return make_organiser()


@pytest.fixture
def organiser_client(client, organiser):
    client.force_login(organiser)
    return client
