"""Reads of sentinel surveillance, always scoped to the user's regions: sites, reports, alerts, the
series around an alert, response timeliness against targets, and late or missing reports.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, QuerySet
from django.utils import timezone

from fangkong.accounts.access import get_in_scope_or_404, scoped
from fangkong.regions.codes import covers, is_valid_code, subtree_prefix
from fangkong.regions.models import Region
from fangkong.surveillance import detectors
from fangkong.surveillance.models import (
    Alert,
    AlertStatus,
    DetectionConfig,
    Indicator,
    ResponseTarget,
    SentinelReport,
    SentinelSite,
)
from fangkong.surveillance.series import load_matrix

SCOPE_FIELD = "region__code"  # resolves to the foreign-key column, no join
#: A day's report is due by this hour of the next day (local time); later is late.
REPORT_DUE_HOUR = 12
DEFAULT_TARGET = {"acknowledge_hours": 2.0, "verify_hours": 24.0, "response_rate": 0.95}


def region_prefix(code: str) -> str:
    """The code prefix of a region's subtree; an invalid code selects nothing."""
    return subtree_prefix(code) if is_valid_code(code) else "-"


def indicator_list() -> QuerySet[Indicator]:
    return Indicator.objects.all()


def site_list(*, user, region: str = "", kind: str = "") -> QuerySet[SentinelSite]:
    qs = scoped(user, SentinelSite.objects.select_related("region"), SCOPE_FIELD)
    if region:
        qs = qs.filter(region__code__startswith=region_prefix(region))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def site_get(*, user, site_id) -> SentinelSite:
    return get_in_scope_or_404(user, SentinelSite.objects.select_related("region"), SCOPE_FIELD, pk=site_id)


def sites_reported_by(*, user) -> QuerySet[SentinelSite]:
    """The sites the user reports for (and may see)."""
    return scoped(user, SentinelSite.objects.filter(reporters=user, active=True), SCOPE_FIELD) \
        .prefetch_related("indicators").select_related("region")


def report_list(*, user, site_id=None, indicator: str = "", first: dt.date | None = None,
                last: dt.date | None = None) -> QuerySet[SentinelReport]:
    qs = scoped(user, SentinelReport.objects.select_related("site", "indicator"), SCOPE_FIELD)
    if site_id:
        qs = qs.filter(site_id=site_id)
    if indicator:
        qs = qs.filter(indicator__code=indicator)
    if first:
        qs = qs.filter(date__gte=first)
    if last:
        qs = qs.filter(date__lte=last)
    return qs


def report_get(*, user, report_id) -> SentinelReport:
    return get_in_scope_or_404(
        user, SentinelReport.objects.select_related("site", "indicator").prefetch_related("revisions__replaced_by"),
        SCOPE_FIELD, pk=report_id)


def detection_config_list() -> QuerySet[DetectionConfig]:
    """The detection configurations (not regional: every signed-in user may read them)."""
    return DetectionConfig.objects.select_related("indicator", "updated_by").order_by("indicator__position", "pk")


def province_code() -> str:
    """The root of the region tree (detection is configured at that level)."""
    return Region.objects.filter(parent__isnull=True).order_by("code").values_list("code", flat=True).first() or ""


def alert_list(*, user, status: str = "", region: str = "", indicator: str = "", level: str = "",
               open_only: bool = False, first: dt.date | None = None, last: dt.date | None = None) -> QuerySet[Alert]:
    """Alerts in the user's regions, newest first; ``first``/``last``: the alerts whose days overlap that
    period (last day on or after ``first``, first day on or before ``last``)."""
    qs = scoped(user, Alert.objects.select_related("region", "indicator", "site"), SCOPE_FIELD)
    if first:
        qs = qs.filter(last_day__gte=first)
    if last:
        qs = qs.filter(first_day__lte=last)
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.exclude(status__in=(AlertStatus.CLOSED, AlertStatus.FALSE_ALARM))
    if region:
        qs = qs.filter(region__code__startswith=region_prefix(region))
    if indicator:
        qs = qs.filter(indicator__code=indicator)
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("-last_day", "-id")


def alert_get(*, user, alert_id) -> Alert:
    return get_in_scope_or_404(
        user, Alert.objects.select_related("region", "indicator", "site", "acknowledged_by", "investigating_by",
                                           "verified_by", "closed_by", "case"),
        SCOPE_FIELD, pk=alert_id)


@dataclass(frozen=True)
class AlertSeries:
    dates: list[str]
    observed: list[float | None]
    threshold: list[float | None]
    alarm: list[bool]
    first_day: str
    last_day: str


