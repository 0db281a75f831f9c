"""`make bench`: the production stack under load on this machine, measured in one table.

Starts PostgreSQL-backed koki under gunicorn (DEBUG off, Redis cache, queued mails) on
127.0.0.1, loads the demo event, then
  1. measures a hello-world view through the same gunicorn + Django stack: the ceiling;
  2. measures the event page, programme.ics and programme.pdf with wrk (bounded time and count);
  3. runs a registration rush: concurrent attendees load the form and submit it (bench/rush.py);
  4. audits the database: no room over capacity, every accepted registration stored once.
Everything it starts is stopped at the end, also on Ctrl+C or an error. Exit status 1 when the
audit finds overbooking, lost or doubled registrations or errors; missed speed targets are
shown in the table (exit status 0).

    .venv/bin/python bench/run.py --help
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import audit as audit_module
import redis
from rush import RushConfig, percentile, run_rush
from stack import Stack, StackConfig, cpu_used

SLUG = "koki-abschluss"
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
PAGES = [
    # key, label, path (relative to the event page), needs a warm-up request to fill its cache
    ("event", "event page", ""),
    ("ics", "programme.ics", "programme.ics"),
    ("pdf", "programme.pdf (cached)", "programme.pdf"),
]
TARGET_RATIO = 0.5
TARGET_RUSH_RATE = 100.0
TARGET_RUSH_P99_MS = 500.0


def log(message: str) -> None:
    now = dt.datetime.now(dt.UTC)
    print(f"[bench {now:%H:%M:%S}] {message}", file=sys.stderr, flush=True)


@dataclass
class Row:
    what: str
    result: str = ""
    p50: str = ""
    p99: str = ""
    ratio: str = ""
    cpu: str = ""
    target: str = ""
    met: str = ""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds == seconds else "–"


# --- wrk ---------------------------------------------------------------------------------------
def probe(url: str) -> tuple[int, int]:
    """One GET (also fills a cache); the status and body size."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, 0


def run_wrk(url: str, *, seconds: int, connections: int, max_requests: int) -> dict:
    env = {**os.environ, "KOKI_WRK_MAX_REQUESTS": str(max_requests)}
    command = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "10s",
        "--script",
        str(WRK_SCRIPT),
        url,
    ]
    out = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False
    )
    for line in out.stdout.splitlines():
        if line.startswith("KOKI_WRK "):
            return json.loads(line.removeprefix("KOKI_WRK "))
    raise SystemExit(f"bench: wrk printed no result:\n{out.stdout}\n{out.stderr}")


def cpu_text(used: dict[str, float], requests: int) -> str:
    if not requests:
        return ""
    app, db = (used[k] * 1000 / requests for k in ("app", "db"))
    return f"{app:.1f} + {db:.1f} ms"


def wrk_errors(data: dict) -> int:
    return data["non_2xx"] + sum(data[k] for k in ("connect", "read", "write", "timeout"))


def wrk_rate(data: dict) -> float:
    return data["responses"] / (data["duration_us"] / 1e6)


# --- machine -----------------------------------------------------------------------------------
def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return (
        f"{os.cpu_count()} × {cpu}, {mem_kib / 1024 / 1024:.0f} GiB RAM, Linux {platform.release()}"
    )


