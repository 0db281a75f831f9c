"""Screenshots of every public page and state, at 1280 px and at 375 px, into docs/.

Usage: `make screenshots` (or `.venv/bin/python docs/screenshots.py`).

- docs/screenshot-desktop.png and docs/screenshot-phone.png: the demo event page as it first
  appears (the README shows them).
- docs/screenshots/<page>-1280.png and <page>-375.png: each page and state, whole.

The script starts its own development server on 127.0.0.1 (a free port) with a temporary
SQLite database and DEBUG off (koki's own error pages), loads the KoKI demo and adds
registrations for the states worth seeing (a full room with a waiting list, a room whose waiting
list is full too, a person in each status), drives Debian's Chromium (/usr/bin/chromium, or
$KOKI_CHROMIUM) through Playwright and stops the server again. It never touches db.sqlite3.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SHOTS = DOCS / "screenshots"
sys.path.insert(0, str(ROOT))
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402 (needs ROOT on the path)

DEMO = "/events/koki-abschluss/"
VIEWPORTS = {
    # name: (viewport, device scale factor, mobile)
    "1280": ({"width": 1280, "height": 900}, 1, False),
    "375": ({"width": 375, "height": 812}, 2, True),
}
README_SHOTS = {"1280": "screenshot-desktop.png", "375": "screenshot-phone.png"}


def make_states() -> dict:
    """In the server's database: the registrations behind the states (run with --states)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koki.settings")
    django.setup()
    import datetime as dt

    from django.utils import timezone

    from events.models import Event, Room
    from registrations import services
    from registrations.models import Registration
    from tests.factories import EventFactory, RegistrationFactory

    event = Event.objects.get(slug="koki-abschluss")
    rooms = {room.number: room for room in event.rooms.all()}

    def fill(room, count: int, status=Registration.Status.CONFIRMED) -> None:
        since = timezone.now() if status == Registration.Status.WAITING else None
        RegistrationFactory.create_batch(count, room=room, status=status, waiting_since=since)

    fill(rooms[1], 37)  # three seats left
    fill(rooms[2], 12)
    fill(rooms[3], 40)  # full, two people on its waiting list
    fill(rooms[3], 2, Registration.Status.WAITING)
    Room.objects.filter(pk=rooms[6].pk).update(waiting_list_size=3)
    fill(rooms[6], 40)  # full, and its waiting list is full too
    fill(rooms[6], 3, Registration.Status.WAITING)

    def person(first_name: str, room: Room, **kwargs) -> Registration:
        return services.registration_create(
            event=event,
            room=rooms[room] if isinstance(room, int) else room,
            first_name=first_name,
            last_name="Beispiel",
            email=f"{first_name.lower()}.beispiel@example.org",
            organisation="Stadt Musterstadt",
            consent=True,
            **kwargs,
        )

    pending = person("Erika", 2)
    confirmed = services.registration_confirm(registration=person("Max", 4))
    waiting = services.registration_confirm(registration=person("Lea", 3, join_waitlist=True))
    cancelled = services.registration_cancel(registration=person("Tom", 5))
    EventFactory(title="Auftakt „Nachhaltig Digital – Digital Nachhaltig“", slug="auftakt-nd")
    tokens = {"pending": pending, "confirmed": confirmed, "waiting": waiting}
    tokens["cancelled"] = cancelled
    # Registrations over four weeks, for the dashboard's chart.
    now = timezone.now()
    people = list(Registration.objects.filter(event=event).order_by("pk"))
    for index, registration in enumerate(people):
        registration.created_at = now - dt.timedelta(days=27 - (index * 28) // len(people))
    Registration.objects.bulk_update(people, ["created_at"])
    return {
        "tokens": {name: registration.token for name, registration in tokens.items()},
        "event": event.pk,
    }


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


@contextlib.contextmanager
def demo_server() -> Iterator[tuple[str, dict]]:
    """A development server with the demo and the states: (its address, the states' tokens)."""
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="koki-shots-") as tmp:
        # As in production (DEBUG off: koki's own error pages), but over plain HTTP on
        # 127.0.0.1, with the static files collected into the temporary folder.
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/shots.sqlite3",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "screenshots-only-" + os.urandom(16).hex(),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_SECURE_HSTS_SECONDS": "0",
            "DJANGO_STATIC_ROOT": f"{tmp}/static",
            "DJANGO_TASKS_BACKEND": "immediate",
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "KOKI_RATELIMIT_HOLDS": "100",
            "KOKI_RATELIMIT_HOLDS_MAX": "200",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("REDIS_URL", None)
        manage = [python, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)  # noqa: S603
        subprocess.run(  # noqa: S603 (fixed arguments)
            [*manage, "collectstatic", "--no-input", "-v", "0"], env=env, check=True
        )
        for command in ("load_koki_demo", "ensure_demo_organiser"):
            subprocess.run(  # noqa: S603 (fixed arguments)
                [*manage, command],
                env={**env, "DJANGO_DEBUG": "1"},
                check=True,
                stdout=subprocess.DEVNULL,
            )
        states = subprocess.run(  # noqa: S603 (fixed arguments)
            [python, __file__, "--states"], env=env, check=True, capture_output=True, text=True
        )
        tokens = json.loads(states.stdout.strip().splitlines()[-1])
        port = free_port()
        server = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(base + DEMO, server)
            yield base, tokens
        finally:
            server.terminate()
            server.wait(timeout=10)


