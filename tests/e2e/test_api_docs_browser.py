"""The API's docs page (/api/docs) in a real browser: Swagger UI from our own static files runs
under the site's Content Security Policy."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def test_swagger_ui_lists_every_endpoint_without_csp_violations(page, live_server):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.add_init_script(RECORD_VIOLATIONS)

    page.goto("/api/docs")
    operations = page.locator(".opblock-summary-path")
    operations.first.wait_for()

    paths = ["/api/events", "/api/events/{slug}", "/api/events/{slug}/rooms"]
    paths.append("/api/events/{slug}/speakers")
    assert sorted(operations.all_inner_texts()) == sorted(paths * 2)  # GET and HEAD each
    assert page.evaluate("window.__cspViolations") == []
    assert all(url.startswith(live_server.url) for url in requests), requests
