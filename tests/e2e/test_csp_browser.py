"""The pages work in a real browser under the Content Security Policy: no violation, styles load."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import AgendaItemFactory, EventFactory, RoomFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def test_public_pages_and_admin_run_without_csp_violations(browser, live_server):
    """`browser`: the session's Chromium from conftest.py (one Playwright per process)."""
    event = EventFactory(slug="tag", title="Abschlusstag")
    room = RoomFactory(event=event, capacity=3)
    AgendaItemFactory(event=event, room=room)
    get_user_model().objects.create_superuser("admin", "admin@example.org", "s3cret-pass")
    public = ["/events/tag/", "/events/tag/register/", "/events/tag/privacy/", "/nowhere/"]
    admin = ["/admin/", "/admin/events/speaker/add/", f"/admin/events/event/{event.pk}/change/"]

    violations, console, header_borders = {}, [], {}
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(RECORD_VIOLATIONS)
        page.on(
            "console",
            lambda message: (
                console.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        for path in public:
            page.goto(live_server.url + path)
            violations[path] = page.evaluate("window.__cspViolations")
            header_borders[path] = page.evaluate(
                "getComputedStyle(document.querySelector('.site-header')).borderBottomWidth"
            )
        page.goto(live_server.url + "/admin/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "s3cret-pass")
        page.click("input[type=submit]")
        page.wait_for_url(live_server.url + "/admin/")
        for path in admin:
            page.goto(live_server.url + path)
            violations[path] = page.evaluate("window.__cspViolations")
        # The admin's JavaScript ran: the prepopulated slug field follows the title.
        page.goto(live_server.url + "/admin/events/event/add/")
        page.locator("#id_title_de").press_sequentially("Neuer Tag")
        slug = page.input_value("#id_slug")
    finally:
        context.close()

    assert violations == {path: [] for path in public + admin}
    assert console == []
    assert header_borders == dict.fromkeys(public, "4px")  # koki.css loaded under the CSP
    assert slug == "neuer-tag"
