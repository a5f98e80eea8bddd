"""Background job of the places module: every morning (``OVERDUE_RUN`` of ``apps.py``) rectification orders
past their deadline become overdue, and the places overdue for inspection are counted. Without a broker,
``fangkong places_overdue`` from cron does the same. Running it twice changes nothing more."""

from __future__ import annotations

from fangkong.jobs import app


@app.task(name="fangkong.places.overdue_mark")
def overdue_mark_task() -> dict:
    from fangkong.places.services import overdue_mark

    return overdue_mark()
