"""Celery tasks of the cross-region requests (discovered by ``fangkong.jobs``): the escalation every quarter
of an hour (``periodic_jobs`` in ``apps.py``; without a broker, call ``services.overdue_escalate`` from cron)."""

from fangkong.jobs import app


@app.task(name="fangkong.crossregion.escalate")
def crossregion_escalate() -> dict[str, int]:
    from .services import overdue_escalate

    return overdue_escalate()
