"""Settings for 证书互认查询, read from the environment.

Every default is production's: debug off, HTTPS only. `make run` and the test
suite set the few variables they need (see the Makefile); docs/deploy.md lists
every variable.
"""

import os
import re
import sys
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.database import database_settings

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_flag("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-local-development-key-not-for-production"
    else:
        sys.exit(
            "DJANGO_SECRET_KEY is not set: set it to a long random string "
            "(or set DJANGO_DEBUG=1 for local development)."
        )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "config.apps.AdminConfig",  # django.contrib.admin with config.admin_site.StaffAdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "reversion",
    "import_export",
    "config.apps.AxesConfig",
    "csp",
    "recognition",
]

# No LocaleMiddleware while the site speaks one language: it would add
# `Vary: Accept-Language` to every page and split a CDN's cache by browser
# language for nothing. Add it back with the second language.
MIDDLEWARE = [
    # Outermost: a response made before the header middleware below ran (a refused Host, a refused body,
    # the 503 of a database that cannot be reached) gets their headers too (config/middleware.py).
    "config.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a body: one too large for its address, or any body on a public (GET-only) address,
    # is refused before a byte of it is read (recognition/http/bodies.py).
    "recognition.http.bodies.BodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the database: a stale connection is replaced, and a
    # database that cannot be reached answers 503 (config/dbhealth.py).
    "config.dbhealth.DatabaseHealthMiddleware",
    # A public answer already rendered is served here, after the HTTPS redirect,
    # HSTS and the Host check above and before every middleware below, which it
    # does not need again: it keeps the headers they added when it was rendered
    # (CSP and Permissions-Policy included; both are the same for every answer).
    "recognition.http.answer_store.AnswerMiddleware",
    # Inside the answer store, so the header is kept with the answer.
    "recognition.http.cors.PublicAPICorsMiddleware",
    "config.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Knows the user, and runs before CSRF's check reads the body: only staff may send an upload's worth.
    "recognition.http.bodies.StaffBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # The public pages and the parts they repeat (recognition.site.jinja).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "recognition.site.jinja.environment"},
    },
]

DATABASES = {
    "default": database_settings(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # Off: the data version query that starts every public request is the
        # health check (recognition.rules.snapshot), which saves a round trip each
        # time; staff requests check first (config.dbhealth).
        conn_health_checks=env_flag("DATABASE_CONN_HEALTH_CHECKS", False),
    )
}

# Nothing lives on an app server's disk: sessions in the database (read
# through the shared cache when there is one), so any server can answer any
# request. An import's upload waits for its confirmation in the shared cache;
# without one, in the temporary folder, which every worker of one server sees.
CACHE_URL = os.environ.get("CACHE_URL", "")
# A cache that does not answer within a second is down, not waited for: public answers are then rendered
# (recognition.http.answer_store), sessions read from the database.
REDIS_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": REDIS_OPTIONS,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    IMPORT_EXPORT_TMP_STORAGE_CLASS = "recognition.staff.uploads.UploadStorage"
# Where an upload waits for 确认导入 without a shared cache. Empty: a folder in the system's temporary folder.
IMPORT_UPLOAD_DIR = os.environ.get("IMPORT_UPLOAD_DIR", "")
# Import limits (recognition.staff.uploads): a file over them is refused at once, with a message saying so.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(2 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "2000"))
# Seconds an import may take, reading the file included, before it stops (nothing written). The request
# bounds itself (recognition.staff.uploads): with threaded workers no server timeout ends it.
IMPORT_TIME_LIMIT = float(os.environ.get("IMPORT_TIME_LIMIT", "20"))
IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("IMPORT_MAX_UNPACKED_BYTES", str(20 * 1024 * 1024)))
# Checked row by row as a sheet is read: columns beyond the import's own (16) that a row may have (notes staff
# add, ignored), and cells in all (empty ones too): 2,000 rows of 26 columns, and some.
IMPORT_EXTRA_COLUMNS = int(os.environ.get("IMPORT_EXTRA_COLUMNS", "10"))
IMPORT_MAX_CELLS = int(os.environ.get("IMPORT_MAX_CELLS", "60000"))

