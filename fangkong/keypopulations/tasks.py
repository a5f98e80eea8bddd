"""Background job of the key-populations module: every morning (``OVERDUE_RUN`` of ``apps.py``) the persons
overdue on the day are counted from the stored compliance and raised as problems (nothing is recomputed: the
compliance does not change because a day passed). Running it twice changes nothing more."""

from __future__ import annotations

from fangkong.jobs import app


@app.task(name="fangkong.keypopulations.overdue_run")
def overdue_run_task() -> dict:
    from fangkong.keypopulations.services import overdue_run

    return overdue_run()