def alert_series(*, alert: Alert, before: int = 28, after: int = 7) -> AlertSeries:
    """The unit's daily series around the alert, with the configured detector's bound on each day."""
    config = DetectionConfig.objects.filter(indicator_id=alert.indicator_id, level=alert.level).first()
    method = config.method if config else alert.method
    params = config.parameters if config else {}
    history = detectors.history_needed(method, params)
    first = alert.first_day - dt.timedelta(days=before)
    last = min(alert.last_day + dt.timedelta(days=after), timezone.localdate())
    rate = detectors.is_rate(params)
    matrix = load_matrix(indicator_id=alert.indicator_id, level=alert.level,
                         first=first - dt.timedelta(days=history), last=last, unit_key=alert.unit_key,
                         denominators=rate)
    n = (last - first).days + 1
    dates = [(first + dt.timedelta(days=i)).isoformat() for i in range(n)]
    if alert.unit_key not in matrix.unit_keys:
        return AlertSeries(dates, [None] * n, [None] * n, [False] * n, str(alert.first_day), str(alert.last_day))
    unit = matrix.unit_keys.index(alert.unit_key)
    counts = matrix.counts[:, unit][:, None]
    column = matrix.rates[:, unit][:, None] if rate else counts
    timepoints = np.arange(history, matrix.n_days)
    try:
        upper, alarm = detectors.run_method(method, params, column, timepoints, numerators=counts)
        upper, alarm = upper[:, 0], alarm[:, 0]
    except ValueError:
        upper, alarm = np.full(len(timepoints), np.nan), np.zeros(len(timepoints), dtype=bool)
    observed = column[history:, 0]

    def clean(values):
        return [None if np.isnan(v) else round(float(v), 1) for v in values]

    return AlertSeries(dates, clean(observed), clean(upper), [bool(a) for a in alarm],
                       str(alert.first_day), str(alert.last_day))


# ---------------------------------------------------------------------------------------- timeliness


def response_target_for(region_code: str) -> dict:
    """The targets of the nearest region (itself or an ancestor) that has a row, else the defaults."""
    ancestors = {c for c in (region_code[:2] + "0000", region_code[:4] + "00", region_code[:6], region_code)
                 if covers(c, region_code)}
    best = ResponseTarget.objects.filter(region_id__in=ancestors).order_by().values(
        "region_id", "acknowledge_hours", "verify_hours", "response_rate")
    rows = sorted(best, key=lambda r: len(subtree_prefix(r["region_id"])), reverse=True)
    if not rows:
        return dict(DEFAULT_TARGET)
    return {k: rows[0][k] for k in DEFAULT_TARGET}


@dataclass
class TimelinessRow:
    region: Region
    alerts: int = 0
    acknowledged: int = 0
    acknowledged_in_target: int = 0
    verified: int = 0
    verified_in_target: int = 0
    confirmed: int = 0
    median_acknowledge_hours: float | None = None
    median_verify_hours: float | None = None
    per_county_week: float | None = None
    response_rate: float | None = None
    acknowledged_in_target_share: float | None = None
    verified_in_target_share: float | None = None
    confirmed_share: float | None = None
    meets_targets: bool | None = None
    _ack: list = field(default_factory=list)
    _ver: list = field(default_factory=list)


@dataclass(frozen=True)
class Timeliness:
    region: Region
    first: dt.date
    last: dt.date
    target: dict
    total: TimelinessRow
    rows: list[TimelinessRow]


def _finish(row: TimelinessRow, target: dict, counties: int, weeks: float) -> TimelinessRow:
    row.median_acknowledge_hours = round(statistics.median(row._ack), 2) if row._ack else None
    row.median_verify_hours = round(statistics.median(row._ver), 2) if row._ver else None
    if row.alerts:
        row.response_rate = round(row.acknowledged / row.alerts, 4)
        row.acknowledged_in_target_share = round(row.acknowledged_in_target / row.alerts, 4)
        row.meets_targets = row.response_rate >= target["response_rate"] and (
            row.median_acknowledge_hours is not None and row.median_acknowledge_hours <= target["acknowledge_hours"])
    if row.verified:
        row.verified_in_target_share = round(row.verified_in_target / row.verified, 4)
        row.confirmed_share = round(row.confirmed / row.verified, 4)
    row.per_county_week = round(row.alerts / max(counties, 1) / weeks, 3) if weeks else None
    return row


