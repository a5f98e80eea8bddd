"""Celery tasks of the inbound module (discovered by ``fangkong.jobs``): the break sweep, every
``SWEEP_MINUTES`` by Celery beat (``periodic_jobs`` in ``apps.py``); without a broker run
``fangkong inbound_breaks_sweep`` from cron."""

from fangkong.jobs import app


@app.task(name="fangkong.inbound.breaks_sweep")
def breaks_sweep_task() -> dict:
    from .services import breaks_sweep

    return breaks_sweep()