def cpu_calibration() -> float:
    """CPU milliseconds of a fixed pure-Python loop: compares this machine's speed between runs
    (other load on a shared host slows every core; the tables are comparable through it)."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for number in range(1_000_000):
            total += number * number
        best = min(best, time.process_time() - started)
    return best * 1000


def versions(stack: Stack, postgres: str) -> str:
    import django
    import gunicorn

    redis_version = redis.Redis.from_url(stack.config.redis_url).info("server")["redis_version"]
    return (
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"gunicorn {gunicorn.__version__}, PostgreSQL {postgres}, Redis {redis_version}"
    )


# --- profiling ---------------------------------------------------------------------------------
class Profiler:
    """Optional: py-spy records every gunicorn worker while a phase runs (--profile DIR)."""

    def __init__(self, directory: Path | None, stack: Stack):
        self.directory = directory
        self.stack = stack
        self.process: subprocess.Popen | None = None

    def start(self, name: str) -> None:
        if not self.directory or self.stack.gunicorn is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        py_spy = Path(sys.executable).parent / "py-spy"
        self.process = subprocess.Popen(
            [
                str(py_spy),
                "record",
                "--pid",
                str(self.stack.gunicorn.pid),
                "--subprocesses",
                "--rate",
                "97",
                "--format",
                "speedscope",
                "--output",
                str(self.directory / f"{name}.speedscope.json"),
                "--nonblocking",
                # Only threads holding the GIL: where the workers' CPU goes, not where their
                # threads wait (for PostgreSQL, Redis or the next request).
                "--gil",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


# --- phases ------------------------------------------------------------------------------------
def measure_pages(args, stack: Stack, rows: list[Row], profiler: Profiler) -> list[str]:
    problems: list[str] = []
    base = f"{stack.config.base_url}/events/{SLUG}/"
    hello_url = f"{stack.config.base_url}/bench/hello/"
    wrk_kwargs = {
        "seconds": args.seconds,
        "connections": args.connections,
        "max_requests": args.max_requests,
    }
    ceiling = None
    for key, label, path in [("hello", "hello world (ceiling)", None), *PAGES]:
        if args.only and key not in args.only:
            continue
        url = hello_url if key == "hello" else base + path
        status, size = probe(url)
        if status == 404:
            rows.append(
                Row(
                    f"{label}",
                    f"skipped: {url.removeprefix(stack.config.base_url)} "
                    "answers 404 (not built on this branch yet)",
                )
            )
            continue
        if status != 200:
            problems.append(f"{label}: {url} answered {status}")
            rows.append(Row(label, f"{url} answered {status}", met="✗"))
            continue
        for _ in range(args.connections):  # every worker warm, every cache filled
            probe(url)
        log(f"wrk {label}: {url} ({size} bytes) for {args.seconds} s")
        profiler.start(key)
        before = stack.cpu_snapshot()
        try:
            data = run_wrk(url, **wrk_kwargs)
        finally:
            profiler.stop()
        used = cpu_used(before, stack.cpu_snapshot())
        rate = wrk_rate(data)
        errors = wrk_errors(data)
        row = Row(
            label,
            f"{rate:,.0f} req/s ({data['responses']:,} in {data['duration_us'] / 1e6:.1f} s"
            + (f", {errors} errors" if errors else "")
            + ")",
            p50=ms(data["p50_us"] / 1e6),
            p99=ms(data["p99_us"] / 1e6),
            cpu=cpu_text(used, data["responses"]),
        )
        if errors:
            problems.append(f"{label}: {errors} errors ({data})")
        if key == "hello":
            ceiling = rate
            row.ratio = "100 %"
        elif ceiling:
            ratio = rate / ceiling
            row.ratio = f"{ratio:.0%}".replace("%", " %")
            row.target = f"≥ {TARGET_RATIO:.0%}".replace("%", " %")
            row.met = "✓" if ratio >= TARGET_RATIO and not errors else "✗"
        rows.append(row)
    return problems


def warm_up(form_url: str, requests: int = 60, threads: int = 12) -> None:
    """Load the form and send it without consent (refused, nothing stored), concurrently, so
    that each worker has compiled its templates and validators before the rush is timed, as
    the event page's visitors would have done in production."""

    def visit(_number: int) -> int:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with opener.open(form_url, timeout=60) as response:
            page = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1) if token else "", "email": "warm-up@example"}
        ).encode()
        request = urllib.request.Request(form_url, data=data, headers={"Origin": origin})
        with opener.open(request, timeout=60) as response:
            return response.status

    origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(form_url))
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        statuses = set(pool.map(visit, range(requests)))
    if statuses != {200}:
        raise SystemExit(f"bench: the warm-up's refused submissions answered {statuses}")


