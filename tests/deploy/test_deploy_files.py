"""The files in deploy/, checked with the real tools (docs/deploy.md).

- the systemd units: `systemd-analyze verify` and `security`, their hardening, a worker for
  every task queue;
- the nginx site: `nginx -t`, then nginx itself on loopback ports of its own (self-signed
  certificate made by openssl), in front of a stub app server and in front of gunicorn serving
  koki with production settings;
- the scripts: shellcheck, and a real backup, rotation and restore test on PostgreSQL, in
  databases of their own.

A test whose tool is missing is skipped, and fails instead when KOKI_REQUIRE_DEPLOY_CHECKS=1
(.ci/run installs the tools).
"""

import configparser
import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from events.services import PHOTO_MAX_BYTES
from koki.ratelimit import client_ip

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
SITE = DEPLOY / "nginx" / "koki.conf"
HOST = "anmeldung.example.org"  # the placeholder in the site and the docs
VENV_BIN = Path(sys.executable).parent
REQUIRED = os.environ.get("KOKI_REQUIRE_DEPLOY_CHECKS") == "1"
SERVICES = sorted(UNITS.glob("*.service"))
TIMERS = sorted(UNITS.glob("*.timer"))
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallFilter": "@system-service",
    "CapabilityBoundingSet": "",
    "UMask": "0027",
}


def need(tool: str) -> str:
    path = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")
    if path is None:
        if REQUIRED:
            pytest.fail(f"{tool} is not installed, and KOKI_REQUIRE_DEPLOY_CHECKS=1 needs it.")
        pytest.skip(f"{tool} is not installed")
    return path


def unit(path: Path) -> configparser.ConfigParser:
    """A unit file's sections; a key set twice keeps its last value."""
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    parser.optionxform = str
    parser.read_string(path.read_text())
    return parser


def hardening_block(path: Path) -> str:
    text = path.read_text()
    start = text.index("# Hardening")
    return text[start : text.index("\n", text.index("\nUMask=", start) + 1)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} does not listen on {port}")


