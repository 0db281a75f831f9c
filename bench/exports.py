"""Timing of the programme exports (PDF, iCalendar) against the same server's hello world.

    .venv/bin/python bench/exports.py [--port 8101] [--duration 10] [--workers 4]

Uses DATABASE_URL and REDIS_URL from the environment (defaults: PostgreSQL database `exports`,
Redis db 1), migrates, loads the KoKI demo and a synthetic event with 200 agenda items and
50 speakers, starts gunicorn on 127.0.0.1 with KOKI_BENCH_HELLO=1 and DEBUG off, and prints:

- cold PDF render: before each request the event is marked as changed (as an edit in the admin
  does), so no cache layer can answer; the time of the HTTP request (median and best of
  --repeat), plus the very first PDF after the server started (fonts not loaded yet);
- the CPU seconds of one render in this process (independent of other load on the machine);
- cached PDF and iCal throughput (wrk), each as a ratio to /bench/hello/ on the same server,
  measured right before and after it.

Targets on the 2-core machine: cold demo PDF < 1.5 s, 200-item PDF < 6 s, cached >= 50 %.
Never part of the test run.
"""

import argparse
import datetime as dt
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/exports")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koki.settings")

SYNTHETIC_SLUG = "bench-200"
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_koki_demo", verbosity=0)
    synthetic_event_load()
    from django.db import connection

    if connection.vendor == "postgresql":
        # Fresh bulk inserts have no planner statistics yet (production has autovacuum).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def synthetic_event_load():
    """An event with 200 agenda items, 50 speakers and 8 rooms (idempotent)."""
    from events.models import AgendaItem, AgendaItemSpeaker, Event, Room, Speaker

    if Event.objects.filter(slug=SYNTHETIC_SLUG).exists():
        return
    day = dt.date.today() + dt.timedelta(days=60)
    start = dt.datetime.combine(day, dt.time(8, 0), tzinfo=BERLIN)
    event = Event.objects.create(
        slug=SYNTHETIC_SLUG,
        title="Benchmark: ein langer Konferenztag mit 200 Programmpunkten",
        subtitle="Synthetische Daten für bench/exports.py",
        description="Synthetisch.\n\n" + "Ein Absatz Beschreibung. " * 40,
        organiser="Co:Lab e.V.",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=12),
        is_published=True,
    )
    rooms = Room.objects.bulk_create(
        Room(
            event=event,
            number=number,
            name=f"Themenraum {number}",
            topic=f"Ein Thema für Raum {number}, mit etwas Beschreibung dazu.",
            capacity=40,
            moderators=f"Moderation {number}a, Moderation {number}b",
        )
        for number in range(1, 9)
    )
    speakers = Speaker.objects.bulk_create(
        Speaker(
            name=f"Bench Sprecherin {number}",
            role="Forschung und Verwaltung",
            affiliation=f"Institut {number}",
            bio="Kurzbiografie mit einigen Sätzen zu Werdegang und Schwerpunkten. " * 3,
        )
        for number in range(1, 51)
    )
    kinds = [kind for kind, _label in AgendaItem.Kind.choices]
    items = AgendaItem.objects.bulk_create(
        AgendaItem(
            event=event,
            starts_at=start + dt.timedelta(minutes=3 * index),
            ends_at=start + dt.timedelta(minutes=3 * index + 30),
            title=f"Programmpunkt {index + 1}: Künstliche Intelligenz in der Kommune, Teil {index}",
            description="Worum es geht, in zwei Sätzen. Und was man mitnimmt.",
            kind=kinds[index % len(kinds)],
            room=rooms[index % 8] if index % 3 else None,
        )
        for index in range(200)
    )
    AgendaItemSpeaker.objects.bulk_create(
        AgendaItemSpeaker(agenda_item=item, speaker=speakers[(index + offset) % 50], order=offset)
        for index, item in enumerate(items)
        for offset in range(1 + index % 2)
    )


def start_server(
    port: int, workers: int, static_root: str, version_seconds: float
) -> subprocess.Popen:
    env = {
        **os.environ,
        "KOKI_EXPORT_VERSION_SECONDS": str(version_seconds),
        "KOKI_BENCH_HELLO": "1",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_STATIC_ROOT": static_root,
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    gunicorn = str(Path(python).with_name("gunicorn"))
    command = [gunicorn, "koki.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    server = subprocess.Popen(
        [*command, "--log-level", "warning"], cwd=ROOT, env=env, start_new_session=True
    )
    for _attempt in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/hello/", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not answer on /bench/hello/")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def mark_changed(slug: str) -> None:
    from django.utils import timezone

    from events.models import Event

    Event.objects.filter(slug=slug).update(updated_at=timezone.now())


