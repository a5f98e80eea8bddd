"""The key populations' paragraph of the official daily report (``report_sections`` in ``apps.py``).

The figures of a region (its subtree) on one day, read in the drafter's scope (``selectors.group_list``:
aggregates) and frozen with the report: per key population, the members on the rosters that day and those
overdue for their periodic test that day — computed as of that day, also for a report of an earlier day —,
and the share tested on time. Counts only, never a person.
"""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from fangkong.regions.codes import subtree_prefix

from .compliance import overdue_counts
from .models import KeyGroup, Population
from .selectors import group_list


def figures(user, region, day: dt.date) -> dict | None:
    """Members and overdue per population in the region on ``day``; None when the region has no group. The
    overdue are computed as of ``day`` (``compliance.overdue_counts``: the tests sampled until then), so a
    report for an earlier day counts that day's overdue, not those of the compliance kept for today."""
    rows: dict[str, dict] = {}
    groups = group_list(user=user, day=day).filter(region__code__startswith=subtree_prefix(region.code))
    for group in groups:
        row = rows.setdefault(group.population, {"population": group.population, "members": 0, "overdue": 0})
        row["members"] += group.members
    if not rows:
        return None
    sql, params = KeyGroup.objects.filter(pk__in=groups.values("pk")).values("pk").query.sql_with_params()
    for population, overdue in overdue_counts(day=day, groups_sql=sql, groups_params=params).items():
        rows[population]["overdue"] = overdue
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
