"""Background jobs: Celery when a broker is configured, in-process otherwise.

``CELERY_BROKER_URL`` (e.g. ``redis://127.0.0.1:6379/0``) sends tasks to workers started with
``celery -A fangkong.jobs worker``; without it tasks run eagerly in the calling process, which is what
the embedded set-up (``make demo``) and the tests use. Services enqueue with ``enqueue_on_commit`` so
that a job never sees a transaction that rolled back.
"""

from __future__ import annotations

import os

from celery import Celery
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")

app = Celery("fangkong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["fangkong.accounts", "fangkong.persons", "fangkong.regions", "fangkong.cases",
                        "fangkong.surveillance"])


@app.task(name="fangkong.ping")
def ping() -> str:
    """A no-op job: proves that jobs run (in-process) or reach the broker (Celery)."""
    return "pong"


def jobs_mode() -> str:
    """``"in-process"`` in the embedded set-up, ``"celery"`` when a broker is configured."""
    return "in-process" if app.conf.task_always_eager else "celery"


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Run ``task`` (a Celery task) after the current transaction commits."""
    transaction.on_commit(lambda: task.delay(*args, **kwargs))
