"""The four earlies (早发现、早报告、早隔离、早治疗) of cases: the intervals onset → first visit → sampling →
report → isolation → treatment (and diagnosis → report against the legal deadline), per child region of
the chosen region and per ISO week of report, with the number of cases measured, the median and the
share within target.

Read from each case's intervals worked out when the case was written (``cases.CaseEarlies``, kept in step
by ``fangkong.cases.case_earlies``), scoped like the case list (by region of report): a user sees only
the cases of their regions. On PostgreSQL counts, shares and medians are aggregated in the database
(``percentile_cont``, every grouping in one scan with ``GROUPING SETS``); elsewhere (SQLite, the embedded
set-up) the period's rows are read once and aggregated in Python.

Intervals between two dates (onset, sampling, report date) count whole days; an interval ending at a
time that starts at a date (onset → first visit, first visit → sampling) uses the local date of that
time. An interval is measured only where both ends are known. A negative interval (isolated before the
report: found in quarantine) is within target.

Default targets (``DEFAULT_TARGETS``, hours; a region's ``EarliesTarget`` row overrides them for it and
below):

- onset → first visit ≤ 24 h (by the next day): the "early detection" expectation that a symptomatic
  person sees a doctor promptly; national evaluations of the earlies report medians of one to two days,
  so one day is a demanding but reachable target.
- first visit → sampling ≤ 24 h: fever clinics test every patient with fever at the visit (逢热必检);
  sampling by the next day allows for referral.
- sampling → report ≤ 24 h: the laboratory result within 12 h of sampling (the COVID-19 protocols ask
  fever clinics for results within hours) plus the 2-hour reporting rule for diseases managed as class A
  (Law on the Prevention and Control of Infectious Diseases, art. 30; the notifiable-disease reporting
  rules: 2 h for class A and diseases managed as class A, 24 h otherwise).
- diagnosis → report: not a configurable hour count but the legal deadline of the case's disease
  (2 h / 24 h as above), as each case records it (``Case.reported_late``).
- report → isolation ≤ 24 h: a reported case is transferred to a designated hospital or isolation
  facility the same day (the protocols ask for transfer within hours; 24 h is the outer bound).
- isolation → treatment ≤ 24 h: admission for treatment within a day of isolation.

These are choices of this module, not quoted norms; provinces set their own on the earlies page.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Q, Value, When
from django.db.models import Case as SqlCase
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.need_to_know import Category, readable
from fangkong.cases.models import CaseEarlies
from fangkong.regions.codes import ancestor_codes, subtree_prefix
from fangkong.regions.models import Region
from fangkong.surveillance.models import EarliesTarget

#: The configurable intervals, in the order of the chain: key, label, target field of ``EarliesTarget``.
INTERVALS = (
    ("onset_visit", _("Onset → first visit"), "onset_visit_hours"),
    ("visit_sampling", _("First visit → sampling"), "visit_sampling_hours"),
    ("sampling_report", _("Sampling → report"), "sampling_report_hours"),
    ("diagnosis_report", _("Diagnosis → report (legal deadline)"), ""),
    ("report_isolation", _("Report → isolation"), "report_isolation_hours"),
    ("isolation_treatment", _("Isolation → treatment"), "isolation_treatment_hours"),
)
DEFAULT_TARGETS = {"onset_visit_hours": 24.0, "visit_sampling_hours": 24.0, "sampling_report_hours": 24.0,
                   "report_isolation_hours": 24.0, "isolation_treatment_hours": 24.0}


class _Median(Aggregate):
    """PostgreSQL's continuous median (ignores NULLs)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def earlies_targets_for(region_code: str) -> dict:
    """The targets of the nearest region (itself or an ancestor) with a row, else the defaults; with
    ``source``: the code of that region, or "" for the defaults."""
    ancestors = ancestor_codes(region_code)
    rows = list(EarliesTarget.objects.filter(region_id__in=ancestors).values("region_id", *DEFAULT_TARGETS))
    if not rows:
        return {**DEFAULT_TARGETS, "source": ""}
    best = max(rows, key=lambda r: len(subtree_prefix(r["region_id"])))
    return {**{k: best[k] for k in DEFAULT_TARGETS}, "source": best["region_id"]}


def _hours(value) -> float | None:
    return None if value is None else round(float(value), 1)


def _limit(key: str, targets: dict) -> float | None:
    """The target of an interval in hours (None: the case's legal reporting deadline)."""
    field = next(f for k, _label, f in INTERVALS if k == key)
    return targets[field] if field else None


def _stats(n: int, within: int, median) -> dict:
    return {"n": n, "median_hours": _hours(median), "within": within,
            "share": round(within / n, 4) if n else None}


def _measures(targets: dict) -> dict:
    measures = {"cases": Count("pk")}
    for key, _label, _field in INTERVALS:
        measures[f"{key}__n"] = Count("pk", filter=Q(**{f"{key}__isnull": False}))
        limit = _limit(key, targets)
        within = Q(reported_late=False) if limit is None else Q(**{f"{key}__lte": limit})
        measures[f"{key}__in"] = Count("pk", filter=within & Q(**{f"{key}__isnull": False}))
        measures[f"{key}__median"] = _Median(key)
    return measures


def _entry(row: dict) -> dict:
    entry = {"cases": row["cases"] or 0}
    for key, _label, _field in INTERVALS:
        entry[key] = _stats(row[f"{key}__n"] or 0, row[f"{key}__in"] or 0, row[f"{key}__median"])
    return entry


#: The groupings of the result: per child, per week, per child and week, in total.
GROUPINGS = (("child",), ("week",), ("child", "week"), ())
KEYS = tuple(key for key, _label, _field in INTERVALS)


