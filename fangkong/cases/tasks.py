"""Celery tasks of the cases app (discovered by ``fangkong.jobs``)."""

from fangkong.cases.jobs import run_import_job

__all__ = ["run_import_job"]