def measure_rush(args, stack: Stack, rows: list[Row], profiler: Profiler) -> list[str]:
    problems: list[str] = []
    form_url = f"{stack.config.base_url}/events/{SLUG}/register/"
    status, _ = probe(form_url)
    if status == 404:
        rows.append(
            Row(
                "registration rush",
                "skipped: /events/…/register/ answers 404 "
                "(registration not built on this branch yet)",
            )
        )
        return problems
    rooms = audit_module.set_capacities(
        slug=SLUG, capacity=args.capacity, waiting_list_size=args.waiting_list
    )
    seats = sum(capacity for _, _, capacity in rooms)
    log("rush warm-up: every worker shows the form and a refused submission once")
    warm_up(form_url)
    run_id = time.strftime("%H%M%S")
    config = RushConfig(
        base_url=stack.config.base_url,
        slug=SLUG,
        attendees=args.attendees,
        concurrency=args.concurrency,
        deadline=args.rush_seconds,
        run_id=run_id,
        follow_redirect=not args.no_follow,
    )
    log(
        f"rush: {args.attendees} attendees, {args.concurrency} at a time, at most "
        f"{args.rush_seconds} s, into {len(rooms)} rooms × {args.capacity} seats"
    )
    offset = stack.log_offset()
    profiler.start("rush")
    before = stack.cpu_snapshot()
    client_cpu = time.process_time()
    try:
        result = run_rush(config)
    finally:
        profiler.stop()
    used = cpu_used(before, stack.cpu_snapshot())
    client_cpu = time.process_time() - client_cpu
    time.sleep(1)  # gunicorn flushes its log
    logged = stack.server_errors(since=offset)
    server_errors = sum(logged.values())

    accepted_rate = len(result.accepted) / result.seconds
    submit = result.latencies["submit"]
    form = result.latencies["form"]
    follow = result.latencies["follow"]
    everything = form + submit + follow
    rows.append(
        Row(
            "rush: load the form (GET)",
            f"{len(form) / result.seconds:,.0f} req/s ({len(form):,})",
            ms(percentile(form, 50)),
            ms(percentile(form, 99)),
        )
    )
    rows.append(
        Row(
            "rush: submit (POST)",
            f"{len(submit) / result.seconds:,.0f} req/s ({len(submit):,}, incl. "
            f"{sum(result.double_outcomes.values())} double submits)",
            ms(percentile(submit, 50)),
            ms(percentile(submit, 99)),
            target=f"p99 < {TARGET_RUSH_P99_MS:.0f} ms",
            met="✓" if percentile(submit, 99) * 1000 < TARGET_RUSH_P99_MS else "✗",
        )
    )
    if follow:
        rows.append(
            Row(
                "rush: page after registering (GET)",
                f"{len(follow) / result.seconds:,.0f} req/s ({len(follow):,})",
                ms(percentile(follow, 50)),
                ms(percentile(follow, 99)),
            )
        )
    all_p99 = percentile(everything, 99) * 1000
    rows.append(
        Row(
            "rush: registrations",
            f"**{accepted_rate:,.0f} registrations/s** ({len(result.accepted):,} accepted of "
            f"{result.attendees_done:,} attendees in {result.seconds:.1f} s; all requests: "
            f"{len(everything) / result.seconds:,.0f} req/s; the load generator used "
            f"{client_cpu * 1000 / max(result.attendees_done, 1):.1f} ms CPU per attendee)",
            ms(percentile(everything, 50)),
            ms(percentile(everything, 99)),
            cpu=cpu_text(used, result.attendees_done) + " per attendee",
            target=f"≥ {TARGET_RUSH_RATE:.0f}/s, p99 < {TARGET_RUSH_P99_MS:.0f} ms",
            met="✓" if accepted_rate >= TARGET_RUSH_RATE and all_p99 < TARGET_RUSH_P99_MS else "✗",
        )
    )
    rejected = ", ".join(f"{n} × “{message}”" for message, n in result.rejected.most_common(3))
    rows.append(Row("rush: submissions the form sent back", rejected or "none"))
    turned_away = ", ".join(f"{n} × {reason}" for reason, n in result.turned_away.most_common())
    rows.append(Row("rush: attendees who found no place", turned_away or "none"))
    if result.double_outcomes:
        rows.append(
            Row(
                "rush: double submits",
                ", ".join(
                    f"{n} × {outcome}" for outcome, n in result.double_outcomes.most_common()
                ),
            )
        )
    error_total = result.error_count + server_errors
    error_text = ", ".join(f"{n} × {kind}" for kind, n in result.errors.most_common())
    rows.append(
        Row(
            "rush: errors",
            f"{error_total}"
            + (f" ({error_text})" if error_text else "")
            + "; server log: "
            + (", ".join(f"{n} × {kind}" for kind, n in logged.items()) or "no error"),
            target="0",
            met="✓" if not error_total else "✗",
        )
    )
    if error_total:
        problems.append("rush errors: " + "; ".join(result.error_samples))
    if result.missing_fields:
        problems.append(f"the form lacks the fields {sorted(result.missing_fields)}")
    if result.attendees_done < args.attendees:
        rows.append(
            Row(
                "rush: attendees not run",
                f"{args.attendees - result.attendees_done} "
                f"(the {args.rush_seconds} s bound was hit)",
            )
        )

    log("audit")
    report = audit_module.audit(slug=SLUG, email_prefix=f"rush-{run_id}-", accepted=result.accepted)
    fullest = max((room["held"] for room in report.rooms), default=0)
    waiting = sum(room["waiting"] for room in report.rooms)
    rows.append(
        Row(
            "audit: seats",
            f"{len(report.overbooked)} of {len(report.rooms)} rooms over capacity; "
            f"{sum(r['held'] for r in report.rooms)} of {seats} seats held (fullest room "
            f"{fullest}/{args.capacity}); {waiting} on waiting lists of "
            f"{len(rooms) * args.waiting_list} places, {len(report.waiting_lists_over)} over"
            + (
                f"; waiting while seats are free: {report.waiting_in_free_rooms}"
                if report.waiting_in_free_rooms
                else ""
            ),
            target="0 over",
            met="✓" if not (report.overbooked or report.waiting_lists_over) else "✗",
        )
    )
    statuses_text = ", ".join(f"{n} {s}" for s, n in sorted(report.statuses.items()))
    rows.append(
        Row(
            "audit: accepted = stored once",
            f"{report.accepted} accepted, {report.stored} stored ({statuses_text}); "
            f"{len(report.lost)} lost, {len(report.unexpected)} stored but not accepted, "
            f"{len(report.duplicates)} stored twice; {report.mails_queued} mails and "
            f"{report.tasks_by_path[audit_module.EXPIRY_TASK]} hold expiries queued",
            target="0 lost, 0 twice",
            met="✓" if not (report.lost or report.unexpected or report.duplicates) else "✗",
        )
    )
    if not report.ok:
        problems.append(
            f"audit: overbooked {report.overbooked} {report.waiting_lists_over}, "
            f"lost {report.lost[:5]}, "
            f"unexpected {report.unexpected[:5]}, duplicates {report.duplicates[:5]}"
        )
    if report.waiting_in_free_rooms:
        problems.append(f"waiting lists in rooms with free seats: {report.waiting_in_free_rooms}")
    problems += measure_mail_queue(stack, rows)
    return problems


