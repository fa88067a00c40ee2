"""Settings come from PATRONFLOW_* environment variables (12-factor); every one is optional.

Unset, patronflow runs on the embedded default: SQLite under ./var/, inline sending.
"""

import importlib.util
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
    "django.contrib.staticfiles",
    "axes",
    "django_otp",  # the optional second factor of staff logins (TOTP)
    "django_otp.plugins.otp_totp",
    "ninja",  # the API's docs page: Swagger UI's files served from here, never a CDN
    # The pipeline's stages in their order: each imports only those above it here.
    "patronflow.members",
    "patronflow.privacy",
    "patronflow.choices",
    "patronflow.surveys",
    "patronflow.profiles",
    "patronflow.journeys",
    "patronflow.mail",
    "patronflow.tracking",
    "patronflow.reports",
    "patronflow.operations",
    "patronflow.webhooks",
    "patronflow.api",
    "patronflow.staff",
    # `patronflow demo`, only where its extra is installed (pip install 'patronflow[demo]').
    *(["patronflow.demo"] if importlib.util.find_spec("faker") else []),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "patronflow.staff.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): staff/access.py
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lock-out response.
    "axes.middleware.AxesMiddleware",
]

# Files uploaded to the staff screens (the import screen's CSV): up to Django's 2.5 MB in
# memory, larger ones to a temporary file, never more than this stored; the import form says
# the file was too large (docs/import-format.md). Larger exports: `patronflow import`.
STAFF_UPLOAD_MAX_BYTES = 50 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "patronflow.staff.uploads.BoundedUpload",
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
        # synchronous=FULL: a commit is on disk before it returns, so what the outbox records
        # about sending (and every tracked event) survives a power cut, as on PostgreSQL.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "timeout": 60,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        }
        # A file (not :memory:) so that tests can run `patronflow` in subprocesses against it.
        config["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
# The staff application's catalogue before the apps' own: its words win over the admin's ("Save").
LOCALE_PATHS = [Path(__file__).parent / "staff" / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Brussels"
USE_TZ = True

STATIC_URL = "static/"

# Tracking endpoints face the open internet and set no cookies; the session cookie is for staff.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Behind a reverse proxy, the client address is the last X-Forwarded-For entry (clients.py):
# to recognise mail providers' image proxies (never stored) and to lock out staff logins.
TRACKING_BEHIND_PROXY = os.environ.get("PATRONFLOW_BEHIND_PROXY", "") == "1"
# `patronflow serve`: requests Django answers at once per server process (each holds a
# database connection while it runs); the others wait their turn.
SERVE_DJANGO_REQUESTS = int(os.environ.get("PATRONFLOW_SERVE_DJANGO_REQUESTS", "8"))

# Staff web application (docs/staff.md). Cookies are Secure wherever patronflow is served
# over HTTPS (PATRONFLOW_BASE_URL), or as PATRONFLOW_SECURE_COOKIES=1/0 says.
_SECURE_COOKIES = os.environ.get(
    "PATRONFLOW_SECURE_COOKIES", "1" if BASE_URL.startswith("https://") else "0"
)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _SECURE_COOKIES == "1"
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60  # a working day; the login ends with the browser too
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:dashboard"
# Argon2id first (argon2-cffi); PBKDF2 still reads hashes made before.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5  # wrong passwords in a row, per user name and address
AXES_COOLOFF_TIME = 1  # hour
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Behind a reverse proxy, the address the proxy saw (clients.py), not the proxy's own.
AXES_CLIENT_IP_CALLABLE = "patronflow.clients.request_client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "staff/locked_out.html"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
WHITENOISE_USE_FINDERS = True  # static files straight from the apps: no collectstatic step
OTP_TOTP_ISSUER = "patronflow"  # the name authenticator apps show beside the code

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

# Who may be mailed: the privacy rules read it from here.
MINIMUM_MAILING_AGE = 16
# Messages a sender claims at a time: larger batches spread each batch's queries over more
# mails (docs/sending.md).
SEND_BATCH_SIZE = int(os.environ.get("PATRONFLOW_SEND_BATCH_SIZE", "500"))
# Mails handed to the SMTP server between two saves of the outbox: the most that a sender
# killed at any moment leaves uncertain. Smaller costs a commit more often.
SEND_HANDOVER_GROUP = max(1, int(os.environ.get("PATRONFLOW_SEND_HANDOVER_GROUP", "50")))
SEND_MAX_ATTEMPTS = 5
# A batch's mails are filled in from one rendering per kind of member (mail/skeletons.py);
# False renders every mail in full, the same mails slower: for bench/send.py --full-render
# and the tests that compare the two (docs/performance.md), not an operator's choice.
MAIL_SKELETONS = True
# The reports' daily aggregates (reports/rollup.py): the tick refreshes them at most every
# ROLLUP_EVERY_MINUTES; ROLLUP_ON_READ recomputes them from every raw row before each report
# is read — exact at once, for the tests and the demo's small network, never at scale
# (docs/performance.md).
ROLLUP_EVERY_MINUTES = int(os.environ.get("PATRONFLOW_ROLLUP_EVERY_MINUTES", "15"))
_ROLLUP_ON_READ_DEFAULT = os.environ.get("PATRONFLOW_DEMO", "")  # the demo's network is small
ROLLUP_ON_READ = os.environ.get("PATRONFLOW_ROLLUP_ON_READ", _ROLLUP_ON_READ_DEFAULT) == "1"

# Delivery at scale (docs/sending.md, docs/operations.md).
# Celery broker for send workers, e.g. redis://127.0.0.1:6379/0; unset: `tick` sends inline.
BROKER_URL = os.environ.get("PATRONFLOW_BROKER_URL", "")
# The cache carries what a process running a calendar's dry run tells the web about its
# progress (operations/calendar_runs.py): the broker's Redis, shared by workers and web; without
# a broker the run is a thread of one web process, and files under VAR_DIR reach the others.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": BROKER_URL}
        if BROKER_URL.startswith(("redis://", "rediss://"))
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    )
}
# REST API (docs/api.md): requests each API token may make per minute, from all server
# processes together (counted in the database); over it: 429 with Retry-After. 0: no limit.
API_RATE_LIMIT = int(os.environ.get("PATRONFLOW_API_RATE_LIMIT", "6000") or 0)
# Webhooks (docs/webhooks.md): "1" lets deliveries go to this machine and private networks
# (loopback, private, link-local addresses; plain http:// to this machine). Unset: only
# https:// to addresses on the internet, so library staff cannot reach the operator's network.
WEBHOOKS_ALLOW_PRIVATE = os.environ.get("PATRONFLOW_WEBHOOKS_ALLOW_PRIVATE", "") == "1"
# Messages per second to the SMTP server, from all workers together when BROKER_URL is a
# Redis (shared limit, mail/ratelimit.py), else from each process; 0: as fast as it takes them.
SMTP_RATE = float(os.environ.get("PATRONFLOW_SMTP_RATE", "0") or 0)
# A claimed batch not recorded within this many seconds is presumed abandoned: what its
# sender never handed over is queued again, what it did is uncertain.
SEND_LEASE_SECONDS = int(os.environ.get("PATRONFLOW_SEND_LEASE_SECONDS", "600"))
# Soft bounces that suppress an address: this many within this many days.
SOFT_BOUNCE_LIMIT = 3
SOFT_BOUNCE_DAYS = 30
# A library's sending pauses when, over its last DELIVERY_SAMPLE deliveries, complaints or
# hard bounces pass these shares (the big mailbox providers' thresholds, with margin).
DELIVERY_SAMPLE = 1000
PAUSE_COMPLAINT_RATE = 0.001
PAUSE_HARD_BOUNCE_RATE = 0.05
# The Celery queue send batches go to (`patronflow worker` listens on it).
SEND_QUEUE = os.environ.get("PATRONFLOW_SEND_QUEUE", "patronflow-send")
# /metrics answers only with `Authorization: Bearer <token>` when this is set.
METRICS_TOKEN = os.environ.get("PATRONFLOW_METRICS_TOKEN", "")
