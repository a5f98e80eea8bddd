"""Celery tasks of the worklists module (discovered by ``fangkong.jobs``): the escalation sweep and the feed
from the other modules, every ten minutes each (``periodic_jobs`` in ``apps.py``; without a broker, call
``services.escalation_sweep`` and ``feeds.feed`` from cron)."""

from fangkong.jobs import app


@app.task(name="fangkong.worklists.escalate")
def worklists_escalate() -> dict[str, int]:
    from .services import escalation_sweep

    return escalation_sweep()


@app.task(name="fangkong.worklists.feed")
def worklists_feed() -> dict[str, int]:
    from .feeds import feed

    return feed()