def timeliness(*, user, region: Region, first: dt.date, last: dt.date) -> Timeliness:
    """Response to the alerts raised from ``first`` to ``last`` in ``region`` (in the user's scope), per
    child region: time to acknowledge and to verify (hours, median), response rate (share acknowledged),
    shares within the targets, signals per county per week, share of verified alerts confirmed."""
    target = response_target_for(region.code)
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    alerts = alert_list(user=user, region=region.code) \
        .filter(raised_at__gte=start, raised_at__lt=end) \
        .values_list("region_id", "raised_at", "acknowledged_at", "verified_at", "outcome")
    children = list(Region.objects.filter(parent=region).defer("geometry").order_by("code")) or [region]
    child_prefix = [(c, subtree_prefix(c.code)) for c in children]
    rows = {c.code: TimelinessRow(region=c) for c in children}
    total = TimelinessRow(region=region)
    ack_limit, ver_limit = target["acknowledge_hours"], target["verify_hours"]
    for region_id, raised, acknowledged, verified, outcome in alerts:
        child = next((c for c, p in child_prefix if region_id.startswith(p)), None)
        targets = [total] + ([rows[child.code]] if child is not None else [])
        for row in targets:
            row.alerts += 1
            if acknowledged:
                hours = (acknowledged - raised).total_seconds() / 3600
                row.acknowledged += 1
                row._ack.append(hours)
                row.acknowledged_in_target += hours <= ack_limit
            if verified:
                hours = (verified - raised).total_seconds() / 3600
                row.verified += 1
                row._ver.append(hours)
                row.verified_in_target += hours <= ver_limit
                row.confirmed += outcome == AlertStatus.CONFIRMED
    weeks = ((last - first).days + 1) / 7
    result_rows = [_finish(rows[c.code], target, _county_count(p), weeks) for c, p in child_prefix]
    total = _finish(total, target, _county_count(subtree_prefix(region.code)), weeks)
    return Timeliness(region=region, first=first, last=last, target=target, total=total, rows=result_rows)


def _county_count(prefix: str) -> int:
    """Counties under ``prefix`` (townships where a prefecture has no counties, as in Dongguan)."""
    under = Region.objects.filter(code__startswith=prefix)
    return under.filter(level="county").count() or under.filter(level="township").count() or 1


# ---------------------------------------------------------------------------------------- late / missing


@dataclass(frozen=True)
class SiteReporting:
    site: SentinelSite
    expected: int
    received: int
    late: int

    @property
    def missing(self) -> int:
        return self.expected - self.received


@dataclass(frozen=True)
class ReportingSummary:
    first: dt.date
    last: dt.date
    sites: list[SiteReporting]
    by_region: list[dict]
    expected: int
    received: int
    late: int


def reporting_status(*, user, region: str = "", first: dt.date, last: dt.date, only_incomplete: bool = True,
                     limit: int = 200) -> ReportingSummary:
    """Expected, received and late reports per site (and per county) from ``first`` to ``last``.

    Expected: each indicator of each active site every day. Late: received after ``REPORT_DUE_HOUR``
    o'clock of the next day.
    """
    sites = site_list(user=user, region=region).filter(active=True).annotate(n_indicators=Count("indicators"))
    days = (last - first).days + 1
    tz = timezone.get_current_timezone()
    reports = scoped(user, SentinelReport.objects.filter(date__gte=first, date__lte=last), SCOPE_FIELD)
    if region:
        reports = reports.filter(region__code__startswith=region_prefix(region))
    received = dict(reports.order_by().values("site_id").annotate(n=Count("id")).values_list("site_id", "n"))
    late: dict[int, int] = {}
    for offset in range(days):  # one grouped query per day: late means after the next day's due hour
        day = first + dt.timedelta(days=offset)
        due = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(REPORT_DUE_HOUR), tzinfo=tz)
        for site_id, n in reports.filter(date=day, reported_at__gt=due).order_by().values("site_id") \
                .annotate(n=Count("id")).values_list("site_id", "n"):
            late[site_id] = late.get(site_id, 0) + n
    rows, by_county = [], {}
    total_expected = total_received = total_late = 0
    for site in sites.order_by("region_id", "code"):
        expected = site.n_indicators * days
        got, tardy = received.get(site.pk, 0), late.get(site.pk, 0)
        total_expected += expected
        total_received += got
        total_late += tardy
        county = by_county.setdefault(site.region_id, {"region": site.region, "sites": 0, "expected": 0,
                                                       "received": 0, "late": 0})
        county["sites"] += 1
        county["expected"] += expected
        county["received"] += got
        county["late"] += tardy
        if (not only_incomplete or got < expected or tardy) and len(rows) < limit:
            rows.append(SiteReporting(site=site, expected=expected, received=got, late=tardy))
    for county in by_county.values():
        county["missing"] = county["expected"] - county["received"]
        county["completeness"] = round(county["received"] / county["expected"], 4) if county["expected"] else None
    return ReportingSummary(first=first, last=last, sites=rows, by_region=list(by_county.values()),
                            expected=total_expected, received=total_received, late=total_late)
