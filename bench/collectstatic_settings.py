"""koki's settings for the bench's `collectstatic` only: hashed names and the manifest as in
production, without WhiteNoise's gzip/Brotli copies. Compressing ~350 files takes about a minute
of CPU on a small machine, and the bench never fetches a static file. gunicorn itself runs with
the real `koki.settings`, which reads the same manifest."""

from koki.settings import *  # noqa: F403
from koki.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
