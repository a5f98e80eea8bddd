"""Background job of the key-populations module: every morning (``OVERDUE_RUN`` of ``apps.py``) everyone on
a roster has their compliance recomputed as of the day and the overdue are counted (and raised as problems
once the problem lists exist). Running it twice changes nothing more."""

from __future__ import annotations

from fangkong.jobs import app


@app.task(name="fangkong.keypopulations.overdue_run")
def overdue_run_task() -> dict:
    from fangkong.keypopulations.services import overdue_run

    return overdue_run()
