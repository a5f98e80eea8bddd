"""``fangkong serve --workers N`` runs gunicorn; ``FANGKONG_CACHE_URL`` selects the shared Redis cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from fangkong.cli import gunicorn_argv


def test_serve_without_workers_stays_the_development_server():
    assert gunicorn_argv([]) is None
    assert gunicorn_argv(["127.0.0.1:8001"]) is None


def test_serve_with_workers_runs_gunicorn_with_that_many_processes(monkeypatch):
    monkeypatch.setenv("FANGKONG_CACHE_URL", "redis://127.0.0.1:6379/1")
    command = gunicorn_argv(["127.0.0.1:8790", "--workers", "4", "--threads", "2"])
    assert command[:4] == [sys.executable, "-m", "gunicorn", "fangkong.wsgi:application"]
    options = dict(zip(command[4::2], command[5::2], strict=True))
    assert options == {"--bind": "127.0.0.1:8790", "--workers": "4", "--threads": "2", "--timeout": "120"}


def test_several_workers_without_a_shared_cache_are_refused(monkeypatch):
    monkeypatch.delenv("FANGKONG_CACHE_URL", raising=False)
    with pytest.raises(SystemExit, match="FANGKONG_CACHE_URL"):
        gunicorn_argv(["--workers", "3"])
    assert gunicorn_argv(["--workers", "1"])[6:8] == ["--workers", "1"]  # one process: its own cache is right
    with pytest.raises(SystemExit, match="at least 1"):
        gunicorn_argv(["--workers", "0"])


def _settings_with(env: dict) -> dict:
    code = ("import json, django; from django.conf import settings; django.setup(); "
            "print(json.dumps({'cache': settings.CACHES['default'], "
            "'conn_max_age': settings.DATABASES['default']['CONN_MAX_AGE']}))")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FANGKONG_CACHE", "FANGKONG_CONN", "DATABASE"))}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, "DJANGO_SETTINGS_MODULE": "fangkong.settings",
                                                            **env}, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_cache_url_selects_redis_and_the_default_is_local_memory():
    assert _settings_with({})["cache"]["BACKEND"].endswith("LocMemCache")
    redis = _settings_with({"FANGKONG_CACHE_URL": "redis://127.0.0.1:6379/1"})["cache"]
    assert redis["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["LOCATION"] == "redis://127.0.0.1:6379/1"


def test_database_connections_are_kept_per_worker_on_postgresql():
    postgres = _settings_with({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x"})
    assert postgres["conn_max_age"] == 60
    assert _settings_with({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x",
                           "FANGKONG_CONN_MAX_AGE": "0"})["conn_max_age"] == 0
