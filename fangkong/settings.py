"""Django settings for fangkong, read from the environment.

The embedded default (no environment at all) is a SQLite file under ``./var/`` with background jobs
run in-process: what ``make demo`` uses. Production sets at least:

- ``DATABASE_URL`` — e.g. ``postgres://user:pass@host:5432/fangkong`` (psycopg 3);
- ``CELERY_BROKER_URL`` — e.g. ``redis://127.0.0.1:6379/0``: jobs then go to Celery workers;
- ``FANGKONG_SECRET_KEY`` and ``FANGKONG_PII_KEY`` — the Django secret and the key that protects
  citizen IDs and phone numbers (keyed hash + authenticated encryption);
- ``FANGKONG_DEBUG=0`` (the default), ``FANGKONG_ALLOWED_HOSTS``;
- ``FANGKONG_CACHE_URL`` — e.g. ``redis://127.0.0.1:6379/1``: Django's Redis cache, shared by every server
  worker, job worker and command (the dashboard's figures and the data generation they are keyed on,
  ``fangkong.data_generation``). Without it the cache is local memory, per process: right for the
  development server (``make demo``), not for ``fangkong serve --workers N`` (which refuses N > 1 then);
- ``FANGKONG_CONN_MAX_AGE`` — seconds a worker keeps its database connection (default 60; one connection
  per gunicorn worker, so N workers hold at most N connections). ``fangkong serve`` without ``--workers``
  (the development server, a thread per request) closes it after each request.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("FANGKONG_HOME", Path.cwd())).resolve()
VAR_DIR = BASE_DIR / "var"


def _env_flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


DEBUG = _env_flag("FANGKONG_DEBUG", False)
# The development defaults below are refused when DEBUG is off and the embedded database is not used
# (see fangkong.checks.deployment).
DEV_SECRET_KEY = "fangkong-dev-only-secret-not-for-production"  # noqa: S105
DEV_PII_KEY = "fangkong-dev-only-pii-key-not-for-production"  # noqa: S105
SECRET_KEY = os.environ.get("FANGKONG_SECRET_KEY", DEV_SECRET_KEY)
PII_KEY = os.environ.get("FANGKONG_PII_KEY", DEV_PII_KEY)
ALLOWED_HOSTS = os.environ.get("FANGKONG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "fangkong.audit",
    "fangkong.regions",
    "fangkong.accounts",
    "fangkong.persons",
    "fangkong.protocols",
    "fangkong.cases",
    "fangkong.surveillance",
    "fangkong.dashboard",
    "fangkong.bulletins",
    "fangkong.api",
    "fangkong.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "fangkong.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "fangkong.accounts.access.DefaultDenyMiddleware",
]

ROOT_URLCONF = "fangkong.urls"
WSGI_APPLICATION = "fangkong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fangkong.web.context.shell",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'fangkong.sqlite3'}"),
        conn_max_age=int(os.environ.get("FANGKONG_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "transaction_mode": "IMMEDIATE"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("FANGKONG_TEST_DB")} if os.environ.get(
    "FANGKONG_TEST_DB"
) else {}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = os.environ.get("FANGKONG_CACHE_URL", "")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": "fangkong"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fangkong"}}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "fangkong.api.errors.error_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fangkong API",
    "DESCRIPTION": "防控 — infectious-disease prevention and control. Every read is scoped to the caller's regions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui-dist",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui-dist/favicon-32x32.png",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FANGKONG_LOG_LEVEL", "WARNING")},
}
