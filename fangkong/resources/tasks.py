"""Celery tasks of the resources module (discovered by ``fangkong.jobs``): the daily shortage sweep
(``periodic_jobs`` in ``apps.py``); without a broker run ``fangkong resources_shortage_sweep`` from cron."""

from fangkong.jobs import app


@app.task(name="fangkong.resources.shortage_sweep")
def shortage_sweep_task() -> dict:
    from .services import shortage_sweep

    return shortage_sweep()
