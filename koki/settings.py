"""Settings for koki: one file, read from environment variables with safe development defaults.

Every variable is listed in `.env.example` and explained in docs/configuration.md.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "modeltranslation",  # before the admin: German and English fields of content models
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_tasks_db",
    "ninja",  # the API's docs page loads Swagger UI from its static files
    "corsheaders",
    "events",
    "registrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "koki.middleware.GermanFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "koki.urls"
WSGI_APPLICATION = "koki.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "koki.site.context",
                "koki.languages.context",
            ],
        },
    },
]

# --- Database and cache ---------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # SQLite waits for a write lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's backend, failing soft and reusing its redis-py clients (koki/cache.py).
            "BACKEND": "koki.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "koki"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background tasks (e-mail) --------------------------------------------------------------
# "immediate" runs a task in the request (development); "database" stores it for the worker
# (`python manage.py koki_worker`), which retries when the mail server is down.
TASKS_BACKEND = os.environ.get("DJANGO_TASKS_BACKEND", "immediate" if DEBUG else "database")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django.tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
            "dummy": "django.tasks.backends.dummy.DummyBackend",
        }[TASKS_BACKEND],
        "QUEUES": ["default", "promotions"],  # promotions: waiting lists and reminder sweeps
    }
}

# --- Auth -------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "de"
# Content in German and English (django-modeltranslation): title_de, title_en, …; a missing
# English text falls back to the German one.
MODELTRANSLATION_DEFAULT_LANGUAGE = "de"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("de",)
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["koki.formats"]  # English with 24-hour times (koki/formats/en/formats.py)
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static and media files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# In development and tests WhiteNoise serves straight from the apps; production runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_BACKEND_NAME = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_NAME}}
if EMAIL_BACKEND_NAME.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ.get("DJANGO_EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("DJANGO_EMAIL_PORT", "25")),
        "username": os.environ.get("DJANGO_EMAIL_HOST_USER", ""),
        "password": os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", False),
        # Short: a mail server that accepts and never answers must not stall the worker.
        "timeout": int(os.environ.get("DJANGO_EMAIL_TIMEOUT", "5")),
    }
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "koki <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The public address of the site, used in e-mails and calendar UIDs.
SITE_URL = os.environ.get("KOKI_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Security ---------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(
    os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# Only the admin logs in (the public pages keep no session): an organiser's login ends when the
# browser closes, and at the latest after KOKI_SESSION_HOURS (12) hours, a working day.
SESSION_COOKIE_AGE = int(os.environ.get("KOKI_SESSION_HOURS", "12")) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
KOKI_BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
if KOKI_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# Only /events/<slug>/embed/ may be framed, by the origins its event names (events.views.EmbedView).

# CORS: the read-only API (koki/api.py) answers GETs from any web page; nothing else does.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "OPTIONS"]

# --- Logging: no personal data, errors to stderr ------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_personal_data": {"()": "koki.logfilters.RedactPersonalData"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_personal_data"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # PDF exports: WeasyPrint's step-by-step progress is noise; refused URLs are warnings.
        "weasyprint": {"level": "WARNING"},
    },
}

# --- Product settings ---------------------------------------------------------------------------
# Minutes an unconfirmed (double opt-in) registration holds its seat.
KOKI_HOLD_MINUTES = int(os.environ.get("KOKI_HOLD_MINUTES", "60"))
# Days after an event when `purge_registrations` anonymises its registrations.
KOKI_PURGE_AFTER_DAYS = int(os.environ.get("KOKI_PURGE_AFTER_DAYS", "30"))

# --- Security, privacy and resilience -----------------------------------------------------------
MIDDLEWARE += [
    "koki.middleware.AdminSelectionMiddleware",
    "koki.middleware.PermissionsPolicyMiddleware",
    "koki.middleware.SecretLinkMiddleware",
    "koki.middleware.DatabaseUnavailableMiddleware",
]
CSRF_FAILURE_VIEW = "koki.views.csrf_failure"
# /healthz answers 503 when a due task (a mail, a promotion) has waited longer than this.
KOKI_HEALTH_MAX_TASK_AGE = int(os.environ.get("KOKI_HEALTH_MAX_TASK_AGE", "600"))
# No page of koki needs a camera, a microphone, the location or any other powerful feature.
KOKI_PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media",
        "fullscreen", "geolocation", "gyroscope", "magnetometer", "microphone", "midi",
        "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock",
        "sync-xhr", "usb", "xr-spatial-tracking",
    )
)  # fmt: skip
# Rate limits per client network (an IPv4 address, an IPv6 /64), "<count>/<period>" (s, m, h, d);
# empty or "off" disables one.
KOKI_RATELIMITS = {
    # Sized for an office behind one NAT address (100 colleagues within an hour come in bursts,
    # some of them answering the question below); holding seats is capped by the two below.
    "register": os.environ.get("KOKI_RATELIMIT_REGISTER", "60/10m"),
    "resend": os.environ.get("KOKI_RATELIMIT_RESEND", "5/10m"),
    # Per client and recipient address: nobody floods an inbox, nobody locks its owner out.
    "resend_address": os.environ.get("KOKI_RATELIMIT_RESEND_ADDRESS", "3/h"),
    "login": os.environ.get("KOKI_RATELIMIT_LOGIN", "10/10m"),
    # Every GET of the JSON API (/api/, koki/api.py).
    "api": os.environ.get("KOKI_RATELIMIT_API", "600/m"),
    # Unconfirmed seats held per client network and event, plain counts (registrations/hoarding.py):
    # beyond "holds" the form asks a question (our own script answers it); from "holds_max" on
    # it takes no more until some of them are confirmed or expire.
    "holds": os.environ.get("KOKI_RATELIMIT_HOLDS", "3"),
    "holds_max": os.environ.get("KOKI_RATELIMIT_HOLDS_MAX", "10"),
}
# The controller's contact details in the default privacy notice (postal address, e-mail).
KOKI_PRIVACY_CONTACT = os.environ.get("KOKI_PRIVACY_CONTACT", "")
# `make bench` only: serve /bench/hello/, the ceiling the bench measures pages against (urls.py).
KOKI_BENCH_HELLO = env_bool("KOKI_BENCH_HELLO", False)
