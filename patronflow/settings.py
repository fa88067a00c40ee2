"""Settings come from PATRONFLOW_* environment variables (12-factor); every one is optional.

Unset, patronflow runs on the embedded default: SQLite under ./var/, inline sending.
"""

import os
import secrets
from pathlib import Path

import dj_database_url

VAR_DIR = Path(os.environ.get("PATRONFLOW_VAR_DIR", "var")).resolve()


def _secret_key() -> str:
    """Use the configured key, or one generated once and kept in ./var so links survive restarts."""
    configured = os.environ.get("PATRONFLOW_SECRET_KEY")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("PATRONFLOW_DEBUG", "") == "1"
BASE_URL = os.environ.get("PATRONFLOW_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
SMTP_URL = os.environ.get("PATRONFLOW_SMTP_URL", "smtp://127.0.0.1:1025")
ALLOWED_HOSTS = [h for h in os.environ.get("PATRONFLOW_ALLOWED_HOSTS", "*").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "patronflow.members",
    "patronflow.profiles",
    "patronflow.journeys",
    "patronflow.mail",
    "patronflow.tracking",
    "patronflow.reports",
    "patronflow.privacy",
    "patronflow.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "patronflow.urls"
WSGI_APPLICATION = "patronflow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


DEMO_DIR = VAR_DIR / "demo"


def _database() -> dict:
    if os.environ.get("PATRONFLOW_DEMO") == "1":  # set by `patronflow demo` for its own database
        url = f"sqlite:///{DEMO_DIR / 'patronflow.sqlite3'}"
    else:
        url = (
            os.environ.get("PATRONFLOW_DATABASE_URL")
            or f"sqlite:///{VAR_DIR / 'patronflow.sqlite3'}"
        )
    config = dj_database_url.parse(url, conn_max_age=60)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the tracking server read while the scheduler writes; IMMEDIATE transactions
        # make concurrent ticks queue for the write lock instead of failing half-way.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "timeout": 60,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A file (not :memory:) so that tests can run `patronflow` in subprocesses against it.
        config["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
LOCALE_PATHS = [Path(__file__).parent / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Brussels"
USE_TZ = True

STATIC_URL = "static/"

# Tracking endpoints face the open internet and set no cookies; the session cookie is for staff.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stdout",
        }
    },
    "loggers": {
        "patronflow": {"handlers": ["console"], "level": "INFO"},
        # Without this, server errors go only to mail_admins and nobody sees them.
        "django": {"handlers": ["console"], "level": "WARNING"},
        # 404s for forged or expired links are expected on a public endpoint: not news.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# Mail-policy constants; the journeys and privacy rules read them from here.
MINIMUM_MAILING_AGE = 16
EX_MEMBER_RETENTION_DAYS = 2 * 365
SEND_BATCH_SIZE = 200
SEND_MAX_ATTEMPTS = 5
