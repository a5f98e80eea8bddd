"""Settings of a public host: the platform's settings, serving nothing but the public site.

    DJANGO_SETTINGS_MODULE=fangkong.public.host_settings fangkong serve 0.0.0.0:8000 --workers 2 --threads 8

On the separate, read-only public host (the module's README, "Deployment") only ``/public/`` exists — no
sign-in, no staff pages, no API, no admin (404) — and a request passes through the three middlewares the
public site needs (security headers with HSTS behind TLS, the strict CSP, ``X-Frame-Options: DENY``), not
the platform's eighteen: there is no session, user or form to look after. The files are verified exactly as
on the platform's own server (``views.site_file``). It is also about half of what a request costs there
(docs/benchmarks.md).
"""

from fangkong.settings import *  # noqa: F403

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "fangkong.public.host_urls"