def render_cpu_seconds(slug: str) -> float:
    """CPU time of one PDF render in this process (after a warm-up render)."""
    from events.exports import pdf
    from events.models import Event
    from events.selectors import programme_for

    programme = programme_for(event=Event.objects.get(slug=slug), with_occupancy=False)
    pdf.programme_pdf(programme=programme, language="de")
    started = time.process_time()
    pdf.programme_pdf(programme=programme, language="de")
    return time.process_time() - started


def fetch_seconds(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
        assert response.status == 200, (url, response.status)
    return time.perf_counter() - started, len(body)


def throughput(url: str, duration: int, connections: int) -> float:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"wrk saw errors for {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def bracketed(url: str, hello_url: str, options) -> tuple[float, float]:
    """Throughput of `url` and its ratio to hello world measured just before and just after
    (the machine's load drifts; a ratio to a distant measurement would mostly show that)."""
    before = throughput(hello_url, options.duration, options.connections)
    rate = throughput(url, options.duration, options.connections)
    after = throughput(hello_url, options.duration, options.connections)
    return rate, rate / ((before + after) / 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5, help="cold renders per event")
    parser.add_argument(
        "--version-seconds",
        type=float,
        default=2,
        help="KOKI_EXPORT_VERSION_SECONDS for the server (0: one version query per request)",
    )
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt install wrk).")

    setup_django()
    from django.core.cache import cache

    cache.clear()
    base = f"http://127.0.0.1:{options.port}"
    static_root = tempfile.mkdtemp(prefix="koki-bench-static-")
    server = start_server(options.port, options.workers, static_root, options.version_seconds)
    rows = []
    try:
        first_seconds, _size = fetch_seconds(f"{base}/events/koki-abschluss/programme.pdf")
        hello_url = f"{base}/bench/hello/"
        hello = throughput(hello_url, options.duration, options.connections)
        for slug in ("koki-abschluss", SYNTHETIC_SLUG):
            pdf_url = f"{base}/events/{slug}/programme.pdf"
            ics_url = f"{base}/events/{slug}/programme.ics"
            colds = []
            for _round in range(options.repeat):
                mark_changed(slug)
                time.sleep(options.version_seconds + 0.2)  # until the workers' memo expires
                seconds, size = fetch_seconds(pdf_url)
                colds.append(seconds)
            fetch_seconds(ics_url)
            pdf_rps, pdf_ratio = bracketed(pdf_url, hello_url, options)
            ics_rps, ics_ratio = bracketed(ics_url, hello_url, options)
            rows.append(
                (
                    slug,
                    colds,
                    render_cpu_seconds(slug),
                    size,
                    pdf_rps,
                    pdf_ratio,
                    ics_rps,
                    ics_ratio,
                )
            )
    finally:
        stop_server(server)
        shutil.rmtree(static_root, ignore_errors=True)

    print()
    print(
        f"gunicorn {options.workers} workers, wrk -t2 -c{options.connections} "
        f"-d{options.duration}s, {os.cpu_count()} CPUs, DEBUG off, Redis cache"
    )
    print(f"first PDF after server start (fonts loaded): {first_seconds:.2f} s")
    print(f"hello world: {hello:,.0f} req/s (ratios use hello runs right before and after each)")
    print()
    header = (
        f"{'event':<16} {'cold PDF median':>15} {'best':>7} {'CPU':>7} {'PDF size':>9} "
        f"{'cached PDF req/s':>17} {'ratio':>6} {'cached iCal req/s':>18} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for slug, colds, cpu, size, pdf_rps, pdf_ratio, ics_rps, ics_ratio in rows:
        print(
            f"{slug:<16} {statistics.median(colds):>13.2f} s {min(colds):>5.2f} s "
            f"{cpu:>5.2f} s {size / 1024:>6.0f} KB {pdf_rps:>17,.0f} {pdf_ratio:>6.0%} "
            f"{ics_rps:>18,.0f} {ics_ratio:>6.0%}"
        )
    print()
    print("targets: cold demo PDF < 1.5 s, 200-item PDF < 6 s, cached >= 50 % of hello world")


if __name__ == "__main__":
    main()
