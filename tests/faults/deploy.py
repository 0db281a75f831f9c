"""The deployment steps of the fault tests' stack, in a process of their own (its environment
names the stack): `python -m tests.faults.deploy`.

migrate; collectstatic with the hashed names and manifest of production but without
WhiteNoise's gzip/Brotli copies (a minute of CPU, and the tests fetch no static file); the demo
event; its organiser login (`ensure_demo_organiser`, a development command: DEBUG is on for
that command only).
"""

import io

import django
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings


def main() -> None:
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    manifest = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": manifest}):
        call_command("collectstatic", interactive=False, verbosity=0)
    call_command("load_koki_demo", stdout=io.StringIO())
    with override_settings(DEBUG=True):
        call_command("ensure_demo_organiser", stdout=io.StringIO())


if __name__ == "__main__":
    main()