def measure_mail_queue(stack: Stack, rows: list[Row]) -> list[str]:
    """After the rush: one `db_worker` renders and sends every queued mail (to Django's
    in-memory mail backend: nothing leaves the machine). The rush's requests only queued them."""
    ready = audit_module.mail_tasks("READY")
    log(f"mail queue: one db_worker renders and sends {ready} mails")
    started, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    stack.manage("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    sent, left = audit_module.mail_tasks("SUCCESSFUL"), audit_module.mail_tasks("READY")
    rows.append(
        Row(
            "mail queue after the rush (one db_worker)",
            f"{sent:,} mails rendered and sent in {seconds:.1f} s ({sent / seconds:,.0f}/s); "
            f"{left} left, {audit_module.mail_tasks('FAILED')} failed",
            cpu=f"{cpu_seconds * 1000 / max(sent, 1):.1f} ms per mail (worker)",
            target="all sent",
            met="✓" if sent == ready and not left else "✗",
        )
    )
    return [] if sent == ready and not left else [f"mail queue: {sent} of {ready} sent"]


def print_table(rows: list[Row], header: list[str]) -> None:
    print()
    for line in header:
        print(line)
    print()
    print(
        "| measurement | result | p50 | p99 | vs. ceiling | server CPU (app + db) | target | met |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | --- | :---: |")
    for row in rows:
        cells = [row.what, row.result, row.p50, row.p99, row.ratio, row.cpu, row.target, row.met]
        print("| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |")
    print()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--port", type=int, default=int(os.environ.get("KOKI_BENCH_PORT", "8105")))
    add(
        "--database-url",
        default=os.environ.get(
            "KOKI_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/koki_bench"
        ),
    )
    add("--redis-url", default=os.environ.get("KOKI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"))
    add("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="2 × cores + 1")
    add("--worker-class", choices=["sync", "gthread"], default="gthread", help="gunicorn.conf.py")
    add("--threads", type=int, default=4, help="threads per worker with --worker-class gthread")
    add("--seconds", type=int, default=8, help="wrk duration per page")
    add("--connections", type=int, default=16, help="wrk connections")
    add("--max-requests", type=int, default=100_000, help="wrk: at most this many per page")
    add("--attendees", type=int, default=2000)
    add("--concurrency", type=int, default=32, help="attendees in flight at once")
    add("--rush-seconds", type=int, default=60, help="the rush stops starting attendees then")
    add("--capacity", type=int, default=20, help="seats per room for the rush")
    add("--waiting-list", type=int, default=200, help="waiting-list places per room")
    add("--no-follow", action="store_true", help="do not load the page after registering")
    add(
        "--only",
        type=lambda s: set(s.split(",")),
        default=None,
        help="comma-separated subset of hello,event,ics,pdf,rush",
    )
    add("--profile", type=Path, default=None, help="py-spy profiles of each phase into DIR")
    add("--keep-db", action="store_true", help="keep the koki_bench database for inspection")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    config = StackConfig(
        database_url=args.database_url,
        redis_url=args.redis_url,
        port=args.port,
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
        extra_env=bench_env_overrides(),
    )
    rows: list[Row] = []
    problems: list[str] = []
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    calibration = cpu_calibration()
    with Stack(config, log=log) as stack:
        try:
            log(f"fresh database {args.database_url.rsplit('/', 1)[1]}, Redis {args.redis_url}")
            postgres = stack.recreate_database()
            stack.apply_to_this_process()
            audit_module.django_setup()
            log("migrate, collectstatic, load the demo")
            stack.prepare()
            command = " ".join(
                Path(p).name if i == 0 else p for i, p in enumerate(stack.gunicorn_command())
            )
            command = re.sub(r" --(access-logfile|error-logfile|worker-tmp-dir) \S+", "", command)
            log(f"start: {command}")
            stack.start()
            profiler = Profiler(args.profile, stack)
            problems += measure_pages(args, stack, rows, profiler)
            if not args.only or "rush" in args.only:
                problems += measure_rush(args, stack, rows, profiler)
            header = [
                f"koki bench, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC "
                f"(`make bench`, {time.monotonic() - started:.0f} s)",
                f"- machine: {machine()}; CPU calibration (1M-step Python loop): "
                f"{calibration:.0f} ms, load average before the run: {load_before}",
                f"- stack: {versions(stack, postgres)}; `{command}`; DEBUG off, Redis cache, "
                "mails queued in the database; load generators on the same machine",
                f"- pages: wrk, 1 thread, {args.connections} connections, {args.seconds} s each; "
                f"rush: {args.attendees} attendees, {args.concurrency} at a time, "
                f"8 rooms × {args.capacity} seats + {args.waiting_list} waiting-list places",
            ]
        finally:
            stack.stop()
            if not args.keep_db:
                from django.db import connections

                connections.close_all()
                try:
                    stack.drop_database()
                except Exception as error:  # the table still matters more than the cleanup
                    log(f"could not drop the bench database: {error}")
    print_table(rows, header)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


def bench_env_overrides() -> dict[str, str]:
    """Settings the bench needs beyond the production defaults (see README "Performance").

    All bench traffic comes from 127.0.0.1, and the rate limits key by client address: the
    limits stay on (their cost is measured) but so high that the rush never meets them.
    """
    return {
        "KOKI_RATELIMIT_REGISTER": "1000000/1m",
        "KOKI_RATELIMIT_RESEND": "1000000/1m",
        "KOKI_RATELIMIT_RESEND_ADDRESS": "1000000/1m",
    }


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted; everything the bench started is stopped")
        sys.exit(130)