def register(page, *, first_name: str) -> None:
    """Fill in the form and send it (a free room)."""
    page.goto(DEMO + "register/")
    page.get_by_label("Vorname").fill(first_name)
    page.get_by_label("Nachname").fill("Beispiel")
    page.get_by_label("E-Mail-Adresse").fill(f"{first_name.lower()}@example.org")
    page.locator("input[name=room][value]").nth(1).check()
    page.locator("input[name=consent]").check()
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()


def pages(states: dict) -> list[tuple[str, Callable]]:
    """(name, how to get there) of every public page and state."""
    tokens = states["tokens"]

    def go(path: str) -> Callable:
        return lambda page, width: page.goto(path)

    def form_with_errors(page, width):
        page.goto(DEMO + "register/")
        page.locator("form button[type=submit]").click()
        page.wait_for_load_state()

    def form_full_room(page, width):
        page.goto(DEMO + "register/")
        page.locator("input[name=room]").nth(2).check()  # room 3: full, its waiting list open

    def thank_you(page, width):
        register(page, first_name=f"Nora{width}")

    personal = {name: f"/r/{token}/" for name, token in tokens.items()}
    return [
        ("event", go(DEMO)),
        ("start", go("/")),
        ("register", go(DEMO + "register/")),
        ("register-errors", form_with_errors),
        ("register-full-room", form_full_room),
        ("thank-you", thank_you),
        ("confirm", go(personal["pending"] + "confirm/")),
        ("personal-pending", go(personal["pending"])),
        ("personal-confirmed", go(personal["confirmed"])),
        ("personal-waiting", go(personal["waiting"])),
        ("personal-cancelled", go(personal["cancelled"])),
        ("cancel", go(personal["confirmed"] + "cancel/")),
        ("delete", go(personal["confirmed"] + "delete/")),
        ("join-waiting", go(personal["confirmed"] + "join/plenary/")),
        ("resend", go(DEMO + "resend/")),
        ("privacy", go(DEMO + "privacy/")),
        ("imprint", go("/impressum/")),
        ("accessibility", go("/barrierefreiheit/")),
        ("event-en", go("/en" + DEMO)),
        ("register-en", go("/en" + DEMO + "register/")),
        ("not-found", go("/events/gibt-es-nicht/")),
    ]


def admin_pages(states: dict) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, address, widths) of the organisers' pages, as the demo organiser sees them."""
    return [
        ("admin-dashboard", "/admin/", ("1280", "375")),
        ("admin-registrations", "/admin/registrations/registration/", ("1280",)),
        ("admin-event", f"/admin/events/event/{states['event']}/change/", ("1280",)),
        ("admin-occupancy", "/admin/registrations/registration/occupancy/", ("1280", "375")),
        ("admin-questions", "/admin/events/question/", ("1280",)),
    ]


def log_in(page) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Benutzername").fill("organiser")
    page.get_by_label("Passwort").fill("koki-demo-organiser")
    page.locator("input[type=submit]").click()
    page.wait_for_load_state()


def shrink(path: Path) -> None:
    """The screenshot in 256 colours (a third of the size; text stays sharp)."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE)
    small.save(path, optimize=True)


def main() -> None:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with demo_server() as (base, states), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width, (viewport, scale, mobile) in VIEWPORTS.items():
                context = browser.new_context(
                    base_url=base,
                    viewport=viewport,
                    device_scale_factor=scale,
                    is_mobile=mobile,
                    has_touch=mobile,
                    locale="de-DE",
                    timezone_id="Europe/Berlin",
                )
                page = context.new_page()
                page.goto(DEMO, wait_until="networkidle")
                page.screenshot(path=str(DOCS / README_SHOTS[width]))
                print(f"wrote docs/{README_SHOTS[width]}")
                shots = [(name, how) for name, how in pages(states)]
                shots.append(("", lambda page, width: log_in(page)))
                shots += [
                    (name, lambda page, width, path=path: page.goto(path))
                    for name, path, widths in admin_pages(states)
                    if width in widths
                ]
                for name, how in shots:
                    how(page, width)
                    page.wait_for_load_state("networkidle")
                    if not name:
                        continue
                    target = SHOTS / f"{name}-{width}.png"
                    # Whole pages at 1x and in 256 colours: small enough to commit.
                    page.screenshot(path=str(target), full_page=True, scale="css")
                    shrink(target)
                    print(f"wrote {target.relative_to(ROOT)}")
                context.close()
        finally:
            browser.close()


if __name__ == "__main__":
    if sys.argv[1:] == ["--states"]:
        print(json.dumps(make_states()))
    else:
        main()
