"""Real-browser tests: Debian's Chromium driven by Playwright's sync API against `live_server`.

Never run `playwright install`: the browser is /usr/bin/chromium (apt), or $KOKI_CHROMIUM.
Without it the tests are skipped on a developer's machine and FAIL in CI (CI=true).
"""

import os
from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP

# Serve on 127.0.0.1 only (not "localhost", which may resolve to ::1 first).
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the browser tests (each module is marked `e2e`) last, after pytest-django's ordering.

    Running last matters: the `browser` fixture sets DJANGO_ALLOW_ASYNC_UNSAFE for the rest of
    the session, and no other test (say, one that runs `check --deploy` in a subprocess with
    this environment) should see it.
    """
    here = Path(__file__).parent
    browser_tests = [item for item in items if here in Path(item.fspath).parents]
    others = [item for item in items if here not in Path(item.fspath).parents]
    items[:] = others + browser_tests


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's server, started only after the test database exists.

    Session fixtures are set up before function ones, so without this the server starts while
    settings still name the development database: on SQLite it then misses the in-memory test
    database's shared connection and leaks one connection per request thread.
    """
    return live_server


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)."
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + " CI needs the browser tests to run.")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django's ORM calls from
    # test code would then raise SynchronousOnlyOperation (pytest-django documents this switch).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PageProblems:
    """Console errors (CSP refusals, failed scripts) and failed requests seen by a page."""

    def __init__(self):
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.http_errors: list[str] = []

    def attach(self, page):
        page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on(
            "response",
            lambda response: (
                self.http_errors.append(f"{response.status} {response.url}")
                if response.status >= 400
                else None
            ),
        )


@pytest.fixture
def new_page(browser, live_server):
    """Factory for pages in fresh browser contexts (German, Europe/Berlin by default).

    Each page fails its test on a console error (a CSP refusal, a script error) and on any
    response >= 400; pages that open an error page on purpose pass `expect_http_errors=True`.
    """
    contexts = []
    checks = []

    def make(*, viewport=DESKTOP, scale=1, locale="de-DE", expect_http_errors=False, **kwargs):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport,
            device_scale_factor=scale,
            locale=locale,
            timezone_id="Europe/Berlin",
            accept_downloads=True,
            **kwargs,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        problems = PageProblems()
        problems.attach(page)
        checks.append((problems, expect_http_errors))
        return page

    yield make
    for context in contexts:
        context.close()
    for problems, expect_http_errors in checks:
        errors = [
            text
            for text in problems.console_errors
            if not (expect_http_errors and "Failed to load resource" in text)
        ]
        assert errors == [], f"console errors: {errors}; HTTP errors: {problems.http_errors}"
        if not expect_http_errors:
            assert problems.http_errors == []
        assert problems.page_errors == [], f"page errors: {problems.page_errors}"


@pytest.fixture
def page(new_page):
    return new_page()
