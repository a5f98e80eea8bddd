"""Background jobs of sentinel surveillance: the daily detection run (and a backfill over a period).

In production the run is scheduled every morning at ``DAILY_RUN`` (local time) for the day before, by
Celery beat (``celery -A fangkong.jobs beat`` next to the workers); without a broker, run
``fangkong surveillance_detect`` from cron instead. Running a day twice adds nothing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangkong.jobs import app

# When the daily run starts is declared with the module (``DAILY_RUN`` of ``apps.py``, its periodic job).
# Reports that arrive later are counted by the following days' windows; ``fangkong surveillance_detect
# --first DAY`` re-runs a day (adding only what is new).


@app.task(name="fangkong.surveillance.detection_run")
def detection_run_task(first: str | None = None, last: str | None = None) -> dict:
    """Run detection for ``first`` .. ``last`` (ISO dates; default: yesterday, the last complete day)."""
    from fangkong.surveillance.services import detection_run

    start = dt.date.fromisoformat(first) if first else timezone.localdate() - dt.timedelta(days=1)
    end = dt.date.fromisoformat(last) if last else start
    summary = detection_run(first=start, last=end)
    return {"first": str(summary.first), "last": str(summary.last), "configs": summary.configs,
            "signals": summary.signals, "alerts": summary.alerts}
