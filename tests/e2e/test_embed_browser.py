"""The embeddable programme in a real browser: inside another website's frame, and axe-core.

"Another website" is a tiny page served by `http.server` on a port of its own: an origin other
than the live server's, as a browser counts origins.
"""

import functools
import http.server
import threading

import pytest

from tests.e2e.browser import axe_violations
from tests.factories import future_day

pytestmark = [pytest.mark.e2e, pytest.mark.demo_event(day=future_day(60))]

EMBED_URL = "/events/koki-abschluss/embed/"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # the test server logs nothing
        pass


@pytest.fixture
def other_site(tmp_path, live_server):
    """A website of its own (another port) whose page frames the demo's programme; its origin."""
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Gemeinde</title>'
        '<link rel="icon" href="data:,"></head><body><h1>Unsere Gemeinde</h1><iframe src="'
        f'{live_server.url}{EMBED_URL}" title="Programm" width="800" height="900"></iframe>'
        "</body></html>",
        encoding="utf-8",
    )
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_the_programme_shows_inside_the_frame_of_an_allowed_website(page, demo_event, other_site):
    # The origin of a test server is http: the admin's validation would insist on https.
    demo_event.embed_origins = other_site
    demo_event.save()

    page.goto(other_site + "/")
    frame = page.frame_locator("iframe")

    heading = frame.get_by_role("heading", level=1)
    assert heading.inner_text() == demo_event.title
    items = frame.locator("li.timeline-item")
    assert items.count() == demo_event.agenda_items.count()
    assert items.first.locator("time").first.inner_text() == "10:00"
    assert frame.get_by_text("Plenum").first.is_visible()
    register = frame.get_by_role("link", name="Jetzt anmelden")
    assert register.get_attribute("target") == "_blank"
    assert register.get_attribute("rel") == "noopener"


def test_a_website_that_is_not_allowed_gets_no_programme(
    browser, live_server, demo_event, other_site
):
    """The demo allows another origin only: Chromium refuses to show the frame (and says so on
    the console, which is why this page is not one of the `page` fixture's)."""
    demo_event.embed_origins = "https://www.example.org"
    demo_event.save()
    context = browser.new_context()
    try:
        page = context.new_page()
        refusals = []
        page.on("console", lambda message: refusals.append(message.text))
        page.goto(other_site + "/", wait_until="load")
        frame_url = page.frames[1].url
    finally:
        context.close()

    assert frame_url == "chrome-error://chromewebdata/"  # Chromium's error page, not koki's
    assert any('"frame-ancestors https://www.example.org"' in text for text in refusals), refusals


def test_the_embed_page_passes_axe(page, demo_event):
    page.goto(EMBED_URL)

    assert page.locator("html").get_attribute("lang") == "de"
    assert page.title().endswith(f": {demo_event.title}")  # "Programm: …"
    assert axe_violations(page) == []
