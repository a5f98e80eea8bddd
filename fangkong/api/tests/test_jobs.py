"""Background jobs: in-process without a broker, through the broker (real Redis) when one is configured."""

import json
import os
import subprocess
import sys

import pytest
import redis

from fangkong.jobs import jobs_mode, ping

REDIS_URL = "redis://127.0.0.1:6379/15"
QUEUE = f"fangkong-test-{os.getpid()}"  # one per test process: suites running side by side do not share it
SEND = ("import django; django.setup(); from fangkong.jobs import jobs_mode, ping; "
        f"print(jobs_mode()); print(ping.apply_async(queue='{QUEUE}').id)")


def test_without_a_broker_jobs_run_in_process():
    assert jobs_mode() == "in-process"
    assert ping.delay().get(timeout=5) == "pong"


def test_with_a_broker_url_jobs_are_sent_to_it():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    client.delete(QUEUE)
    env = {**os.environ, "CELERY_BROKER_URL": REDIS_URL, "DJANGO_SETTINGS_MODULE": "fangkong.settings"}
    out = subprocess.run([sys.executable, "-c", SEND], env=env, capture_output=True, text=True, check=True,
                         timeout=60).stdout.split()
    try:
        assert out[0] == "celery"
        message = json.loads(client.lpop(QUEUE))
        assert message["headers"]["task"] == "fangkong.ping" and message["headers"]["id"] == out[1]
    finally:
        client.delete(QUEUE)
