"""Fixtures for the programme exports (PDF and calendars)."""

import logging
import shutil

import pytest


class _Renders(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.INFO)
        self.seen: list[tuple[str, str]] = []

    def emit(self, record):
        if record.msg.startswith("Rendered "):
            self.seen.append((record.args[0], record.args[1]))


@pytest.fixture
def renders():
    """Every real render of an export (never a cache hit), as (kind, ETag) in order: the log
    line events/exports/views.py writes for each."""
    handler, logger = _Renders(), logging.getLogger("events.exports.views")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler.seen
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def poppler():
    if not shutil.which("pdftotext"):
        pytest.fail("poppler-utils (pdftotext) is missing; .ci/run installs it.")
