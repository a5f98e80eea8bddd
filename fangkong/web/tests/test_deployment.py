"""The deployment check: what a careless administrator forgets (keys, DEBUG, TLS) stops the production server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from fangkong.checks.deployment import check_deployment_settings
from fangkong.cli import deployment_refusal

STRONG = {"SECRET_KEY": "k" * 20 + "Q7x!pZ2mV9#rT4wL8yB1nC6hJ3dF0sG5", "PII_KEY": "p" * 10 + "V8dN3qR6tY1uI4oP7aS0fG2hJ5kL9zX",
          "DEBUG": False, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "DEMO": False}


def _ids(settings_overrides, settings):
    for name, value in settings_overrides.items():
        setattr(settings, name, value)
    return sorted(m.id for m in check_deployment_settings())


def test_a_configured_deployment_passes(settings):
    assert _ids(STRONG, settings) == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"SECRET_KEY": "fangkong-dev-only-secret-not-for-production"}, ["fangkong.E001"]),
    ({"SECRET_KEY": "short-but-not-the-default"}, ["fangkong.E001"]),
    ({"PII_KEY": "fangkong-dev-only-pii-key-not-for-production"}, ["fangkong.E002"]),
    ({"DEBUG": True}, ["fangkong.E003"]),
    ({"SESSION_COOKIE_SECURE": False}, ["fangkong.E004"]),
    ({"CSRF_COOKIE_SECURE": False}, ["fangkong.E004"]),
])
def test_each_forgotten_setting_is_an_error(settings, change, expected):
    assert _ids(STRONG | change, settings) == expected


def test_the_demo_flag_turns_them_into_warnings(settings):
    careless = STRONG | {"SECRET_KEY": settings.DEV_SECRET_KEY, "PII_KEY": settings.DEV_PII_KEY, "DEBUG": True,
                         "SESSION_COOKIE_SECURE": False, "DEMO": True}
    assert _ids(careless, settings) == ["fangkong.W001", "fangkong.W002", "fangkong.W003", "fangkong.W004"]


def test_check_deploy_prints_what_is_wrong(settings):
    settings.DEMO = False
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", deploy=True, tags=["security"])
    assert "FANGKONG_SECRET_KEY is the development key" in str(raised.value)
    assert "FANGKONG_PII_KEY is the development key" in str(raised.value)
    assert deployment_refusal() is not None


def _environment(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGKONG_") and k != "DATABASE_URL"}
    return env | extra


def test_the_production_server_exits_with_the_development_keys(tmp_path):
    """DEBUG off, both development keys: `fangkong serve --workers 1` stops before gunicorn starts."""
    done = subprocess.run([sys.executable, "-m", "fangkong.cli", "serve", "127.0.0.1:1", "--workers", "1"],
                          cwd=tmp_path, env=_environment(FANGKONG_HOME=str(tmp_path)), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "refusing to start the production server" in done.stderr
    assert "FANGKONG_SECRET_KEY" in done.stderr and "FANGKONG_PII_KEY" in done.stderr
    assert "Starting gunicorn" not in done.stderr + done.stdout


def test_the_development_server_is_refused_too_without_the_demo_flag(tmp_path):
    done = subprocess.run([sys.executable, "-m", "fangkong.cli", "serve", "127.0.0.1:1"], cwd=tmp_path,
                          env=_environment(FANGKONG_HOME=str(tmp_path)), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "refusing to start" in done.stderr
    assert "Starting development server" not in done.stderr + done.stdout


def test_the_wsgi_application_refuses_the_development_keys(tmp_path):
    """A server started without `fangkong serve` (gunicorn fangkong.wsgi by hand) loads fangkong.wsgi: it
    stops there with the same message; with FANGKONG_DEMO=1 the application loads."""
    load = [sys.executable, "-c", "import gc, fangkong.wsgi; print('loaded', fangkong.wsgi.application is not None, "
            "'frozen', gc.get_freeze_count() > 10000)"]
    refused = subprocess.run(load, cwd=tmp_path, env=_environment(FANGKONG_HOME=str(tmp_path)), capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 1 and "loaded" not in refused.stdout
    assert "refusing to start the production server" in refused.stderr and "FANGKONG_PII_KEY" in refused.stderr
    demo = subprocess.run(load, cwd=tmp_path, env=_environment(FANGKONG_HOME=str(tmp_path), FANGKONG_DEMO="1"),
                          capture_output=True, text=True, timeout=120)
    assert demo.returncode == 0 and "loaded True" in demo.stdout
    assert "frozen True" in demo.stdout  # the loaded application is kept out of the collector's walks


def test_tls_flag_sets_secure_cookies_hsts_and_the_proxy_header():
    probe = ("import fangkong.settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
             "s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER)")
    on = subprocess.run([sys.executable, "-c", probe], env=_environment(FANGKONG_TLS="1"), capture_output=True,
                        text=True, check=True).stdout.split(" ", 4)
    assert on[:4] == ["True", "True", "31536000", "True"]
    assert on[4].strip() == "('HTTP_X_FORWARDED_PROTO', 'https')"
    off = subprocess.run([sys.executable, "-c", "import fangkong.settings as s; print(s.SESSION_COOKIE_SECURE, "
                          "hasattr(s, 'SECURE_HSTS_SECONDS'))"], env=_environment(), capture_output=True, text=True,
                         check=True).stdout.split()
    assert off == ["False", "False"]
