"""The key populations' paragraph of the official daily report (``report_sections`` in ``apps.py``).

The figures of a region (its subtree) on one day, read in the drafter's scope (``selectors.group_list``:
aggregates) and frozen with the report: per key population, the members on the rosters that day and those
overdue for their periodic test that day, and the share tested on time. Counts only, never a person.
"""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from fangkong.regions.codes import subtree_prefix

from .models import Population
from .selectors import group_list


def figures(user, region, day: dt.date) -> dict | None:
    """Members and overdue per population in the region on ``day``; None when the region has no group."""
    rows: dict[str, dict] = {}
    for group in group_list(user=user, day=day).filter(region__code__startswith=subtree_prefix(region.code)):
        row = rows.setdefault(group.population, {"population": group.population, "members": 0, "overdue": 0})
        row["members"] += group.members
        row["overdue"] += group.overdue
    if not rows:
        return None
    populations = [rows[code] for code in Population.values if code in rows]
    return {"populations": populations, "members": sum(r["members"] for r in populations),
            "overdue": sum(r["overdue"] for r in populations)}


def _on_time(members: int, overdue: int) -> str:
    return f"{100 * (members - overdue) / members:.1f}" if members else "—"


def wording(figures: dict, language: str, scope: str) -> str:
    """The paragraph in the official form of ``language``."""
    with translation.override(language):
        labels = {row["population"]: str(Population(row["population"]).label) for row in figures["populations"]}
    members, overdue = figures["members"], figures["overdue"]
    if language == "en":
        parts = "; ".join(f"{labels[r['population']]} {r['members']}, overdue {r['overdue']}"
                          for r in figures["populations"])
        return (f"Key populations under periodic testing in {scope}: {members} on the rosters, {overdue} overdue "
                f"for their test on the day ({_on_time(members, overdue)}% tested on time) — {parts}.")
    parts = "；".join(f"{labels[r['population']]}{r['members']}人、逾期{r['overdue']}人" for r in figures["populations"])
    return (f"{scope}重点人群定期核酸检测：在册{members}人，当日逾期未检{overdue}人（按时检测率"
            f"{_on_time(members, overdue)}%）。其中{parts}。")
