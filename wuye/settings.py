"""One settings module: every knob comes from the environment (WUYE_*, DATABASE_URL).

The defaults give a working local system with nothing installed: SQLite in `var/`, in-process
background jobs, a secret key generated into `var/` on first run.
"""

import base64
import binascii
import hashlib
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {value!r}")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envsecret(name: str, data_dir: Path, generate=lambda: secrets.token_urlsafe(50)) -> str:
    """A secret from NAME, NAME_FILE, or (embedded default) a file generated into the data folder."""
    if os.environ.get(name):
        return os.environ[name]
    if os.environ.get(f"{name}_FILE"):
        return Path(os.environ[f"{name}_FILE"]).read_text().strip()
    path = data_dir / name.lower()
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(generate())
        path.chmod(0o600)
    return path.read_text().strip()


DATA_DIR = Path(os.environ.get("WUYE_DATA_DIR", BASE_DIR / "var"))
DEBUG = envbool("WUYE_DEBUG", "false")
SECRET_KEY = envsecret("WUYE_SECRET_KEY", DATA_DIR)
ALLOWED_HOSTS = envlist("WUYE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("WUYE_CSRF_TRUSTED_ORIGINS", "")


def field_key(text: str) -> str:
    """The personal-data key must be 32 bytes of URL-safe base64; anything else stops start-up
    (a wrong key is caught against the database's fingerprint by the `core` system check)."""
    try:
        raw = base64.urlsafe_b64decode(text.encode())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ImproperlyConfigured(
            "WUYE_FIELD_KEY must be 32 bytes in URL-safe base64 (44 characters); see docs/people.md"
        )
    return text


# Encrypts ID, passport and phone numbers at rest (wuye.core.crypto).
WUYE_FIELD_KEY = field_key(
    envsecret(
        "WUYE_FIELD_KEY",
        DATA_DIR,
        generate=lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )
)

INSTALLED_APPS = [
    # wuye's apps first: their translations (the glossary's words) win over Django's own.
    "wuye.core",
    "wuye.estate",
    "wuye.staff",
    "wuye.people",
    "wuye.approvals",
    "wuye.servicedesk",
    "wuye.ledger",
    "wuye.billing",
    "wuye.pastbills",
    "wuye.dunning",
    "wuye.onlinepay",
    "wuye.portal",
    "wuye.workbench",
    "wuye.api",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "wuye.core.middleware.CurrentSiteMiddleware",
]

ROOT_URLCONF = "wuye.urls"
WSGI_APPLICATION = "wuye.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "wuye" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wuye.core.context_processors.current_site",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'wuye.sqlite3'}"),
        conn_max_age=envint("WUYE_DB_CONN_MAX_AGE", "0"),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and immediate transactions let the web server and the in-process job runner share
    # one file without "database is locked" on concurrent writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATA_DIR.mkdir(parents=True, exist_ok=True)
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # PostgreSQL's JIT spends seconds compiling the ledger's correlated reads (arrears, late
    # fees) that run in a second without it: measured by `wuye bench collections`.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's model backend, with a user's permissions read in one query (wuye.core.backends).
AUTHENTICATION_BACKENDS = ["wuye.core.backends.OneQueryPermissionsBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "login"
# Lockout after repeated failed logins (per username and per client address).
WUYE_LOGIN_MAX_FAILURES = envint("WUYE_LOGIN_MAX_FAILURES", "5")
WUYE_LOGIN_LOCKOUT_MINUTES = envint("WUYE_LOGIN_LOCKOUT_MINUTES", "15")
# How long a payment waits for a row another transaction holds (a receipt number, a figure,
# a line) before the cashier is told the system is busy: one stuck transaction can't stop every
# cashier of a site (PostgreSQL `lock_timeout`, in milliseconds; 0 waits for ever).
WUYE_LOCK_TIMEOUT_MS = envint("WUYE_LOCK_TIMEOUT_MS", "5000")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "wuye" / "locale"]
TIME_ZONE = os.environ.get("WUYE_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve vendored static files straight from the apps, so the default needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("WUYE_MEDIA_ROOT", DATA_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("WUYE_SECURE_COOKIES", "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Background work: Celery with a broker when WUYE_BROKER_URL is set, in-process otherwise.
WUYE_BROKER_URL = os.environ.get("WUYE_BROKER_URL", "")
CELERY_BROKER_URL = WUYE_BROKER_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# In-process mode runs jobs on a background thread; tests set this to run them at once.
WUYE_JOBS_INLINE = envbool("WUYE_JOBS_INLINE", "false")
# A job working inside one transaction (a bill run) reports its progress through the cache.
# In-process jobs share the server's memory; with a broker, name a cache the workers share too
# (e.g. WUYE_CACHE_URL=redis://127.0.0.1:6379/1).
WUYE_CACHE_URL = os.environ.get("WUYE_CACHE_URL", "")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": WUYE_CACHE_URL,
    }
    if WUYE_CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

WUYE_PAGE_SIZE = envint("WUYE_PAGE_SIZE", "50")

# Online payment: the default gateway (a dotted path; the built-in simulator unless set) and the
# secret the simulator signs its notifications with (derived from the secret key unless set).
WUYE_PAYMENT_GATEWAY = os.environ.get(
    "WUYE_PAYMENT_GATEWAY", "wuye.onlinepay.simulator.SimulatorGateway"
)
WUYE_GATEWAY_SECRET = (
    os.environ.get("WUYE_GATEWAY_SECRET")
    or hashlib.sha256(b"wuye-gateway:" + SECRET_KEY.encode()).hexdigest()
)
# Sends notices' SMS and app messages (a dotted path); the default writes them to the log.
WUYE_MESSAGE_SENDER = os.environ.get("WUYE_MESSAGE_SENDER", "wuye.dunning.senders.ConsoleSender")
# API lists: `?page=N`, `{"items": [...], "count": total}`.
NINJA_PAGINATION_CLASS = "ninja.pagination.PageNumberPagination"
NINJA_PAGINATION_PER_PAGE = WUYE_PAGE_SIZE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WUYE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
