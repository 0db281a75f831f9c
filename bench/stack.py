"""The production stack for the bench: a fresh PostgreSQL database, a Redis db, gunicorn.

Everything here listens on and talks to 127.0.0.1 only. `Stack` is a context manager: whatever
it started (gunicorn, the temporary folder) is stopped and removed on exit, also after an error
or Ctrl+C.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class StackConfig:
    database_url: str = "postgres://postgres@127.0.0.1:5432/koki_bench"
    redis_url: str = "redis://127.0.0.1:6379/5"
    host: str = "127.0.0.1"
    port: int = 8105
    workers: int = 5
    worker_class: str = "gthread"
    threads: int = 4
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
    return seconds


def cpu_used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict:
    return {
        kind: sum(value - before[kind].get(pid, 0.0) for pid, value in after[kind].items())
        for kind in after
    }


def _check_loopback(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise SystemExit(f"bench: {url} is not on this machine; the bench only talks to loopback.")


class Stack:
    """Creates the database, prepares Django as in the README's deployment, runs gunicorn."""

    def __init__(self, config: StackConfig, log=print):
        for url in (config.database_url, config.redis_url, config.base_url):
            _check_loopback(url)
        self.config = config
        self.log = log
        self.tmp = Path(tempfile.mkdtemp(prefix="koki-bench-"))
        self.gunicorn: subprocess.Popen | None = None
        self.error_log = self.tmp / "gunicorn.log"
        self.env = self._environment()

    # --- environment ------------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        c = self.config
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "KOKI_", "DATABASE_URL", "REDIS_URL"))
        }
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "koki.settings",
                "DJANGO_DEBUG": "0",
                # A throwaway secret: new on every run, never stored.
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "DJANGO_ALLOWED_HOSTS": f"{c.host},localhost",
                "DATABASE_URL": c.database_url,
                "DJANGO_CONN_MAX_AGE": "60",
                "REDIS_URL": c.redis_url,
                "DJANGO_CACHE_PREFIX": "koki-bench",
                # Mails are queued in the database (as in production), never sent.
                "DJANGO_TASKS_BACKEND": "database",
                "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                # Plain http on loopback: no HTTPS redirect, no Secure-only cookies, no HSTS.
                "DJANGO_SECURE_SSL_REDIRECT": "0",
                "DJANGO_SECURE_COOKIES": "0",
                "DJANGO_SECURE_HSTS_SECONDS": "0",
                "DJANGO_STATIC_ROOT": str(self.tmp / "static"),
                "DJANGO_MEDIA_ROOT": str(self.tmp / "media"),
                "DJANGO_LOG_LEVEL": "WARNING",
                "KOKI_SITE_URL": c.base_url,
                "KOKI_BENCH_HELLO": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        env.update(c.extra_env)
        return env

    def apply_to_this_process(self) -> None:
        """Lets the bench itself use the ORM on the same database (capacities, the audit)."""
        os.environ.update(self.env)
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))

    # --- database and cache -----------------------------------------------------------------
    def _maintenance_dsn(self) -> tuple[str, str]:
        parts = urllib.parse.urlsplit(self.config.database_url)
        name = parts.path.lstrip("/")
        if not name.startswith(("koki_bench", "bench")):
            raise SystemExit(f"bench: refusing to drop a database not named for the bench: {name}")
        return urllib.parse.urlunsplit(parts._replace(path="/postgres")), name

    def recreate_database(self) -> str:
        dsn, name = self._maintenance_dsn()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            version = conn.execute("SHOW server_version").fetchone()[0]
        redis.Redis.from_url(self.config.redis_url).flushdb()
        return version

    def drop_database(self) -> None:
        dsn, name = self._maintenance_dsn()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        redis.Redis.from_url(self.config.redis_url).flushdb()

    def manage(self, *args: str, env: dict[str, str] | None = None) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            check=True,
            timeout=300,
            stdout=subprocess.DEVNULL,
        )

    def prepare(self) -> None:
        """The README's deployment steps: migrate, collectstatic; then the demo event."""
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage(
            "collectstatic",
            "--no-input",
            "-v",
            "0",
            env={
                "DJANGO_SETTINGS_MODULE": "collectstatic_settings",
                "PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
            },
        )
        self.manage("load_koki_demo")

    # --- gunicorn ---------------------------------------------------------------------------
    def gunicorn_command(self) -> list[str]:
        c = self.config
        command = [
            str(BIN / "gunicorn"),
            "koki.wsgi",
            "--bind",
            f"{c.host}:{c.port}",
            "--workers",
            str(c.workers),
            "--worker-class",
            c.worker_class,
            # As documented (README): no access log, which would record the secret links.
            "--error-logfile",
            str(self.error_log),
            "--capture-output",  # Django's own error log (stderr) goes there too
            "--worker-tmp-dir",
            str(self.tmp),
        ]
        if c.worker_class == "gthread":
            command += ["--threads", str(c.threads)]
        return command

    def start(self, timeout: float = 60) -> None:
        self.gunicorn = subprocess.Popen(
            self.gunicorn_command(),
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped as one, never by name
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise SystemExit(
                    f"bench: gunicorn exited at start; see {self.error_log}:\n"
                    + self.error_log.read_text(errors="replace")[-3000:]
                )
            try:
                with urllib.request.urlopen(self.config.base_url + "/bench/hello/", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise SystemExit("bench: gunicorn did not answer within a minute")

    def stop(self) -> None:
        process, self.gunicorn = self.gunicorn, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def worker_pids(self) -> list[int]:
        if self.gunicorn is None:
            return []
        out = subprocess.run(
            ["pgrep", "-P", str(self.gunicorn.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in out.stdout.split()]

    def cpu_snapshot(self) -> dict[str, dict[int, float]]:
        """CPU seconds so far of each gunicorn worker and each PostgreSQL backend of the bench.

        The difference of two snapshots is the CPU the server side spent on a phase: a measure
        that other load on the machine disturbs far less than requests per second.
        """
        _, name = self._maintenance_dsn()
        dsn = self.config.database_url
        with psycopg.connect(dsn, autocommit=True) as conn:
            backends = [
                row[0]
                for row in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> "
                    "pg_backend_pid()",
                    [name],
                )
            ]
        return {"app": _cpu_seconds(self.worker_pids()), "db": _cpu_seconds(backends)}

    def log_offset(self) -> int:
        return self.error_log.stat().st_size if self.error_log.exists() else 0

    def server_errors(self, since: int = 0) -> dict[str, int]:
        """Tracebacks, worker timeouts and other errors in gunicorn's log from byte `since`."""
        counts: dict[str, int] = {}
        if not self.error_log.exists():
            return counts
        with self.error_log.open("rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace")
        for line in text.splitlines():
            if line.startswith("Traceback"):
                kind = "traceback"
            elif "WORKER TIMEOUT" in line:
                kind = "worker timeout"
            elif "[ERROR]" in line or "[CRITICAL]" in line:
                kind = "gunicorn error"
            else:
                continue
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
