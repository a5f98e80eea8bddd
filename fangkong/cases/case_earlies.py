"""The four earlies' intervals of every case, worked out once when the case is written (``CaseEarlies``).

The earlies page (``fangkong.surveillance.earlies``) groups cases by region and week and takes counts,
shares within target and medians of six intervals. Working each interval out of the case's dates and
times at every request (local dates of timestamps, differences of dates and of times) was most of its
cost — on SQLite each of them a Python function per row. Here each case's intervals are computed when the
case is written and stored in hours, so a request only aggregates plain numbers.

Definitions (the same as the page's): onset → first visit and first visit → sampling use the local date
of the first visit (whole days); sampling → report uses the report date (whole days); diagnosis → report,
report → isolation and isolation → treatment use the times. An interval is None when an end is unknown.

Kept in step with the cases: every service that writes a case calls ``case_earlies_refresh`` with its id
(registration, edit, conversion of a contact, the case import); ``case_earlies_rebuild`` recomputes all
(the demo loader, benchmarks, ``fangkong tracing_summary_rebuild`` after data written around the services).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from fangkong.cases.models import Case, CaseEarlies

#: Cases read and written per statement.
BATCH = 5000
FIELDS = ("pk", "report_region_id", "report_date", "reported_late", "onset_date", "first_visit_at", "sampling_date",
          "diagnosed_at", "reported_at", "isolated_at", "treatment_at")


def _days(later: dt.date | None, earlier: dt.date | None) -> float | None:
    return float((later - earlier).days * 24) if later is not None and earlier is not None else None


def _hours(later: dt.datetime | None, earlier: dt.datetime | None) -> float | None:
    return (later - earlier).total_seconds() / 3600 if later is not None and earlier is not None else None


def _row(pk, region, report_date, late, onset, visit, sampling, diagnosed, reported, isolated, treated) -> CaseEarlies:
    visit_day = timezone.localtime(visit).date() if visit is not None else None
    return CaseEarlies(
        case_id=pk, region_id=region, report_date=report_date, reported_late=late,
        onset_visit=_days(visit_day, onset), visit_sampling=_days(sampling, visit_day),
        sampling_report=_days(report_date, sampling), diagnosis_report=_hours(reported, diagnosed),
        report_isolation=_hours(isolated, reported), isolation_treatment=_hours(treated, isolated))


def _write(cases) -> int:
    rows = [_row(*values) for values in cases.values_list(*FIELDS)]
    CaseEarlies.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


@transaction.atomic
def case_earlies_refresh(case_ids: Iterable[int]) -> int:
    """Recompute the intervals of these cases from their rows (in the caller's transaction, after the write);
    a case that no longer exists loses its row. Returns the number of cases written."""
    ids = sorted({int(pk) for pk in case_ids if pk is not None})
    written = 0
    for start in range(0, len(ids), BATCH):
        part = ids[start:start + BATCH]
        CaseEarlies.objects.filter(case_id__in=part).delete()
        written += _write(Case.objects.filter(pk__in=part).order_by())
    return written


@transaction.atomic
def case_earlies_rebuild() -> int:
    """Recompute the intervals of every case; returns the number of cases."""
    CaseEarlies.objects.all().delete()
    written, last = 0, 0
    while True:
        part = list(Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not part:
            return written
        written += _write(Case.objects.filter(pk__in=part).order_by())
        last = part[-1]
