"""Every figure of the command dashboard on the demo province, as JSON — to show that a refactor changed none.

Loads the demo into a fresh SQLite database in a temporary folder, then asks the dashboard API
(``/api/v1/dashboard/<code>/``) as the provincial commander for the province, every city and every
county, on the demo's last day and on two earlier days, and prints the answers (sorted keys). Run it on
two commits and compare::

    PYTHONPATH=/path/to/old/checkout .venv/bin/python scripts/dashboard_figures.py > before.json
    .venv/bin/python scripts/dashboard_figures.py > after.json
    diff before.json after.json && echo identical

(``PYTHONPATH`` puts the other checkout's ``fangkong`` first; the dependencies are this environment's.)
Figures that are not the data's — the generation and cache keys, the time of the answer — are left out.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

VOLATILE = {"generated_at", "generation", "cache_key", "computed_at", "as_of_time"}


def _without_volatile(value):
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="fangkong-figures-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'figures.sqlite3'}"
    os.environ.setdefault("FANGKONG_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from fangkong.accounts.models import User
    from fangkong.regions.models import Region

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    commander = User.objects.filter(memberships__region_id="440000", memberships__role="provincial_commander").first()
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", SERVER_NAME="localhost")
    client.force_login(commander)
    codes = list(Region.objects.filter(level__in=("province", "prefecture", "county")).order_by("code")
                 .values_list("code", flat=True))
    first = client.get("/api/v1/dashboard/440000/").json()
    last_day = dt.date.fromisoformat(first.get("date") or first.get("day"))
    figures = {}
    for day in (last_day - dt.timedelta(days=20), last_day - dt.timedelta(days=7), last_day):
        for code in codes:
            response = client.get(f"/api/v1/dashboard/{code}/", {"date": day.isoformat()})
            figures[f"{code} {day}"] = [response.status_code, _without_volatile(response.json())]
    json.dump(figures, sys.stdout, ensure_ascii=False, sort_keys=True, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