def wait_for_text(path: Path, text: str, timeout: float = 5) -> str:
    deadline = time.monotonic() + timeout
    while text not in (content := path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return content


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- systemd --------------------------------------------------------------------------------


def test_services_share_the_hardening_block():
    blocks = {path.name: hardening_block(path) for path in SERVICES}
    settings = dict(
        line.split("=", 1) for line in blocks["koki-web.service"].splitlines() if "=" in line
    )

    assert set(blocks) == {
        "koki-web.service",
        "koki-worker.service",
        "koki-worker-promotions.service",
        "koki-purge.service",
        "koki-backup.service",
    }
    assert len(set(blocks.values())) == 1
    assert {key: settings.get(key) for key in HARDENING} == HARDENING


def test_services_run_as_koki_with_the_environment_file():
    for path in SERVICES:
        service = unit(path)["Service"]

        assert service["User"] == "koki", path.name
        assert service["EnvironmentFile"] == "/etc/koki/koki.env", path.name


def test_web_service_runs_gunicorn_from_the_source_folder():
    service = unit(UNITS / "koki-web.service")["Service"]

    assert service["WorkingDirectory"] == "/srv/koki/src"
    assert service["ExecStart"].split()[:4] == [
        "/srv/koki/venv/bin/gunicorn",
        "koki.wsgi",
        "--config",
        "gunicorn.conf.py",
    ]
    assert "--bind 127.0.0.1:8000" in service["ExecStart"]
    assert (ROOT / "gunicorn.conf.py").is_file()
    assert service["Restart"] == "always"
    assert service["ReadWritePaths"] == "/srv/koki/media"


def test_every_task_queue_has_a_worker_service(settings):
    queues = settings.TASKS["default"].get("QUEUES", ["default"])
    workers = {}
    for path in SERVICES:
        service = unit(path)["Service"]
        command = service["ExecStart"].split()
        if "db_worker" in command or "koki_worker" in command:
            workers[command[command.index("--queue-name") + 1]] = service

    assert set(queues) <= set(workers)
    for service in workers.values():
        assert service["WorkingDirectory"] == "/srv/koki/src"
        assert (service["Restart"], service["RestartSec"]) == ("always", "5")


def test_timers_start_the_purge_and_the_backup_daily():
    commands = {}
    for path in TIMERS:
        timer = unit(path)["Timer"]
        service = unit(path.with_suffix(".service"))["Service"]
        assert re.fullmatch(r"\*-\*-\* \d\d:\d\d", timer["OnCalendar"]), path.name
        assert timer["Persistent"] == "true", path.name
        assert service["Type"] == "oneshot", path.name
        commands[path.stem] = service["ExecStart"]

    assert commands == {
        "koki-backup": "/bin/bash /srv/koki/src/deploy/backup.sh /var/backups/koki 14",
        "koki-purge": "/srv/koki/venv/bin/python manage.py purge_registrations",
    }


@pytest.fixture
def units_here(tmp_path):
    """The units with the repository's folders for /srv/koki/src and /srv/koki/venv, so that
    systemd-analyze finds every program they start."""
    for path in [*SERVICES, *TIMERS]:
        text = path.read_text()
        text = text.replace("/srv/koki/venv/bin/", f"{VENV_BIN}/")
        text = text.replace("/srv/koki/src", str(ROOT))
        (tmp_path / path.name).write_text(text)
    return sorted(tmp_path.iterdir())


def test_units_pass_systemd_analyze_verify(units_here):
    analyze = need("systemd-analyze")

    result = subprocess.run(
        [analyze, "verify", "--man=no", *map(str, units_here)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    # verify exits 0 on unknown keys and values it cannot parse: every line it prints counts.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_services_expose_little_to_systemd_analyze_security(units_here):
    analyze = need("systemd-analyze")
    services = [path for path in units_here if path.suffix == ".service"]

    for path in services:
        result = subprocess.run(
            [analyze, "security", "--offline=true", "--threshold=20", "--no-pager", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )

        # Exposure at most 2.0 of 10 ("OK").
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr


# --- scripts --------------------------------------------------------------------------------


def test_scripts_pass_shellcheck():
    shellcheck = need("shellcheck")

    result = subprocess.run(
        [shellcheck, *map(str, sorted(DEPLOY.glob("*.sh")))], capture_output=True, text=True
    )

    assert (result.returncode, result.stdout) == (0, "")


# --- nginx ------------------------------------------------------------------------------------


def test_site_allows_a_full_size_speaker_photo():
    size = re.search(r"client_max_body_size (\d+)m;", SITE.read_text())

    assert size is not None
    assert PHOTO_MAX_BYTES < int(size.group(1)) * 1024 * 1024 <= 2 * PHOTO_MAX_BYTES


class Site:
    """deploy/nginx/koki.conf on loopback ports, with a self-signed certificate for HOST."""

    def __init__(self, directory: Path, app_port: int):
        self.directory = directory
        self.http = free_port()
        self.https = free_port()
        self.cert = directory / "cert.pem"
        self.access_log = directory / "koki-access.log"
        self.media = directory / "media"
        subprocess.run(
            [need("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
             "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(directory / "key.pem"),
             "-out", str(self.cert)],
            check=True, capture_output=True,
        )  # fmt: skip
        replacements = [
            (f"/etc/letsencrypt/live/{HOST}/fullchain.pem", str(self.cert)),
            (f"/etc/letsencrypt/live/{HOST}/privkey.pem", str(directory / "key.pem")),
            ("/var/log/nginx/", f"{directory}/"),
            ("/srv/koki/media/", f"{self.media}/"),
            ("/var/www/html", str(directory / "acme")),
            ("server 127.0.0.1:8000", f"server 127.0.0.1:{app_port}"),
            ("listen 80", f"listen 127.0.0.1:{self.http}"),
            ("listen 443", f"listen 127.0.0.1:{self.https}"),
        ]
        text = SITE.read_text()
        for old, new in replacements:
            assert old in text, f"{SITE} no longer contains {old!r}"
            text = text.replace(old, new)
        # The IPv6 listeners: a container may have no IPv6.
        text = "\n".join(line for line in text.splitlines() if "listen [::]:" not in line)
        (directory / "koki.conf").write_text(text + "\n")
        temp = "\n".join(
            f"    {kind}_temp_path {directory}/temp-{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
        (directory / "nginx.conf").write_text(
            f"worker_processes 1;\npid {directory}/nginx.pid;\n"
            f"error_log {directory}/error.log warn;\n"
            "events { worker_connections 64; }\n"
            f"http {{\n    {mime}\n{temp}\n    include {directory}/koki.conf;\n}}\n"
        )
        self.command = [
            need("nginx"),
            "-p", str(directory),
            "-e", str(directory / "error.log"),
            "-c", str(directory / "nginx.conf"),
        ]  # fmt: skip

    def test_config(self) -> subprocess.CompletedProcess:
        return subprocess.run([*self.command, "-t"], capture_output=True, text=True, timeout=30)

    @contextlib.contextmanager
    def running(self):
        process = subprocess.Popen([*self.command, "-g", "daemon off;"])
        try:
            wait_for_port(self.https, process, "nginx")
            yield self
        finally:
            stop(process)

    def request(self, path, *, method="GET", headers=None, body=None, https=True, name=HOST):
        if https:
            context = ssl.create_default_context(cafile=str(self.cert))
            connection = SniConnection("127.0.0.1", self.https, context=context, name=name)
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.http, timeout=10)
        try:
            connection.request(method, path, body=body, headers={"Host": name, **(headers or {})})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


class SniConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 with the site's name in the TLS handshake (SNI) and the check."""

    def __init__(self, host, port, *, context, name):
        super().__init__(host, port, timeout=10, context=context)
        self.tls_context, self.name = context, name

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self.tls_context.wrap_socket(self.sock, server_hostname=self.name)


class EchoApp(BaseHTTPRequestHandler):
    """A stand-in app server: answers every request with what reached it, as JSON."""

    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        received = 0
        while received < length:
            received += len(self.rfile.read(min(65536, length - received)))
        seen = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
        body = json.dumps({**seen, "body_bytes": received}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site_directory():
    # Readable by nginx's workers (nobody when it runs as root), unlike pytest's own folders.
    directory = Path(tempfile.mkdtemp(prefix="koki-nginx-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def echo_site(site_directory):
    app = ThreadingHTTPServer(("127.0.0.1", 0), EchoApp)
    thread = threading.Thread(target=app.serve_forever, daemon=True)
    thread.start()
    site = Site(site_directory, app.server_address[1])
    (site.media / "speakers").mkdir(parents=True)
    site.media.chmod(0o755)
    (site.media / "speakers").chmod(0o755)
    (site.media / "speakers" / "a1b2.jpg").write_bytes(b"\xff\xd8\xff photo")
    (site.media / "speakers" / "a1b2.jpg").chmod(0o644)
    try:
        with site.running():
            yield site
    finally:
        app.shutdown()
        app.server_close()


def test_site_passes_nginx_t(site_directory):
    directory = site_directory / "syntax"
    directory.mkdir()
    directory.chmod(0o755)

    result = Site(directory, app_port=free_port()).test_config()

    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert "[warn]" not in result.stderr, result.stderr


def test_http_redirects_to_https(echo_site):
    status, headers, _ = echo_site.request("/events/koki/?lang=en", https=False)

    assert (status, headers["Location"]) == (301, f"https://{HOST}/events/koki/?lang=en")


def test_other_host_names_get_no_answer(echo_site):
    with pytest.raises(http.client.RemoteDisconnected):
        echo_site.request("/", https=False, name="other.example.org")
    with pytest.raises(ssl.SSLError):
        echo_site.request("/", name="other.example.org")


def test_proxy_sends_host_and_scheme_and_appends_the_client_address(echo_site, rf, settings):
    settings.KOKI_BEHIND_PROXY = True

    status, _, body = echo_site.request(
        "/events/koki/register/", headers={"X-Forwarded-For": "203.0.113.9"}
    )
    seen = json.loads(body)["headers"]

    assert status == 200
    assert seen["host"] == HOST
    assert seen["x-forwarded-host"] == HOST
    assert seen["x-forwarded-proto"] == "https"
    assert seen["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    # koki counts the address nginx saw, not the one the client wrote.
    request = rf.get("/", HTTP_X_FORWARDED_FOR=seen["x-forwarded-for"], REMOTE_ADDR="10.0.0.10")
    assert client_ip(request) == "127.0.0.1"


def test_upload_of_a_full_size_photo_passes_and_larger_bodies_are_refused(echo_site):
    form = PHOTO_MAX_BYTES + 64 * 1024  # the photo and the rest of the admin's form
    path = "/admin/events/speaker/add/"

    status, _, body = echo_site.request(path, method="POST", body=b"x" * form)
    too_large, _, _ = echo_site.request(path, method="POST", body=b"x" * 4 * 1024 * 1024)

    assert (status, json.loads(body)["body_bytes"]) == (200, form)
    assert too_large == 413


def test_media_files_are_served_from_the_media_folder(echo_site):
    status, headers, body = echo_site.request("/media/speakers/a1b2.jpg")

    assert (status, body) == (200, b"\xff\xd8\xff photo")
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_access_log_leaves_out_secret_links_and_personal_data(echo_site):
    token, other = "S3cretT0kenS3cretT0ken12", "An0therT0kenAn0therT0ken"
    echo_site.request(f"/r/{token}/")
    echo_site.request(f"/%72/{other}/calendar.ics")  # /r/, written otherwise
    echo_site.request("/healthz")
    echo_site.request(f"/language/en/?next=/r/{token}/")  # the language switch on a personal page
    echo_site.request(
        "/events/koki/?email=ada@example.org",
        headers={"User-Agent": "Agent/1.0", "Referer": f"https://{HOST}/r/{token}/"},
    )

    # nginx writes a request's line once it has answered: wait for the last one.
    log = wait_for_text(echo_site.access_log, " GET /events/koki/ 200 ")

    assert token not in log
    assert other not in log
    assert "/r/" not in log
    assert "healthz" not in log
    assert "ada@example.org" not in log
    assert "Agent/1.0" not in log
    lines = [line for line in log.splitlines() if " GET /events/koki/ 200 " in line]
    # time, method, path, status, bytes, seconds, app server, its seconds: no client address.
    assert len(lines) == 1
    assert re.fullmatch(
        r"\S+ GET /events/koki/ 200 \d+ [\d.]+ 127\.0\.0\.1:\d+ [\d.]+", lines[0]
    ), lines[0]


@pytest.fixture(scope="module")
def koki_site(site_directory):
    """gunicorn serving koki as in production (DEBUG off, behind the proxy), behind the site."""
    directory = site_directory / "koki"
    directory.mkdir()
    directory.chmod(0o755)
    (directory / "static").mkdir()
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "KOKI_", "DATABASE_URL", "REDIS_URL"))
    }
    environment.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="deploy-check-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_BEHIND_PROXY="1",
        DATABASE_URL=f"sqlite:///{directory}/db.sqlite3",
        DJANGO_STATIC_ROOT=str(directory / "static"),
        DJANGO_MEDIA_ROOT=str(directory / "media"),
    )
    log = (directory / "gunicorn.log").open("w")
    gunicorn = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "koki.wsgi", "--config", "gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        site = Site(directory, port)
        wait_for_port(port, gunicorn, "gunicorn", timeout=30)
        with site.running():
            yield site
    finally:
        stop(gunicorn)
        log.close()


def test_koki_behind_the_site_takes_requests_as_https(koki_site):
    status, headers, body = koki_site.request("/healthz")

    # No redirect to https: koki trusts X-Forwarded-Proto, so HSTS goes out as on any https page.
    # (503: this database has no tables; the page is still koki's answer.)
    assert status in {200, 503}
    assert headers["Content-Type"] == "application/json"
    assert "database" in json.loads(body)
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


# --- backup and restore test on PostgreSQL --------------------------------------------------


@pytest.fixture(scope="module")
def postgres_server():
    """libpq variables for the PostgreSQL server of DATABASE_URL (else the local one)."""
    psycopg = pytest.importorskip("psycopg")
    for tool in ("pg_dump", "pg_restore", "psql", "createdb", "dropdb"):
        need(tool)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(url)
    server = {
        "PGHOST": parts.hostname or "",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "postgres",
        "PGPASSWORD": parts.password or "",
    }
    try:
        connection = psycopg.connect(
            host=server["PGHOST"], port=server["PGPORT"], user=server["PGUSER"],
            password=server["PGPASSWORD"], dbname="postgres", connect_timeout=3, autocommit=True,
        )  # fmt: skip
    except psycopg.OperationalError as error:
        if REQUIRED or os.environ.get("KOKI_REQUIRE_POSTGRES"):
            pytest.fail(f"No PostgreSQL server to back up from: {error}")
        pytest.skip("no PostgreSQL server")
    name = f"koki_deploy_check_{os.getpid()}"
    with connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
        try:
            yield server, name
        finally:
            connection.execute(f"DROP DATABASE IF EXISTS {name}")
            connection.execute(f"DROP DATABASE IF EXISTS {name}_restore_test")


def run_script(script: str, *args: str, env: dict, stdin=None) -> subprocess.CompletedProcess:
    # The venv's python3 first, as in koki-backup.service.
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment.update(env, PATH=f"{VENV_BIN}:{os.environ['PATH']}")
    return subprocess.run(
        ["/bin/bash", str(DEPLOY / script), *args],
        env=environment, stdin=stdin, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_backup_keeps_the_newest_dumps_and_restores_every_row(postgres_server, tmp_path):
    server, name = postgres_server
    sql = (
        "CREATE TABLE django_migrations (id serial PRIMARY KEY, app text, name text);"
        "INSERT INTO django_migrations (app, name) VALUES ('events', '0001'), ('events', '0002');"
        "CREATE TABLE notes (id serial PRIMARY KEY, body text);"
        "INSERT INTO notes (body) VALUES (E'two\\nlines'), (E'tab\\tand \\\\. backslash'), ('');"
        "CREATE TABLE empty (id int);"
    )
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", name, "-c", sql],
                   env={**os.environ, **server}, check=True)  # fmt: skip
    backups = tmp_path / "backups"
    backups.mkdir()
    for stamp in ("20000101-023000", "20000102-023000"):
        (backups / f"koki-{stamp}.dump").write_bytes(b"an old dump")
    user = quote(server["PGUSER"], safe="")
    password = f":{quote(server['PGPASSWORD'], safe='')}" if server["PGPASSWORD"] else ""
    database_url = f"postgres://{user}{password}@{server['PGHOST']}:{server['PGPORT']}/{name}"

    backup = run_script("backup.sh", str(backups), "2", env={"DATABASE_URL": database_url})
    dumps = sorted(path.name for path in backups.iterdir())
    with (backups / dumps[-1]).open("rb") as dump:
        restore = run_script("restore-test.sh", "-", name, env=server, stdin=dump)

    assert backup.returncode == 0, backup.stderr
    assert dumps[0] == "koki-20000102-023000.dump"
    assert re.fullmatch(r"koki-\d{8}-\d{6}\.dump", dumps[1])
    assert len(dumps) == 2
    assert (backups / dumps[1]).stat().st_mode & 0o777 == 0o600
    assert restore.returncode == 0, restore.stdout + restore.stderr
    rows = {line.split()[0]: line.split()[1:] for line in restore.stdout.splitlines()[1:-1]}
    assert rows == {
        "public.django_migrations": ["2", "2", "2"],
        "public.empty": ["0", "0", "0"],
        "public.notes": ["3", "3", "3"],
    }
    assert restore.stdout.splitlines()[-1] == (
        "restore-test.sh: OK, 3 tables restored with every row"
    )


def test_restore_test_fails_on_a_broken_dump(postgres_server, tmp_path):
    server, name = postgres_server
    broken = tmp_path / "koki-20000101-023000.dump"
    broken.write_bytes(b"PGDMP not really a dump")

    result = run_script("restore-test.sh", str(broken), name, env=server)

    assert result.returncode != 0
    assert "OK" not in result.stdout
