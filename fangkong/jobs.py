"""Background jobs: Celery when a broker is configured, in-process otherwise.

``CELERY_BROKER_URL`` (e.g. ``redis://127.0.0.1:6379/0``) sends tasks to workers started with
``celery -A fangkong.jobs worker``; without it tasks run eagerly in the calling process, which is what
the embedded set-up (``make demo``) and the tests use. The tasks are found in the ``tasks.py`` of every
installed app; the schedule of Celery beat is the ``periodic_jobs`` the modules declare. Services enqueue with ``enqueue_on_commit`` so
that a job never sees a transaction that rolled back.
"""

from __future__ import annotations

import os

from celery import Celery
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")

app = Celery("fangkong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # the ``tasks.py`` of every installed app, read when the app is finalised


def schedule_declared_jobs() -> None:
    """Celery beat's schedule: the ``periodic_jobs`` every module declares (``fangkong.modules``).

    Called when Django is ready (``fangkong.web.apps``), in every process: server, worker and beat.
    """
    from celery.schedules import crontab

    from fangkong.modules import periodic_jobs

    app.conf.beat_schedule = {
        **(app.conf.beat_schedule or {}),
        **{job.name: {"task": job.task, "schedule": crontab(**job.crontab)} for job in periodic_jobs()},
    }


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
