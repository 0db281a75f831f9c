"""`make bench`: koki's production stack under load on this machine, measured in one table.

A fresh PostgreSQL database `koki_bench` and Redis db 5; `migrate`, `collectstatic` and
`load_koki_demo` (every room: 20 seats, 200 waiting-list places); gunicorn as deployed
(gunicorn.conf.py, 2 × cores + 1 workers) on 127.0.0.1:8105 with DEBUG off, the Redis cache,
mails queued in the database and the rate limits off (every bench request comes from one
address). Then:

1. pages: wrk against the event page, programme.ics, the cached programme.pdf and
   schedule.xml, and the API's event, each in one-second slices alternating with /bench/hello/
   (the cheapest view through the whole middleware stack: the ceiling), so that both see the
   machine in the same state;
2. the registration rush (bench/rush.py), then the audit of the database (bench/audit.py);
3. the mail queue: one `manage.py koki_worker` sends every mail the rush queued.

Everything started here is stopped at the end, also after an error or Ctrl+C. Exit status 1
when a request failed, the server logged an error, the audit found a fault or mails were left;
a missed speed target only shows as ✗.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import django
import gunicorn
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]
DATABASE = "koki_bench"
REDIS_URL = "redis://127.0.0.1:6379/5"
BASE_URL = "http://127.0.0.1:8105"
SLUG = "koki-abschluss"
WORKERS = 2 * (os.cpu_count() or 1) + 1
WRK_CONNECTIONS, SLICES = 16, 6
PAGES = [
    ("event page", f"/events/{SLUG}/"),
    ("programme.ics", f"/events/{SLUG}/programme.ics"),
    ("programme.pdf (cached)", f"/events/{SLUG}/programme.pdf"),
    ("schedule.xml (cached)", f"/events/{SLUG}/schedule.xml"),
    ("API: event (cached)", f"/api/events/{SLUG}"),
]
ATTENDEES, CONCURRENCY, RUSH_SECONDS = 2000, 32, 60
CAPACITY, WAITING_LIST = 20, 200
TARGET_RATIO, TARGET_RATE, TARGET_P99 = 0.5, 100, 0.5
RATE_LIMITS = ("REGISTER", "RESEND", "RESEND_ADDRESS", "LOGIN", "API", "HOLDS", "HOLDS_MAX")
TICKS = os.sysconf("SC_CLK_TCK")
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def environment(tmp: Path, database: str, redis_url: str, base_url: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "koki.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # throwaway, new on every run
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": redis_url,
        "DJANGO_TASKS_BACKEND": "database",
        # The worker "sends" to Django's in-memory backend: nothing leaves the machine.
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        # Plain http on loopback: no redirect to HTTPS, no Secure-only cookies.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "KOKI_SITE_URL": base_url,
        "KOKI_BENCH_HELLO": "1",
        **{f"KOKI_RATELIMIT_{name}": "off" for name in RATE_LIMITS},
    }


def log(message: str) -> None:
    stamp = time.strftime("%H:%M:%S", time.gmtime())
    print(f"[bench {stamp}] {message}", file=sys.stderr, flush=True)


# --- the stack ---------------------------------------------------------------------------------
def reset_database(*, create: bool, database: str = DATABASE, redis_url: str = REDIS_URL) -> str:
    """Drops the bench database (and creates it afresh), empties the bench's Redis db."""
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as pg:
        pg.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        if create:
            pg.execute(f"CREATE DATABASE {database}")
        version = pg.execute("SHOW server_version").fetchone()[0]
    redis.Redis.from_url(redis_url).flushdb()
    return version


@contextlib.contextmanager
def stack(*, database: str = DATABASE, redis_url: str = REDIS_URL, base_url: str = BASE_URL):
    """This process set up as the bench's (the shell's DJANGO_* and KOKI_* dropped), a fresh
    database and an empty Redis db, django.setup(); yields a temporary folder and PostgreSQL's
    version. On leaving, also after an error, Ctrl+C or SIGTERM: the database is dropped, the
    Redis db emptied, the folder removed."""
    for key in [key for key in os.environ if key.startswith(("DJANGO_", "KOKI_"))]:
        del os.environ[key]
    tmp = Path(tempfile.mkdtemp(prefix="koki-bench-"))
    os.environ.update(environment(tmp, database, redis_url, base_url))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the cleanup below runs then too
    try:
        log(f"fresh database {database}, Redis {redis_url}; migrate, collectstatic, demo event")
        postgres = reset_database(create=True, database=database, redis_url=redis_url)
        django.setup()
        yield tmp, postgres
    finally:
        from django.db import connections

        connections.close_all()
        reset_database(create=False, database=database, redis_url=redis_url)
        shutil.rmtree(tmp, ignore_errors=True)


