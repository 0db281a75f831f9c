"""The legal pages and the mails in a real browser: the pages axe-clean on desktop and phone,
and each kind of mail rendered at both widths (screenshots in KOKI_MAIL_SCREENSHOTS, if set)."""

import os
from pathlib import Path

import pytest

from events.demo_organiser import demo_organiser
from tests.e2e.browser import DESKTOP, PHONE, axe_violations, horizontal_overflow
from tests.factories import future_day
from tests.registrations.mail_samples import html_of, samples

pytestmark = [pytest.mark.e2e, pytest.mark.demo_event(day=future_day(60))]

LEGAL_PAGES = {
    "/impressum/colab/": "Impressum",
    "/datenschutz/colab/": "Datenschutzhinweise",
    "/barrierefreiheit/colab/": "Erklärung zur Barrierefreiheit",
    "/impressum/": "Impressum",
    "/events/koki-abschluss/privacy/": "Datenschutzhinweise",
}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_legal_pages_are_accessible(new_page, demo_event, viewport):
    demo_organiser()
    page = new_page(viewport=viewport)

    for path, heading in LEGAL_PAGES.items():
        page.goto(path)
        assert page.get_by_role("heading", level=1).inner_text() == heading, path
        footer = page.get_by_role("navigation", name="Rechtliche Angaben")
        assert footer.get_by_role("link").all_inner_texts() == [
            "Impressum",
            "Datenschutz",
            "Barrierefreiheit",
            "Kontakt",
        ], path
        assert axe_violations(page) == [], path
        assert horizontal_overflow(page) == 0, path


def test_the_footer_leads_to_the_accessibility_statement_by_keyboard(page, demo_event):
    page.goto("/events/koki-abschluss/")
    link = page.get_by_role("navigation", name="Rechtliche Angaben").get_by_role(
        "link", name="Barrierefreiheit"
    )
    link.focus()
    page.keyboard.press("Enter")

    page.wait_for_url("**/barrierefreiheit/colab/")
    assert page.get_by_role("heading", name="Feedback und Kontakt").is_visible()
    assert page.get_by_role("link", name="barrierefreiheit@example.org").is_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_every_mail_renders_in_the_browser(browser, demo_event, viewport):
    folder = os.environ.get("KOKI_MAIL_SCREENSHOTS")
    context = browser.new_context(viewport=viewport, java_script_enabled=False)
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    with_button = set()
    try:
        mails = samples(demo_event)
        for kind, (message, _registration) in mails.items():
            page.set_content(html_of(message))
            title = page.locator("h1.event-title")
            assert title.inner_text() == demo_event.title, kind
            # The content fits the phone's width, and the button is large enough to tap.
            assert horizontal_overflow(page) == 0, kind
            button = page.locator("a.button-link").first
            if button.count():
                with_button.add(kind)
                box = button.bounding_box()
                assert box["height"] >= 44, kind
                assert box["width"] >= 44, kind
            if folder:
                Path(folder).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{folder}/{kind}-{viewport['width']}.png", full_page=True)
        assert [url for url in requests if not url.startswith("about:")] == []
        # Every mail has its button (the size check above is never skipped).
        assert with_button == set(mails)
    finally:
        context.close()
