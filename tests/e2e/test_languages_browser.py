"""Every public page in both languages in a real browser: axe-core finds nothing, the content is
in the page's language, and the switcher leads to the same page in the other language."""

import pytest

from tests.e2e.browser import axe_violations
from tests.factories import RegistrationFactory, future_day

pytestmark = [pytest.mark.e2e, pytest.mark.demo_event(day=future_day(60))]

SLUG = "koki-abschluss"


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_public_page_passes_axe_in_both_languages(page, demo_event, language):
    token = RegistrationFactory(room=demo_event.rooms.get(number=1)).token
    prefix = "/en" if language == "en" else ""
    paths = [
        f"/events/{SLUG}/",
        f"/events/{SLUG}/register/",
        f"/events/{SLUG}/register/done/",
        f"/events/{SLUG}/resend/",
        f"/events/{SLUG}/privacy/",
        f"/events/{SLUG}/embed/",
        f"/r/{token}/",
        f"/r/{token}/cancel/",
    ]
    for path in paths:
        page.goto(prefix + path)
        assert page.locator("html").get_attribute("lang") == language, path
        assert axe_violations(page) == [], path


def test_english_event_page_shows_the_english_programme(page, demo_event):
    page.goto(f"/en/events/{SLUG}/")

    assert page.get_by_role("heading", level=1).inner_text() == (
        "Closing event of the initiative “#KoKI – Künstliche Intelligenz in Kommunen”"
    )
    assert page.get_by_text("Room 1: Education & Learning").first.is_visible()
    assert page.get_by_text("10:00", exact=False).first.is_visible()

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Deutsch").click()
    page.wait_for_load_state()

    assert page.url.endswith(f"/events/{SLUG}/")
    assert "/en/" not in page.url
    assert page.get_by_role("heading", level=1).inner_text().startswith("Abschlussveranstaltung")