def prepare(capacity: int = CAPACITY, waiting_list: int = WAITING_LIST) -> None:
    """The deployment steps, in this process: migrate, collectstatic; then the demo event, its
    rooms with `capacity` seats and `waiting_list` waiting-list places each."""
    import audit
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    call_command("migrate", interactive=False, verbosity=0)
    # Hashed names and the manifest as in production, without WhiteNoise's gzip/Brotli copies:
    # they cost a minute of CPU, and the bench never fetches a static file.
    manifest = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": manifest}):
        call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_koki_demo", stdout=io.StringIO())
    audit.set_capacities(SLUG, capacity, waiting_list)


@contextlib.contextmanager
def serve(error_log: Path, base_url: str = BASE_URL):
    """The one server: gunicorn as deployed (no access log: it would record the personal
    links), in its own process group, stopped on leaving the block."""
    command = [str(Path(sys.executable).with_name("gunicorn")), "koki.wsgi"]
    command += ["--bind", base_url.removeprefix("http://"), "--workers", str(WORKERS)]
    command += ["--error-logfile", str(error_log), "--capture-output", "--no-control-socket"]
    log(f"start: gunicorn {' '.join(command[1:])}")
    server = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise SystemExit(f"bench: gunicorn exited:\n{error_log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(base_url + "/bench/hello/", timeout=2):
                    break
            except urllib.error.HTTPError:
                raise
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("bench: gunicorn did not answer within a minute")
        yield server
    finally:
        server.terminate()  # graceful: the master stops its workers
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def cpu_seconds(server: subprocess.Popen, database: str = DATABASE) -> dict[tuple[str, str], float]:
    """CPU seconds so far of each gunicorn worker ("app") and each PostgreSQL backend of the
    bench database ("db"): the server side's cost, which other load on the machine disturbs far
    less than requests per second."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        backends = [str(pid) for (pid,) in cursor.fetchall()]
    workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    seconds = {}
    for kind, pids in (("app", workers), ("db", backends)):
        for pid in pids:
            with contextlib.suppress(OSError):  # ended meanwhile
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                seconds[kind, pid] = (int(stat[11]) + int(stat[12])) / TICKS
    return seconds


def cpu_per(before: dict, after: dict, count: int) -> str:
    app, db = (
        sum(value - before.get(key, 0.0) for key, value in after.items() if key[0] == kind)
        for kind in ("app", "db")
    )
    return f"{app * 1000 / count:.1f} + {db * 1000 / count:.1f} ms" if count else ""


# --- measurements ------------------------------------------------------------------------------
def wrk(path: str, seconds: int) -> dict:
    command = ["wrk", "--threads", "1", "--connections", str(WRK_CONNECTIONS)]
    command += ["--duration", f"{seconds}s", "--latency", "--header", "Accept-Language: de-DE"]
    out = subprocess.run([*command, BASE_URL + path], capture_output=True, text=True, check=True)

    def percentile(pct: int) -> float:
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(\w+)", out.stdout, re.M).groups()
        return float(value) * UNITS[unit]

    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)[1]),
        "requests": int(re.search(r"(\d+) requests in", out.stdout)[1]),
        "p50": percentile(50),
        "p99": percentile(99),
        # "Non-2xx or 3xx responses: N" and "Socket errors: connect N, read N, write N, timeout N"
        "errors": sum(
            map(int, re.findall(r"(?:responses:|connect|read|write|timeout) (\d+)", out.stdout))
        ),
    }


def warm(label: str, path: str, problems: list) -> bool:
    """Render the page once (it is cached from then on) and warm every worker with it."""
    try:
        with urllib.request.urlopen(BASE_URL + path, timeout=120) as response:
            response.read()
    except urllib.error.HTTPError as error:
        problems.append(f"{label}: {path} answered {error.code}")
        return False
    wrk(path, seconds=1)
    return True


def slices(server, paths: tuple[str, str]) -> dict[str, dict]:
    """Both URLs under wrk in alternating one-second slices (SLICES each): totals per URL."""
    totals = {
        path: {"requests": 0, "seconds": 0.0, "errors": 0, "cpu": [0.0, 0.0]} for path in paths
    }
    p50s, p99s = {path: [] for path in paths}, {path: [] for path in paths}
    for _slice in range(SLICES):
        for path in paths:
            before = cpu_seconds(server)
            result = wrk(path, seconds=1)
            after = cpu_seconds(server)
            total = totals[path]
            total["requests"] += result["requests"]
            total["seconds"] += result["requests"] / result["rate"] if result["rate"] else 0.0
            total["errors"] += result["errors"]
            for index, kind in enumerate(("app", "db")):
                total["cpu"][index] += sum(
                    value - before.get(key, 0.0) for key, value in after.items() if key[0] == kind
                )
            p50s[path].append(result["p50"])
            p99s[path].append(result["p99"])
    for path, total in totals.items():
        count = max(total["requests"], 1)
        total["rate"] = total["requests"] / total["seconds"] if total["seconds"] else 0.0
        total["p50"], total["p99"] = statistics.median(p50s[path]), statistics.median(p99s[path])
        app, db = total["cpu"]
        total["cpu"] = f"{app * 1000 / count:.1f} + {db * 1000 / count:.1f} ms"
    return totals


def measure_pages(server, rows: list, problems: list) -> None:
    """Each page against the hello world, in alternating one-second slices: the two see the
    machine in the same state, so its ups and downs cancel out of the share of the ceiling."""
    hello = "/bench/hello/"
    if not warm("hello world", hello, problems):
        return
    for label, path in PAGES:
        if not warm(label, path, problems):
            rows.append(row(label, "failed (see below)", met=False))
            continue
        log(f"wrk {label}: {path} and hello world, {SLICES} one-second slices each")
        totals = slices(server, (hello, path))
        page, ceiling = totals[path], totals[hello]
        ratio = page["rate"] / ceiling["rate"]
        if page["errors"]:
            problems.append(f"{label}: {page['errors']} of {page['requests']} requests failed")
        rows.append(
            row(label, f"{page['rate']:,.0f} req/s ({page['requests']:,} requests; hello world "
                f"beside it: {ceiling['rate']:,.0f} req/s, {ceiling['cpu']} per request)",
                page["p50"], page["p99"], f"{ratio:.0%}", page["cpu"], f"≥ {TARGET_RATIO:.0%}",
                ratio >= TARGET_RATIO and not page["errors"])
        )  # fmt: skip


def measure_rush(server, error_log: Path, rows: list, problems: list) -> set[str]:
    import rush

    form_url = f"{BASE_URL}/events/{SLUG}/register/"
    log("rush warm-up: the workers show the form and refuse a submission without consent")
    asyncio.run(rush.warm_up(form_url))
    log(f"rush: {ATTENDEES} attendees, {CONCURRENCY} at a time, at most {RUSH_SECONDS} s")
    before = cpu_seconds(server)
    result = asyncio.run(rush.rush(form_url, ATTENDEES, CONCURRENCY, RUSH_SECONDS))
    cpu = cpu_per(before, cpu_seconds(server), result.done) + " per attendee"
    every = [seconds for step in result.latencies.values() for seconds in step]
    submits = result.latencies["submit"]
    rate = len(result.accepted) / result.seconds
    p99, p99_submit = percentile(every, 99), percentile(submits, 99)
    rows.append(
        row("rush: registrations", f"**{rate:,.1f} registrations/s** ({len(result.accepted):,} "
            f"accepted of {result.done:,} attendees in {result.seconds:.1f} s; all requests: "
            f"{len(every) / result.seconds:,.0f}/s)", percentile(every, 50), p99, cpu=cpu,
            target=f"≥ {TARGET_RATE}/s, p99 < {TARGET_P99 * 1000:.0f} ms",
            met=rate >= TARGET_RATE and p99 < TARGET_P99)
    )  # fmt: skip
    doubles = result.outcomes.pop("double submits", 0)
    rows.append(
        row("rush: submits (POST)", f"{len(submits):,}, {doubles} of them a second click",
            percentile(submits, 50), p99_submit, target=f"p99 < {TARGET_P99 * 1000:.0f} ms",
            met=p99_submit < TARGET_P99)
    )  # fmt: skip
    outcomes = ", ".join(f"{n} × {what}" for what, n in result.outcomes.most_common())
    rows.append(row("rush: no place, or the form sent back", outcomes or "none"))
    logged = logged_errors(error_log)
    rows.append(
        row("errors: rush requests, server log", f"{len(result.errors)} failed requests, "
            f"{logged.total()} errors logged", target="0", met=not (result.errors or logged))
    )  # fmt: skip
    problems += [f"rush: {error}" for error in result.errors[:5]]
    problems += [f"server log: {n} × {line[:300]}" for line, n in logged.items()]
    return result.accepted


def logged_errors(error_log: Path) -> Counter:
    """The last line of each traceback, and gunicorn's own errors (a worker timeout, a crash)."""
    pattern = r"^\S+(?:Error|Exception): .*|^.*\[(?:ERROR|CRITICAL)\].*"
    return Counter(re.findall(pattern, error_log.read_text(), re.M))


def audit_rows(accepted: set[str], rows: list, problems: list) -> None:
    import audit

    log("audit")
    report = audit.audit(SLUG, accepted)
    rows.append(
        row("audit: seats", f"{len(report['over'])} rooms over capacity or waiting-list size; "
            f"{report['held']} of {report['seats']} seats held, {report['waiting']} waiting",
            target="0 over", met=not report["over"])
    )  # fmt: skip
    faults = len(report["lost"]) + len(report["extra"]) + len(report["twice"])
    statuses = ", ".join(f"{n:,} {status}" for status, n in sorted(report["statuses"].items()))
    rows.append(
        row("audit: accepted = stored once", f"{len(accepted):,} accepted; stored: {statuses}; "
            f"{len(report['lost'])} lost, {len(report['extra'])} stored but not accepted, "
            f"{len(report['twice'])} stored twice", target="0", met=not faults)
    )  # fmt: skip
    if report["over"] or faults:
        problems.append(
            f"audit: {report['over']}; lost {report['lost'][:5]}, stored but not accepted "
            f"{report['extra'][:5]}, twice {report['twice'][:5]}"
        )


def measure_mail_queue(rows: list, problems: list) -> None:
    """One `koki_worker` renders and sends every mail the rush queued (its requests only queue)."""
    import audit

    ready = audit.mail_tasks("READY")
    log(f"mail queue: one koki_worker sends {ready} mails")
    started, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, "manage.py", "koki_worker", "--batch", "--no-startup-delay"]
    worker = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if worker.returncode:
        problems.append(f"mail queue: the worker failed:\n{worker.stderr[-3000:]}")
    seconds, after = time.monotonic() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    sent, left = audit.mail_tasks("SUCCESSFUL"), ready - audit.mail_tasks("SUCCESSFUL")
    rows.append(
        row("mail queue after the rush (one worker)", f"{sent:,} mails sent in {seconds:.1f} s "
            f"({sent / seconds:,.0f}/s), {left} left", cpu=f"{worker_cpu * 1000 / max(sent, 1):.1f}"
            " ms per mail", target="all sent", met=sent > 0 and not left)
    )  # fmt: skip
    if left or not sent:
        problems.append(f"mail queue: {sent} of {ready} mails sent")