# Request bodies (recognition/http/bodies.py), refused with a Chinese 413 before anything reads them. Staff
# may send the largest legitimate upload (an import, IMPORT_MAX_BYTES) with its form around it; anyone else,
# a login form's worth. Public pages and the API take no body at all (405).
REQUEST_BODY_MAX_BYTES = int(os.environ.get("REQUEST_BODY_MAX_BYTES", str(IMPORT_MAX_BYTES + 64 * 1024)))
ANONYMOUS_BODY_MAX_BYTES = int(os.environ.get("ANONYMOUS_BODY_MAX_BYTES", str(16 * 1024)))
# Every body allowed is parsed in memory, never spooled to a file in the temporary folder.
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Only the admin shows messages, and it has a session: no messages cookie, and
# cheaper to set up on every request than the default cookie-then-session storage.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文"))]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Hashed names (every {% static %} URL) are cached for ten years as immutable
# by whitenoise itself; this is for a file asked for by its plain name.
WHITENOISE_MAX_AGE = 3600

# Security: on by default whenever debug is off.
SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# The load balancer probes each server on plain HTTP: a redirect would say nothing about its health.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["DJANGO_SECURE_PROXY_SSL_HEADER"], "https")
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_flag("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# Only staff have sessions. A working day (10 hours) from the last change to the session: a morning's login
# lasts the day, and a browser left logged in on a shared office computer, or a stolen cookie, stops
# working overnight instead of for Django's default two weeks.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(10 * 3600)))
# The admin is the only place to log in: a `next` it refuses (outside the admin and the staff preview,
# config.admin_site) lands on its home, not on Django's default /accounts/profile/, which this site lacks.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# The site uses none of the browser's powerful features; nor may anything it ever embeds.
PERMISSIONS_POLICY = {
    name: []
    for name in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Login throttling: five failures lock the username and address out for an hour.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_COOLOFF_MESSAGE = _("登录失败次数过多,账户已暂时锁定,请稍后再试。")
AXES_PERMALOCK_MESSAGE = _("登录失败次数过多,账户已锁定,请联系管理员解锁。")

# The site's canonical address (scheme and host, no path), printed with every result and in its QR
# code. Empty: the request's host as ALLOWED_HOSTS checked it, with the server's own port (local use).
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/")
if SITE_URL and not re.fullmatch(r"https?://[^/?#\s]+", SITE_URL):
    sys.exit(f"SITE_URL must be a scheme and a host such as https://hurenn.example.gov.cn, not {SITE_URL!r}.")

# Public pages and the API: how long a shared cache may keep an answer.
PUBLIC_CACHE_MAX_AGE = int(os.environ.get("PUBLIC_CACHE_MAX_AGE", "60"))
# Seconds within which a process trusts its rules without asking the database
# for the data version: the bound within which a published change reaches
# every worker of every server (the admin and docs/deploy.md say so). 0: every
# request checks. The staff preview always checks.
RULES_VERSION_CHECK_INTERVAL = float(os.environ.get("RULES_VERSION_CHECK_INTERVAL", "1"))
# Megabytes of rendered public answers each process keeps (recognition/http/answer_store.py); 0: none.
PUBLIC_PAGE_CACHE_MB = float(os.environ.get("PUBLIC_PAGE_CACHE_MB", "32"))
# Megabytes of QR codes each process keeps, one per printed address (recognition/http/memo.py); about 4 KB
# each for the site's own addresses, so 8 MB holds some 2,000 of them.
QR_CACHE_MB = float(os.environ.get("QR_CACHE_MB", "8"))
# Rendered cards, each kept once for every page that shows it (recognition.site.fragments).
FRAGMENT_CACHE_MB = float(os.environ.get("FRAGMENT_CACHE_MB", "16"))
# Keep rendered answers in the shared cache too, for every worker of every server.
PUBLIC_ANSWERS_SHARED = bool(CACHE_URL) and env_flag("PUBLIC_ANSWERS_SHARED", True)
# Part of every ETag, so a new release never answers 304 for a page the old
# one rendered. Empty: a hash of the code and templates (see recognition.http.conditional).
RELEASE_ID = os.environ.get("DJANGO_RELEASE_ID", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