def _aggregate_in_one_pass(rows, children: list[Region], targets: dict) -> dict[tuple, dict[tuple, dict]] | None:
    """PostgreSQL: every grouping in one scan (``GROUPING SETS``); None when the query Django compiles does
    not end as expected (then the rows are aggregated in Python)."""
    child_of = SqlCase(*[When(region__code__startswith=subtree_prefix(c.code), then=Value(c.code)) for c in children],
                       default=Value(""))
    query = rows.annotate(child=child_of, week=TruncWeek("report_date")).values("child", "week") \
        .annotate(**_measures(targets)).order_by()
    sql, params = query.query.sql_with_params()
    head, found, tail = sql.rpartition(" GROUP BY 1, 2")
    if not found or tail.strip():
        return None
    with connection.cursor() as cursor:
        cursor.execute(head + " GROUP BY GROUPING SETS ((1), (2), (1, 2), ())", params)
        names = [column.name for column in cursor.description]
        fetched = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    result: dict[tuple, dict[tuple, dict]] = {grouping: {} for grouping in GROUPINGS}
    for row in fetched:  # a rolled-up column is NULL (a case's child is never NULL: "" outside every child)
        if isinstance(row["week"], dt.datetime):
            row["week"] = row["week"].date()
        grouping = tuple(g for g in ("child", "week") if row[g] is not None)
        result[grouping][tuple(row[g] for g in grouping)] = _entry(row)
    return result


def _aggregate_in_python(rows, children: list[Region], targets: dict) -> dict[tuple, dict[tuple, dict]]:
    """Every grouping from one read of the rows: counts, shares within target and medians."""
    prefixes = [(subtree_prefix(c.code), c.code) for c in children]
    limits = {key: _limit(key, targets) for key in KEYS}
    values: dict[tuple, dict[tuple, list]] = {grouping: defaultdict(lambda: [0] + [[] for _k in KEYS] + [
        0] * len(KEYS)) for grouping in GROUPINGS}
    for region, day, late, *intervals in rows.values_list("region_id", "report_date", "reported_late", *KEYS):
        child = next((code for prefix, code in prefixes if region.startswith(prefix)), "")
        week = day - dt.timedelta(days=day.weekday())
        for grouping in GROUPINGS:
            key = tuple({"child": child, "week": week}[g] for g in grouping)
            bucket = values[grouping][key]
            bucket[0] += 1
            for i, value in enumerate(intervals):
                if value is not None:
                    bucket[1 + i].append(value)
                    limit = limits[KEYS[i]]
                    bucket[1 + len(KEYS) + i] += (not late) if limit is None else value <= limit
    result: dict[tuple, dict[tuple, dict]] = {grouping: {} for grouping in GROUPINGS}
    for grouping, buckets in values.items():
        for key, bucket in buckets.items():
            entry = {"cases": bucket[0]}
            for i, interval in enumerate(KEYS):
                measured = bucket[1 + i]
                entry[interval] = _stats(len(measured), bucket[1 + len(KEYS) + i],
                                         statistics.median(measured) if measured else None)
            result[grouping][key] = entry
    return result


def _week_label(monday) -> str:
    if isinstance(monday, dt.datetime):
        monday = monday.date()
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def earlies_rows(*, user, region: Region, date_from: dt.date, date_to: dt.date):
    """The intervals of the cases reported in the period in ``region``, within the user's scope (the case
    list's scope rule: the region of report)."""
    return readable(user, Category.AGGREGATES, CaseEarlies.objects.filter(report_date__gte=date_from, report_date__lte=date_to,
                                                   region__code__startswith=subtree_prefix(region.code)),
                  "region__code").order_by()


def earlies(user, region, date_from: dt.date, date_to: dt.date) -> dict:
    """The earlies of the cases reported from ``date_from`` to ``date_to`` in ``region`` (a ``Region`` or
    a code; only the cases in the user's scope count), per child region, per ISO week, per child region
    and week, and in total. Hours; a JSON-ready dict (dates as ISO strings)."""
    if not isinstance(region, Region):
        region = Region.objects.defer("geometry").get(code=region)
    targets = earlies_targets_for(region.code)
    children = list(Region.objects.filter(parent=region).defer("geometry").order_by("code")) or [region]
    rows = earlies_rows(user=user, region=region, date_from=date_from, date_to=date_to)
    groups = _aggregate_in_one_pass(rows, children, targets) if connection.vendor == "postgresql" else None
    if groups is None:
        groups = _aggregate_in_python(rows, children, targets)
    by_child, by_week, by_child_week = groups[("child",)], groups[("week",)], groups[("child", "week")]
    empty = {"cases": 0, **{k: _stats(0, 0, None) for k, _label, _field in INTERVALS}}
    total = groups[()].get((), empty)
    names = {c.code: c.name for c in children}
    return {
        "region": {"code": region.code, "name": region.name},
        "date_from": date_from.isoformat(), "date_to": date_to.isoformat(),
        "targets": targets,
        "intervals": [{"key": k, "label": str(label), "target_hours": targets[f] if f else None}
                      for k, label, f in INTERVALS],
        "total": total,
        "regions": [{"code": c.code, "name": c.name, **by_child.get((c.code,), empty)} for c in children],
        "weeks": [{"week": _week_label(w), "monday": _monday(w), **v} for (w,), v in sorted(by_week.items())],
        "region_weeks": [{"code": c, "name": names.get(c, ""), "week": _week_label(w), **v}
                         for (c, w), v in sorted(by_child_week.items()) if c],
    }


def _monday(value) -> str:
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
