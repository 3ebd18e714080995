"""Settings for cptref: one module, every value that varies read from the environment.

Defaults are safe: DEBUG off, SQLite under the project folder, hosts limited to localhost, plain
HTTP (an intranet may not have certificates). With DEBUG off a secret key must be given.
`make run` turns DEBUG on explicitly; README.md § Configuration lists every variable.
"""

import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}")
    return int(value)


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envorigins(name: str) -> list[str]:
    origins = envlist(name, "")
    for origin in origins:
        if not re.fullmatch(r"https?://[^/\s]+", origin):
            raise ImproperlyConfigured(
                f"{name} must list origins like https://cptref.example.org, not {origin!r}"
            )
    return origins


def envcache(*names: str) -> dict:
    """A shared Redis cache from the first of `names` that is set, else this process's memory."""
    url = next((os.environ[name].strip() for name in names if os.environ.get(name)), "")
    if not url:
        # codes/caching.py keeps whole pages: room for a few thousand of them per process.
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"{' or '.join(names)} must be a redis://, rediss:// or unix:// URL, not {url!r}"
        )
    # The prefix keeps these entries apart from other users of a shared Redis.
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "cptref",
    }


DEBUG = envbool("DJANGO_DEBUG", "false")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: give it a long random value (`make test` and "
            "`make bench` bring their own, DJANGO_DEBUG=true uses a development key)."
        )
    # For development only; its prefix makes `check --deploy` flag it.
    SECRET_KEY = "django-insecure-cptref-development-key-do-not-use-in-production"
ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envorigins("DJANGO_CSRF_TRUSTED_ORIGINS")

# HTTPS: on only where the site is served over HTTPS (an intranet may serve plain HTTP, and then
# secure cookies would never come back and HSTS would lock browsers out).
HTTPS = envbool("DJANGO_HTTPS", "false")
# Behind a reverse proxy, the client's scheme and address come in X-Forwarded-Proto and
# X-Forwarded-For; trust them only when the proxy sets them and is the only way in.
BEHIND_PROXY = envbool("DJANGO_BEHIND_PROXY", "false")
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
# Monitoring may probe gunicorn directly over HTTP: a redirect would read as a failure.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 365 * 24 * 60 * 60)
SECURE_HSTS_SECONDS = HSTS_SECONDS if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# No script of the site or the admin reads the CSRF cookie (forms carry the token).
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS preloading is for public domains: an intranet host name cannot be on the browsers' list.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Every page needs a signed-in user (except /healthz and the login page); codes/caching.py reads
# this too, to mark pages private.
SITE_REQUIRE_LOGIN = envbool("SITE_REQUIRE_LOGIN", "false")
# The request header in which the organisation's single-sign-on proxy names the user, as Django
# spells it in request.META (HTTP_X_REMOTE_USER for X-Remote-User); empty: off. README.md says
# when it is safe.
REMOTE_USER_HEADER = os.environ.get("DJANGO_REMOTE_USER_HEADER", "").strip()
if REMOTE_USER_HEADER and not re.fullmatch(r"HTTP_[A-Z0-9_]+|REMOTE_USER", REMOTE_USER_HEADER):
    raise ImproperlyConfigured(
        "DJANGO_REMOTE_USER_HEADER must be a request.META name such as HTTP_X_REMOTE_USER, "
        f"not {REMOTE_USER_HEADER!r}"
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tables2",
    "django_filters",
    "axes",
    "simple_history",
    "codes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cptref.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    *(["cptref.middleware.ProxyRemoteUserMiddleware"] if REMOTE_USER_HEADER else []),
    "cptref.middleware.SiteLoginRequiredMiddleware",
    # Records the signed-in user on the history of every record a request saves, inlines too.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cptref.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out client is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    *(["django.contrib.auth.backends.RemoteUserBackend"] if REMOTE_USER_HEADER else []),
]

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed sign-ins for one user name
# from one address, that pair is refused for the cool-off time. Locking by address alone would
# lock a whole office out behind one NAT or proxy address.
AXES_FAILURE_LIMIT = envint("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "locked_out.html"
AXES_CLIENT_IP_CALLABLE = "cptref.middleware.client_ip"

ROOT_URLCONF = "cptref.urls"

# The site's pages are Jinja2 templates in templates/ (see codes/templating.py); the admin and
# django-tables2's table template use Django's language, from templates/django/ and the apps.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "codes.templating.environment",
            "context_processors": [
                "django.template.context_processors.request",
                "codes.context_processors.site_nav",
            ],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates" / "django"],
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

WSGI_APPLICATION = "cptref.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# SQLite's write-ahead log: readers and the one writer no longer wait for each other, and a
# statement no longer locks and unlocks the file and looks for a hot journal around itself (a
# one-row read took 12 µs in the default rollback journal, 6 in WAL, 1.3 of it its own work:
# pages 3-10% sooner, 2026-12-06). Commits stay synchronous: nothing an editor saves is lost with
# the machine. A database on a network file system, where the log's shared index cannot work,
# takes SQLITE_JOURNAL_MODE=delete. Checked whatever the database, as every variable is.
SQLITE_JOURNAL_MODE = os.environ.get("SQLITE_JOURNAL_MODE", "wal").strip().lower()
if SQLITE_JOURNAL_MODE not in ("wal", "delete", "truncate", "persist"):
    raise ImproperlyConfigured(
        f"SQLITE_JOURNAL_MODE must be wal, delete, truncate or persist, not {SQLITE_JOURNAL_MODE!r}"
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, converting each statement's placeholders once (cptref/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "cptref.sqlite"
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["init_command"] = f"PRAGMA journal_mode={SQLITE_JOURNAL_MODE}"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

DJANGO_TABLES2_TEMPLATE = "_table.html"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "codes:home"
LOGOUT_REDIRECT_URL = "login"

# Downloads of more than a few thousand rows are written to files here, once per content version,
# and served from them (codes/exports.py); every worker of the site must reach the folder.
EXPORT_DIR = Path(
    os.environ.get("EXPORT_DIR", "").strip() or Path(tempfile.gettempdir()) / "cptref-exports"
)

# Optimistic locking (django-concurrency, codes/locking.py): a save based on an older version
# raises EditConflict, which the admin explains. No database triggers: the version is counted by
# the saves themselves.
CONCURRENCY_CALLBACK = "codes.conflicts.refuse_stale_save"
CONCURRENCY_AUTO_CREATE_TRIGGERS = False

CACHES = {"default": envcache("CACHE_URL", "REDIS_URL")}
# PostgreSQL: each process keeps the content version up to date from a notification, so cached
# pages need no query (codes/version_listener.py); off, each cached page reads it.
CONTENT_VERSION_LISTENER = envbool("CONTENT_VERSION_LISTENER", "true")

# Content-Security-Policy (django-csp builds it; cptref.middleware sends it): everything from this
# site, nothing inline, no frames.
# The admin (autocompletes, inline rows, date widgets) works under it as is: checked in Chromium
# with no violation reported, since Django's admin and its select2 set styles through the DOM.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Errors and their tracebacks go to stderr (gunicorn's log, the journal): with DEBUG off Django
# sends them nowhere but to ADMINS by mail. With DEBUG on, Django's own console handler does it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"debug_off": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "filters": ["debug_off"]}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
