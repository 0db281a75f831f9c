"""Helpers for the browser tests (and docs/screenshots.py): Chromium, axe-core, layout checks."""

import os

# Debian's Chromium, never a downloaded one; the flags keep it off this machine's closed network.
CHROMIUM = os.environ.get("KOKI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
# 200 % browser zoom of a 1280 x 900 window: the page gets half as many CSS pixels, each drawn
# with two device pixels. This is what Chromium's zoom does to layout and media queries.
ZOOM_200 = {"width": 640, "height": 450}


def axe_violations(page) -> list[str]:
    """Run axe-core (shipped by axe-playwright-python) for WCAG 2.0/2.1 A and AA."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_TAGS},
            "resultTypes": ["violations"],
        },
    )
    found = []
    for violation in results.response["violations"]:
        targets = [", ".join(node["target"]) for node in violation["nodes"]]
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0: no sideways scrolling)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
