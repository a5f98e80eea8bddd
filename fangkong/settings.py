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

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("FANGKONG_HOME", Path.cwd())).resolve()
VAR_DIR = BASE_DIR / "var"


def _env_flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


DEBUG = _env_flag("FANGKONG_DEBUG", False)
# A demonstration (make demo, training, benchmarks): the deployment check only warns about the
# development keys, DEBUG and cookies without Secure (two-factor sign-in stays as configured).
DEMO = _env_flag("FANGKONG_DEMO", False)
# The development defaults below are refused by the production server (``fangkong serve --workers N``)
# and by ``fangkong check --deploy`` unless FANGKONG_DEMO=1 (fangkong.checks.deployment).
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
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "fangkong.audit",
    "fangkong.regions",
    "fangkong.accounts",
    "fangkong.persons",
    "fangkong.protocols",
    "fangkong.cases",
    "fangkong.surveillance",
    "fangkong.dashboard",
    "fangkong.bulletins",
    "fangkong.followup",
    "fangkong.places",
    "fangkong.crossregion",
    "fangkong.worklists",
    "fangkong.inbound",
    "fangkong.public",
    "fangkong.keypopulations",
    "fangkong.resources",
    "fangkong.interop",
    "fangkong.laboratory",
    "fangkong.enterprises",
    "fangkong.retention",
    "fangkong.api",
    "fangkong.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",  # Django's own: SECURE_CSP below
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the second factor given in this session
    "fangkong.accounts.two_factor.SecondFactorMiddleware",  # nothing but the second-factor step until then
    "fangkong.accounts.session_expiry.IdleSessionMiddleware",
    "fangkong.web.middleware.NoStoreForSignedInMiddleware",
    "fangkong.audit.services.CurrentRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "fangkong.accounts.access.DefaultDenyMiddleware",
    "axes.middleware.AxesMiddleware",
    "fangkong.request_params.ParametersMiddleware",  # after the access check: anonymous pages sign in first
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
# "axes" holds the failed sign-in counters: in Redis beside the rest when there is one (shared by every
# worker), else in a local-memory cache of its own, large enough that a flood of made-up names cannot
# push a real account's counter out.
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                          "KEY_PREFIX": "fangkong"},
              "axes": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL,
                       "KEY_PREFIX": "fangkong-signin"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fangkong"},
              "axes": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fangkong-signin",
                       "OPTIONS": {"MAX_ENTRIES": 200_000}}}
    # django-axes warns that a local-memory cache is not shared between processes. Without
    # FANGKONG_CACHE_URL there is only one serving process (the development server's threads, or
    # ``fangkong serve --workers 1``, since more workers are refused), and it holds every counter.
    SILENCED_SYSTEM_CHECKS = ["axes.W001"]

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses every sign-in of a locked-out name or address
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling (django-axes, fangkong.accounts.signin_throttle): after FANGKONG_SIGNIN_FAILURE_LIMIT
# failed sign-ins for one user name, or from one address, that name or address is locked out for
# FANGKONG_SIGNIN_COOLOFF_MINUTES, counted from the latest failure (failing again while locked out starts
# the cool-off again); the right password is refused meanwhile. FANGKONG_SIGNIN_LOCKOUT_BY=username drops
# the per-address lock-out (many users behind one proxy address that cannot pass the client's on).
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_CACHE = "axes"
AXES_FAILURE_LIMIT = int(os.environ.get("FANGKONG_SIGNIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("FANGKONG_SIGNIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [p.strip() for p in os.environ.get("FANGKONG_SIGNIN_LOCKOUT_BY", "username,ip_address")
                           .split(",") if p.strip()]
AXES_CLIENT_IP_CALLABLE = "fangkong.audit.services.client_ip"  # REMOTE_ADDR: never a header a client can forge
AXES_LOCKOUT_CALLABLE = "fangkong.accounts.signin_throttle.locked_out"
AXES_RESET_ON_SUCCESS = False  # one valid account must not reset an address's count of guesses at others
AXES_VERBOSE = False
# Failed sign-ins in the audit trail, bounded: per existing account at most one failure and one lock-out
# event per cool-off; for names that do not exist, at most this many events per hour in all.
AUDIT_UNKNOWN_SIGNIN_EVENTS_PER_HOUR = int(os.environ.get("FANGKONG_AUDIT_UNKNOWN_SIGNIN_PER_HOUR", "100"))
# Refused object access and refused actions of signed-in users, per user and hour (fangkong.audit.services).
AUDIT_REFUSALS_PER_USER_PER_HOUR = int(os.environ.get("FANGKONG_AUDIT_REFUSALS_PER_HOUR", "30"))
# Two-factor sign-in (django-otp, fangkong.accounts.two_factor): commanders and system administrators may
# enrol a TOTP authenticator app (with recovery codes); once enrolled, nothing but the code step is served
# until the code is given. FANGKONG_TWO_FACTOR_REQUIRED=1 makes enrolment compulsory for those roles
# (sent to enrolment at sign-in). Off by default, so `make demo` signs in with passwords alone.
TWO_FACTOR_REQUIRED = _env_flag("FANGKONG_TWO_FACTOR_REQUIRED", False)
OTP_TOTP_ISSUER = "fangkong"
OTP_TOTP_THROTTLE_FACTOR = 1  # after n wrong codes the next is refused for 2^(n-1) s, kept across sessions
OTP_STATIC_THROTTLE_FACTOR = 1
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
# Idle expiry: a session ends after this many seconds without a request (fangkong.accounts.session_expiry
# renews it at most every SESSION_RENEW_SECONDS, so it may end up to that much earlier).
SESSION_IDLE_SECONDS = int(os.environ.get("FANGKONG_SESSION_IDLE_SECONDS", str(8 * 3600)))
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_RENEW_SECONDS = max(1, min(300, SESSION_IDLE_SECONDS // 10))
# Served over TLS (directly or behind a reverse proxy that terminates it): Secure cookies, HSTS, and
# plain-HTTP requests redirected. Behind a proxy, the proxy must set (and overwrite) the header named by
# FANGKONG_TLS_PROXY_HEADER (default X-Forwarded-Proto) to "https"; set it empty when gunicorn itself
# terminates TLS.
TLS = _env_flag("FANGKONG_TLS", False)
SESSION_COOKIE_SECURE = TLS
CSRF_COOKIE_SECURE = TLS
if TLS:
    SECURE_HSTS_SECONDS = int(os.environ.get("FANGKONG_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    _proxy_header = os.environ.get("FANGKONG_TLS_PROXY_HEADER", "X-Forwarded-Proto")
    if _proxy_header:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy of every response (Django's CSP middleware): nothing from outside, no inline
# script or style, no framing.
SECURE_CSP = {
    "default-src": [CSP.SELF], "script-src": [CSP.SELF], "style-src": [CSP.SELF], "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF], "connect-src": [CSP.SELF], "frame-ancestors": [CSP.NONE], "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "fangkong.accounts.two_factor.TokenAuthentication",  # refuses the tokens of two-factor users
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated",
                                   "fangkong.accounts.need_to_know.NeedToKnowPermission"],
    "DEFAULT_PARSER_CLASSES": ["fangkong.api.parsers.JSONObjectParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_SCHEMA_CLASS": "fangkong.api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "fangkong.api.pagination.KeysetPagination",
    "EXCEPTION_HANDLER": "fangkong.api.errors.error_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fangkong API",
    "DESCRIPTION": "防控 — infectious-disease prevention and control. Every read is scoped to the caller's regions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui-dist",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui-dist/favicon-32x32.png",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {"region": {"type": "string", "pattern": r"^\d{6}(\d{3}){0,2}$"}},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "fangkong.api.schema.error_component_add"],
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
# An import job that shows no sign of life for this many hours is abandoned and its (sealed) file dropped;
# finished jobs drop theirs at once (fangkong.cases.jobs.import_jobs_purge).
IMPORT_FILE_HOURS = int(os.environ.get("FANGKONG_IMPORT_FILE_HOURS", "24"))
# the working periods of the task calendar (fangkong.worklists.hours), e.g. "08:30-12:00,14:00-17:30"
FANGKONG_WORKING_PERIODS = os.environ.get("FANGKONG_WORKING_PERIODS", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("FANGKONG_LOG_LEVEL", "WARNING")},
}
