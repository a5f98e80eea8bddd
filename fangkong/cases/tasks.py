"""Celery tasks of the cases app (discovered by ``fangkong.jobs``).

``import_jobs_purge`` runs every hour by Celery beat (``celery -A fangkong.jobs beat``; the module declares
the schedule, ``periodic_jobs`` in ``apps.py``); without a broker, run ``fangkong import_jobs_purge`` from
cron (a new submission also runs it).
"""

from fangkong.cases.jobs import import_jobs_purge_task, run_import_job

__all__ = ["import_jobs_purge_task", "run_import_job"]