# --- the table ---------------------------------------------------------------------------------
def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values) or [float("nan")]
    return ordered[min(len(ordered) - 1, int(pct / 100 * len(ordered)))]


def row(what, result, p50=None, p99=None, ratio="", cpu="", target="", met=None) -> list[str]:
    def ms(seconds):
        return "" if seconds is None else f"{seconds * 1000:.0f} ms"

    return [what, result, ms(p50), ms(p99), ratio, cpu, target, {None: "", 1: "✓", 0: "✗"}[met]]


def print_table(header: list[str], rows: list[list[str]]) -> None:
    print("\n" + "\n".join(header) + "\n")
    print(
        "| measurement | result | p50 | p99 | vs. ceiling | server CPU (app + db) | target | met |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | --- | :---: |")
    for cells in rows:
        print("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")


def machine_lines(load_before: str, postgres: str) -> list[str]:
    """The header's lines on the machine and the stack."""
    return [
        f"- machine: {os.cpu_count()} cores; load average before the run {load_before}, after "
        "it " + " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        f"- stack: Python {platform.python_version()}, Django {django.get_version()}, gunicorn "
        f"{gunicorn.__version__} ({WORKERS} workers, gunicorn.conf.py), PostgreSQL {postgres}, "
        "Redis; DEBUG off; load generators on the same machine",
    ]


def main() -> int:
    started, load = time.monotonic(), " ".join(Path("/proc/loadavg").read_text().split()[:3])
    rows, problems = [], []
    with stack() as (tmp, postgres):
        prepare()
        with serve(tmp / "gunicorn.log") as server:
            measure_pages(server, rows, problems)
            accepted = measure_rush(server, tmp / "gunicorn.log", rows, problems)
        audit_rows(accepted, rows, problems)
        measure_mail_queue(rows, problems)
    header = [
        f"koki bench (`make bench`, {time.monotonic() - started:.0f} s)",
        *machine_lines(load, postgres),
        f"- pages: wrk, 1 thread, {WRK_CONNECTIONS} connections, {SLICES} one-second slices "
        f"each, alternating with hello world; rush: {ATTENDEES} attendees, {CONCURRENCY} at a "
        "time; "
        f"every room {CAPACITY} seats and {WAITING_LIST} waiting-list places",
    ]
    print_table(header, rows)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
