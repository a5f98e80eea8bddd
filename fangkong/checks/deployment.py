"""The deployment check: a production server refuses the settings that make a demonstration unsafe.

A Django system check with the ``deploy`` tag (``fangkong check --deploy`` prints it, with Django's own
deployment warnings), also run by ``fangkong serve`` (the production server and the development server
alike) before it starts and by ``fangkong.wsgi`` when a server loads the application. It refuses:

- the development ``FANGKONG_SECRET_KEY`` (sessions and CSRF tokens could be forged) or one shorter than
  32 characters;
- the development ``FANGKONG_PII_KEY`` (it is in the public source: every sealed citizen ID and phone
  number could be decrypted) or one shorter than 32 characters;
- ``FANGKONG_DEBUG=1`` (tracebacks with settings and data in error pages);
- cookies without ``Secure`` (``FANGKONG_TLS=1`` behind TLS sets them, with HSTS).

With ``FANGKONG_DEMO=1`` (``make demo`` sets it) each is a warning instead: a demonstration on a laptop,
a training room, a benchmark, a test server.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks

MIN_KEY_LENGTH = 32


def deployment_problems() -> list[tuple[str, str, str]]:
    """(id, message, hint) for each setting a production server must not run with."""
    problems = []
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY or len(settings.SECRET_KEY) < MIN_KEY_LENGTH:
        problems.append(("001", "FANGKONG_SECRET_KEY is the development key (or shorter than 32 characters).",
                         "Set FANGKONG_SECRET_KEY to a long random value, e.g. `python -c \"import secrets; "
                         "print(secrets.token_urlsafe(50))\"`."))
    if settings.PII_KEY == settings.DEV_PII_KEY or len(settings.PII_KEY) < MIN_KEY_LENGTH:
        problems.append(("002", "FANGKONG_PII_KEY is the development key (or shorter than 32 characters): "
                                "the sealed citizen IDs and phone numbers could be decrypted by anyone.",
                         "Set FANGKONG_PII_KEY to a long random value before the first person is registered, "
                         "and keep it: data sealed with it cannot be read without it."))
    if settings.DEBUG:
        problems.append(("003", "FANGKONG_DEBUG is on: error pages would show settings and data.",
                         "Unset FANGKONG_DEBUG (or set it to 0)."))
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        problems.append(("004", "Session and CSRF cookies are sent without Secure.",
                         "Serve over TLS and set FANGKONG_TLS=1 (Secure cookies, HSTS; behind a proxy that sets "
                         "X-Forwarded-Proto)."))
    return problems


@checks.register(checks.Tags.security, deploy=True)
def check_deployment_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    demo = getattr(settings, "DEMO", False)
    level, prefix = (checks.Warning, "fangkong.W") if demo else (checks.Error, "fangkong.E")
    suffix = " (accepted: FANGKONG_DEMO=1)" if demo else ""
    return [level(message + suffix, hint=hint, id=prefix + number)
            for number, message, hint in deployment_problems()]
