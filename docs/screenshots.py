"""Take a desktop and a phone screenshot of the demo event page into docs/.

Usage: `make screenshots` (or `.venv/bin/python docs/screenshots.py`).

The script starts its own development server on 127.0.0.1 (a free port) with a temporary
SQLite database, loads the KoKI demo, drives Debian's Chromium (/usr/bin/chromium, or
$KOKI_CHROMIUM) through Playwright and stops the server again. It never touches db.sqlite3.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT))
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402 (needs ROOT on the path)

SHOTS = [
    # (file name, viewport, device scale factor, mobile)
    ("screenshot-desktop.png", {"width": 1280, "height": 900}, 1, False),
    ("screenshot-phone.png", {"width": 375, "height": 812}, 2, True),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"The server stopped early (exit code {process.returncode}).")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own 127.0.0.1 server)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"The server did not answer at {url} within {seconds} s.")


def main() -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="koki-shots-") as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/shots.sqlite3",
            "DJANGO_DEBUG": "1",
            "DJANGO_TASKS_BACKEND": "immediate",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("REDIS_URL", None)
        manage = [python, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)  # noqa: S603
        subprocess.run(  # noqa: S603 (fixed arguments)
            [*manage, "load_koki_demo"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"{base}/events/koki-abschluss/"
            wait_for(url, server)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    for name, viewport, scale, mobile in SHOTS:
                        context = browser.new_context(
                            viewport=viewport,
                            device_scale_factor=scale,
                            is_mobile=mobile,
                            has_touch=mobile,
                            locale="de-DE",
                            timezone_id="Europe/Berlin",
                        )
                        page = context.new_page()
                        page.goto(url, wait_until="networkidle")
                        target = DOCS / name
                        page.screenshot(path=str(target), full_page=False)
                        context.close()
                        print(f"wrote {target.relative_to(ROOT)}")
                finally:
                    browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
