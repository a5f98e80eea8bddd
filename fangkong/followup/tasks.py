"""Celery tasks of the follow-up module (discovered by ``fangkong.jobs``; scheduled by ``periodic_jobs``).

``subjects_sync`` every 15 minutes copies who is under management from the sources; ``followups_sweep``
at 00:05 closes the day before: slots without a check become missed, tests not taken overdue.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangkong.jobs import app

from . import services


@app.task(name="fangkong.followup.subjects_sync")
def subjects_sync_task() -> dict:
    return services.subjects_sync()


@app.task(name="fangkong.followup.followups_sweep")
def followups_sweep_task(day: str | None = None) -> dict:
    """Close ``day`` (ISO; default: yesterday, local time)."""
    closed = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
    services.subjects_sync(day=closed)
    return services.followups_sweep(day=closed)
