"""koki's production stack, every part a process of the fault tests' own.

PostgreSQL (initdb + pg_ctl in a temporary folder, on a free port), Redis (no persistence, on a
free port), gunicorn app servers (gunicorn.conf.py, DEBUG off) and task workers, each started
here and stopped here, by its own process id. Nothing here touches another PostgreSQL cluster
or Redis on the machine.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SLUG = "koki-abschluss"  # the demo event (events/demo.py)
MAIL_TIMEOUT = 2  # seconds: a mail server that never answers fails a send after this long


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check: Callable[[], object], *, timeout: float, what: str, every=0.1) -> float:
    """Seconds until `check()` is true; TimeoutError naming `what` after `timeout` seconds."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)
    return time.monotonic() - started


def stop_process(process: subprocess.Popen, *, timeout: float = 20, how=signal.SIGTERM) -> None:
    """`how` to the process (its own session: its group is its id), SIGKILL to that group
    if it has not ended within `timeout` seconds."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(how)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # children it left behind


# --- PostgreSQL -----------------------------------------------------------------------------


def postgres_bin() -> Path:
    """The newest PostgreSQL server binaries installed (Debian's layout), or $KOKI_PG_BIN."""
    if configured := os.environ.get("KOKI_PG_BIN"):
        return Path(configured)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries (set KOKI_PG_BIN)")
    return found[-1].parent


class Postgres:
    """A PostgreSQL cluster of its own: trust authentication for the user "postgres" on
    127.0.0.1 and a free port. initdb refuses to run as root: as root, the cluster belongs to
    the "postgres" OS user (runuser)."""

    def __init__(self):
        self.bin = postgres_bin()
        self.port = free_port()
        # Not under pytest's tmp_path: its parents are private to the user running the tests.
        self.directory = Path(tempfile.mkdtemp(prefix="koki-faults-pg-"))
        self.data, self.log = self.directory / "data", self.directory / "postgres.log"
        self.as_owner = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        try:
            self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync",
                      "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
            settings = {
                "port": self.port,
                "listen_addresses": "'127.0.0.1'",
                "unix_socket_directories": f"'{self.directory}'",
                "max_connections": 100,
                "fsync": "off",  # a test cluster: a clean shutdown still writes everything
                "full_page_writes": "off",
            }
            with (self.data / "postgresql.conf").open("a") as conf:
                conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
            self.pg_ctl("start")
        except BaseException:
            self.stop()
            raise

    def _run(self, program: str, *args) -> None:
        command = [*self.as_owner, str(self.bin / program), *map(str, args)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:
            raise RuntimeError(f"{program} {args[0]} failed:\n{done.stdout}{done.stderr}")

    def pg_ctl(self, action: str, *args: str) -> float:
        """`pg_ctl <action>`, waiting until it is done; returns the seconds it took."""
        started = time.monotonic()
        self._run("pg_ctl", action, "-D", self.data, "-l", self.log, "-w", "-t", "60", *args)
        return time.monotonic() - started

    def restart(self) -> float:
        """A fast restart (open connections are ended, transactions rolled back)."""
        return self.pg_ctl("restart", "-m", "fast")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=5)

    def create_database(self, name: str, *, template: str | None = None) -> None:
        with self.connect() as connection:
            connection.execute(
                f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
            )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


# --- Redis ------------------------------------------------------------------------------------


class Redis:
    """A redis-server of its own, without persistence."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server",
             "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(directory),
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        wait_until(self.flush, timeout=10, what=f"redis-server on port {self.port}", every=0.05)

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def flush(self) -> bool:
        """Empty it (between tests); False while it does not answer."""
        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.flushall())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        stop_process(self.process, timeout=5)


# --- koki ------------------------------------------------------------------------------------


def rate_limits() -> list[str]:
    """Every KOKI_RATELIMIT_* variable koki/settings.py reads."""
    return sorted(set(re.findall(r"KOKI_RATELIMIT_\w+", (ROOT / "koki/settings.py").read_text())))


def environment(*, database_url: str, redis_url: str, smtp_port: int, static_root: Path,
                media_root: Path, secret_key: str, site_url: str) -> dict[str, str]:  # fmt: skip
    """The environment of every koki process of one stack, as in production (docs/deploy.md):
    the shell's DJANGO_*, KOKI_*, DATABASE_URL and REDIS_URL are left out."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "KOKI_", "PYTEST_"))
        and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "koki.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secret_key,  # the same for every server: signed cookies travel
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_TASKS_BACKEND": "database",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(smtp_port),
        "DJANGO_EMAIL_TIMEOUT": str(MAIL_TIMEOUT),
        # Plain http on loopback: no redirect to HTTPS, no Secure-only cookies.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_MEDIA_ROOT": str(media_root),
        "DJANGO_LOG_LEVEL": "WARNING",
        "KOKI_SITE_URL": site_url,
        # Every test request comes from 127.0.0.1: no limit per client (nor on its held seats).
        **dict.fromkeys(rate_limits(), "off"),
    }


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def deploy(env: dict[str, str]) -> None:
    """migrate, collectstatic, the demo event and its organiser (tests/faults/deploy.py)."""
    done = subprocess.run(
        [PYTHON, "-m", "tests.faults.deploy"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"deploying failed:\n{done.stderr[-5000:]}")


class AppServer:
    """gunicorn as deployed (gunicorn.conf.py: gthread, 4 threads), `workers` processes."""

    def __init__(self, name: str, env: dict[str, str], directory: Path, *, workers: int = 2):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / f"gunicorn-{name}.log"
        self.process = subprocess.Popen(
            [GUNICORN, "koki.wsgi", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--error-logfile", str(self.log), "--capture-output",
             "--no-control-socket"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        self.expected_workers = workers

    def answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn {self.name} exited:\n{self.log_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{self.url}/events/{SLUG}/", timeout=5) as response:
                return response.status == 200
        except urllib.error.HTTPError:
            return False
        except OSError:
            return False

    def wait_ready(self) -> None:
        wait_until(self.answers, timeout=60, what=f"gunicorn {self.name}", every=0.2)
        # Every worker up (each answered or is importing koki in the background).
        wait_until(
            lambda: len(self.workers()) == self.expected_workers,
            timeout=30, what=f"gunicorn {self.name}'s workers",
        )  # fmt: skip

    def workers(self) -> list[int]:
        """The worker processes' ids (the master's children)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in children.read_text().split()]
        return []

    def kill_worker(self) -> int:
        """SIGKILL to one of its workers (the master starts another); its id."""
        pid = self.workers()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        # gunicorn's quick shutdown; its master lingers for seconds after its workers ended.
        stop_process(self.process, how=signal.SIGQUIT, timeout=2)


def worker_command() -> str:
    """The task worker: $KOKI_FAULT_WORKER, else `koki_worker` where koki has one, else
    django-tasks-db's `db_worker`."""
    if configured := os.environ.get("KOKI_FAULT_WORKER"):
        return configured
    if any(ROOT.glob("*/management/commands/koki_worker.py")):
        return "koki_worker"
    return "db_worker"


def worker_options(command: str, env: dict[str, str]) -> list[str]:
    """Poll often and start at once, where the command offers it."""
    usage = subprocess.run(
        [PYTHON, "manage.py", command, "--help"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    options = []
    if "--no-startup-delay" in usage:
        options.append("--no-startup-delay")
    if "--interval" in usage:
        options += ["--interval", "0.2"]
    return options


class TaskWorker:
    """One task worker process (`manage.py <command>`), its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], directory: Path):
        self.name = name
        self.log = directory / f"worker-{name}.log"
        self.command, self.env = command, env
        self.starts = 0
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [PYTHON, "manage.py", *self.command],
                cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.starts += 1

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        stop_process(self.process)
