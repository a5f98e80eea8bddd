"""The four earlies (早发现、早报告、早隔离、早治疗) of cases: the intervals onset → first visit → sampling →
report → isolation → treatment (and diagnosis → report against the legal deadline), per child region of
the chosen region and per ISO week of report, with the number of cases measured, the median and the
share within target.

Read through the scoped case list (``fangkong.cases.selectors.case_list``): a user sees only the cases of
their regions. Counts and shares are aggregated in the database; medians too on PostgreSQL
(``percentile_cont``, every grouping in one scan with ``GROUPING SETS``), in Python on SQLite (the embedded
set-up, small data).

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
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q, Value, When
from django.db.models import Case as SqlCase
from django.db.models.functions import TruncDate, TruncWeek
from django.utils.translation import gettext_lazy as _

from fangkong.regions.codes import covers, subtree_prefix
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


def _duration(expression) -> ExpressionWrapper:
    return ExpressionWrapper(expression, output_field=DurationField())


def _interval_expressions() -> dict:
    return {
        "onset_visit": _duration(TruncDate("first_visit_at") - F("onset_date")),
        "visit_sampling": _duration(F("sampling_date") - TruncDate("first_visit_at")),
        "sampling_report": _duration(F("report_date") - F("sampling_date")),
        "diagnosis_report": _duration(F("reported_at") - F("diagnosed_at")),
        "report_isolation": _duration(F("isolated_at") - F("reported_at")),
        "isolation_treatment": _duration(F("treatment_at") - F("isolated_at")),
    }


class _Median(Aggregate):
    """PostgreSQL's continuous median (ignores NULLs)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def earlies_targets_for(region_code: str) -> dict:
    """The targets of the nearest region (itself or an ancestor) with a row, else the defaults; with
    ``source``: the code of that region, or "" for the defaults."""
    ancestors = {c for c in (region_code[:2] + "0000", region_code[:4] + "00", region_code[:6], region_code)
                 if covers(c, region_code)}
    rows = list(EarliesTarget.objects.filter(region_id__in=ancestors).values("region_id", *DEFAULT_TARGETS))
    if not rows:
        return {**DEFAULT_TARGETS, "source": ""}
    best = max(rows, key=lambda r: len(subtree_prefix(r["region_id"])))
    return {**{k: best[k] for k in DEFAULT_TARGETS}, "source": best["region_id"]}


def _hours(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds() / 3600, 1)
    return round(float(value) / 3_600_000_000, 1)  # SQLite: microseconds


def _limit(key: str, targets: dict) -> dt.timedelta | None:
    field = next(f for k, _label, f in INTERVALS if k == key)
    return dt.timedelta(hours=targets[field]) if field else None


def _stats(n: int, within: int, median) -> dict:
    return {"n": n, "median_hours": _hours(median), "within": within,
            "share": round(within / n, 4) if n else None}


def _measures(targets: dict, *, medians: bool) -> dict:
    measures = {"cases": Count("pk")}
    expressions = _interval_expressions()
    for key, _label, _field in INTERVALS:
        measures[f"{key}__n"] = Count("pk", filter=Q(**{f"{key}__isnull": False}))
        limit = _limit(key, targets)
        within = Q(reported_late=False) if limit is None else Q(**{f"{key}__lte": limit})
        measures[f"{key}__in"] = Count("pk", filter=within & Q(**{f"{key}__isnull": False}))
        if medians:
            measures[f"{key}__median"] = _Median(expressions[key])  # an alias cannot be aggregated
    return measures


def _entry(row: dict, medians: dict) -> dict:
    entry = {"cases": row["cases"] or 0}
    for key, _label, _field in INTERVALS:
        median = row[f"{key}__median"] if f"{key}__median" in row else medians.get(key)
        entry[key] = _stats(row[f"{key}__n"] or 0, row[f"{key}__in"] or 0, median)
    return entry


#: The groupings of the result: per child, per week, per child and week, in total.
GROUPINGS = (("child",), ("week",), ("child", "week"), ())


def _aggregate_in_one_pass(cases, targets: dict) -> dict[tuple, dict[tuple, dict]] | None:
    """PostgreSQL: every grouping in one scan (``GROUPING SETS``); None when the query Django compiles does
    not end as expected (then the groupings are read one by one)."""
    query = cases.values("child", "week").annotate(**_measures(targets, medians=True)).order_by()
    sql, params = query.query.sql_with_params()
    head, found, tail = sql.rpartition(" GROUP BY 1, 2")
    if not found or tail.strip():
        return None
    with connection.cursor() as cursor:
        cursor.execute(head + " GROUP BY GROUPING SETS ((1), (2), (1, 2), ())", params)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    result: dict[tuple, dict[tuple, dict]] = {grouping: {} for grouping in GROUPINGS}
    for row in rows:  # a rolled-up column is NULL (a case's child is never NULL: "" outside every child)
        if isinstance(row["week"], dt.datetime):  # the ORM's converter would have made it the Monday's date
            row["week"] = row["week"].date()
        grouping = tuple(g for g in ("child", "week") if row[g] is not None)
        result[grouping][tuple(row[g] for g in grouping)] = _entry(row, {})
    return result


def _aggregate(cases, group: tuple[str, ...], targets: dict) -> dict[tuple, dict]:
    """group key -> {"cases": n, interval: stats}, counted (and, on PostgreSQL, medians taken) in the
    database."""
    postgres = connection.vendor == "postgresql"
    measures = _measures(targets, medians=postgres)
    rows = cases.values(*group).annotate(**measures).order_by(*group) if group else [cases.aggregate(**measures)]
    medians: dict[tuple, dict] = {}
    if not postgres:
        values: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        keys = [k for k, _label, _field in INTERVALS]
        copies = {f"value_{k}": F(k) for k in keys}  # an alias cannot be selected as such
        for row in cases.annotate(**copies).values_list(*group, *copies):
            bucket = values[tuple(row[:len(group)])]
            for key, value in zip(keys, row[len(group):], strict=True):
                if value is not None:
                    bucket[key].append(value)
        medians = {g: {k: statistics.median(v) for k, v in by_key.items()} for g, by_key in values.items()}
    return {tuple(row[g] for g in group): _entry(row, medians.get(tuple(row[g] for g in group), {}))
            for row in rows}


def _week_label(monday) -> str:
    if isinstance(monday, dt.datetime):
        monday = monday.date()
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def earlies(user, region, date_from: dt.date, date_to: dt.date) -> dict:
    """The earlies of the cases reported from ``date_from`` to ``date_to`` in ``region`` (a ``Region`` or
    a code; only the cases in the user's scope count), per child region, per ISO week, per child region
    and week, and in total. Hours; a JSON-ready dict (dates as ISO strings)."""
    from fangkong.cases.selectors import case_list

    if not isinstance(region, Region):
        region = Region.objects.defer("geometry").get(code=region)
    targets = earlies_targets_for(region.code)
    children = list(Region.objects.filter(parent=region).defer("geometry").order_by("code")) or [region]
    child_of = SqlCase(*[When(report_region__code__startswith=subtree_prefix(c.code), then=Value(c.code))
                         for c in children], default=Value(""))
    cases = case_list(user=user, filters={"region": region.code, "date_from": date_from, "date_to": date_to}) \
        .order_by().alias(**_interval_expressions()).annotate(child=child_of, week=TruncWeek("report_date"))
    groups = _aggregate_in_one_pass(cases, targets) if connection.vendor == "postgresql" else None
    if groups is None:
        groups = {grouping: _aggregate(cases, grouping, targets) for grouping in GROUPINGS}
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
