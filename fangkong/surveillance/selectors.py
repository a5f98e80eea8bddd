"""Reads of sentinel surveillance, always scoped to the user's regions: sites, reports, alerts, the
series around an alert, response timeliness against targets, and late or missing reports.

Need to know (``fangkong.accounts.need_to_know``): all of it is ``aggregates``. Where a role's reach is
``own_sites`` (the sentinel reporter) it sees only the sites it reports for, their reports and their
site-level signals (``_readable``); region-level views (timeliness, earlies, reporting) need region reach.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from fangkong.accounts.access import get_in_scope_or_404, scoped
from fangkong.accounts.need_to_know import Category, Reach, prefixes_q, read_prefixes
from fangkong.regions.codes import ancestor_codes, is_valid_code, subtree_prefix
from fangkong.regions.models import Region
from fangkong.surveillance import detectors
from fangkong.surveillance.models import (
    Alert,
    AlertStatus,
    DailyRegionReporting,
    DailySiteReporting,
    DetectionConfig,
    Indicator,
    ResponseTarget,
    SentinelReport,
    SentinelSite,
)
from fangkong.surveillance.series import load_series, unit_position

SCOPE_FIELD = "region__code"  # resolves to the foreign-key column, no join
DEFAULT_TARGET = {"acknowledge_hours": 2.0, "verify_hours": 24.0, "response_rate": 0.95}


def region_prefix(code: str) -> str:
    """The code prefix of a region's subtree; an invalid code selects nothing."""
    return subtree_prefix(code) if is_valid_code(code) else "-"


def _readable(user, queryset: QuerySet, site_field: str | None = "site") -> QuerySet:
    """Rows the user may read as aggregates: region-wide where the role reaches the region, and the rows of
    the user's own sites where it reaches only those (``site_field``: the row's site; None: the site itself)."""
    condition = prefixes_q(SCOPE_FIELD, read_prefixes(user, Category.AGGREGATES))
    own_prefixes = read_prefixes(user, Category.AGGREGATES, Reach.OWN_SITES)
    if own_prefixes:
        own = SentinelSite.objects.filter(reporters=user).filter(
            prefixes_q("region__code", own_prefixes)).values("pk")
        condition |= Q(**{"pk__in" if site_field is None else f"{site_field}__in": own})
    return queryset.filter(condition)


def _in_region(user, queryset: QuerySet, region: str) -> QuerySet:
    """``queryset`` (already ``_readable``) narrowed to ``region``'s subtree, or left as it is when everything the
    user reads lies inside that subtree. The same prefix twice (the reach and the region: a city's reader on its
    own city, the default) made PostgreSQL estimate the rows as the square of their share and walk every site of
    the city for the late and missing reports (Shenzhen, 30 days, 30,000 sites: 412 ms instead of 60)."""
    if not region:
        return queryset
    prefix = region_prefix(region)
    reach = read_prefixes(user, Category.AGGREGATES)
    if reach and all(p.startswith(prefix) for p in reach) \
            and not read_prefixes(user, Category.AGGREGATES, Reach.OWN_SITES):
        return queryset
    return queryset.filter(region__code__startswith=prefix)


def _readable_or_404(user, queryset: QuerySet, site_field: str | None = "site", **lookup):
    """One row the user may read (``_readable``), or 404 — audited as any refused object (``get_in_scope_or_404``)."""
    found = _readable(user, queryset, site_field).filter(**lookup).first()
    if found is None:
        get_in_scope_or_404(user, queryset, SCOPE_FIELD, within=[], **lookup)  # audits the refusal, raises 404
        raise Http404("not found")
    return found


def indicator_list() -> QuerySet[Indicator]:
    return Indicator.objects.all()


#: Regions come with their rows but without their boundary: decoding a GeoJSON per row cost seconds on
#: pages listing many sites or alerts (late and missing reports: 1,642 sites, 7 s on the demo).
NO_BOUNDARY = "region__geometry"


def site_list(*, user, region: str = "", kind: str = "") -> QuerySet[SentinelSite]:
    qs = _in_region(user, _readable(user, SentinelSite.objects.select_related("region").defer(NO_BOUNDARY), None),
                    region)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def site_get(*, user, site_id) -> SentinelSite:
    return _readable_or_404(user, SentinelSite.objects.select_related("region").defer(NO_BOUNDARY), None, pk=site_id)


def sites_reported_by(*, user) -> QuerySet[SentinelSite]:
    """The sites the user reports for (and may see)."""
    return scoped(user, SentinelSite.objects.filter(reporters=user, active=True), SCOPE_FIELD) \
        .prefetch_related("indicators").select_related("region").defer(NO_BOUNDARY)


def report_list(*, user, site_id=None, indicator: str = "", first: dt.date | None = None,
                last: dt.date | None = None) -> QuerySet[SentinelReport]:
    qs = _readable(user, SentinelReport.objects.select_related("site", "indicator"))
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
    return _readable_or_404(
        user, SentinelReport.objects.select_related("site", "indicator").prefetch_related("revisions__replaced_by"),
        pk=report_id)


def detection_config_list() -> QuerySet[DetectionConfig]:
    """The detection configurations (not regional: every signed-in user may read them)."""
    return DetectionConfig.objects.select_related("indicator", "updated_by").order_by("indicator__position", "pk")


def province_code() -> str:
    """The root of the region tree (detection is configured at that level)."""
    return Region.objects.filter(parent__isnull=True).order_by("code").values_list("code", flat=True).first() or ""


ALERT_ORDER = ("-last_day", "-id")  # the most recent first


def alert_list(*, user, status: str = "", region: str = "", indicator: str = "", level: str = "",
               open_only: bool = False, first: dt.date | None = None, last: dt.date | None = None) -> QuerySet[Alert]:
    """Alerts in the user's regions, newest first; ``first``/``last``: the alerts whose days overlap that
    period (last day on or after ``first``, first day on or before ``last``)."""
    qs = _readable(user, Alert.objects.select_related("region", "indicator", "site").defer(NO_BOUNDARY))
    if first:
        qs = qs.filter(last_day__gte=first)
    if last:
        qs = qs.filter(first_day__lte=last)
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.exclude(status__in=(AlertStatus.CLOSED, AlertStatus.FALSE_ALARM))
    qs = _in_region(user, qs, region)
    if indicator:
        qs = qs.filter(indicator__code=indicator)
    if level:
        qs = qs.filter(level=level)
    return qs.order_by(*ALERT_ORDER)


def alert_get(*, user, alert_id) -> Alert:
    return _readable_or_404(
        user, Alert.objects.select_related("region", "indicator", "site", "acknowledged_by", "investigating_by",
                                           "verified_by", "closed_by", "case").defer(NO_BOUNDARY),
        pk=alert_id)


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
    first = alert.first_day - dt.timedelta(days=before)
    last = min(alert.last_day + dt.timedelta(days=after), timezone.localdate())
    n = (last - first).days + 1
    dates = [(first + dt.timedelta(days=i)).isoformat() for i in range(n)]
    empty = AlertSeries(dates, [None] * n, [None] * n, [False] * n, str(alert.first_day), str(alert.last_day))
    try:
        history = detectors.history_needed(method, params)
    except ValueError:
        return empty
    series = load_series(indicator_id=alert.indicator_id, level=alert.level,
                         first=first - dt.timedelta(days=history), last=last, unit_key=alert.unit_key,
                         denominators=detectors.is_rate(params))
    unit = unit_position(series, alert.unit_key)
    if unit is None:
        return empty
    series = series.subset(units=[unit])
    observed = detectors.measured(series, params)[history:, 0]
    try:
        flagged = detectors.run_method(method, params, series, np.arange(history, series.n_time))
        upper, alarm = flagged.upperbound[:, 0], flagged.alarm[:, 0]
    except ValueError:
        upper, alarm = np.full(len(observed), np.nan), np.zeros(len(observed), dtype=bool)

    def clean(values):
        return [None if np.isnan(v) else round(float(v), 1) for v in values]

    return AlertSeries(dates, clean(observed), clean(upper), [bool(a) for a in alarm],
                       str(alert.first_day), str(alert.last_day))


# ---------------------------------------------------------------------------------------- timeliness


def response_target_for(region_code: str) -> dict:
    """The targets of the nearest region (itself or an ancestor) that has a row, else the defaults."""
    ancestors = ancestor_codes(region_code)
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


#: The walk of the listed sites costs about this many times a site-day row read by the period's sum
#: (measured on PostgreSQL: 40 µs per site walked, 1.2 µs per site-day row summed).
WALK_COST_PER_SITE = 33


def _listed_sites(active: QuerySet, rows_in_scope: QuerySet, first: dt.date, last: dt.date, days: int,
                  only_incomplete: bool, limit: int, *, n_sites: int, problems: int) -> list[tuple[int, int, int, int]]:
    """(site id, expected, received, late) of the first ``limit`` active sites (by region and code) that missed
    or were late (every site with ``only_incomplete`` False). Two exact ways, chosen by their expected cost:

    - walk the sites in order (index on region, code), each one's period summed from the site-first index of
      the site-day rows, until ``limit`` sites are found: cheap when problem sites are frequent (a month at
      2 % missing reports: the first 200 sites are all listed), a walk of every site when none is;
    - sum the period's site-day rows in scope (``rows_in_scope``) per site (the day-first index) and keep the
      problem sites: cheap for short periods, whatever the number of problem sites.

    ``problems`` (missing plus late reports in the county totals) bounds the number of problem sites from
    above when no site sent more than it is expected to, which estimates how far the walk goes."""
    period = DailySiteReporting.objects.filter(day__gte=first, day__lte=last).order_by()
    walked = n_sites if not problems else min(n_sites, limit * n_sites / min(problems, n_sites))
    if not only_incomplete or walked * WALK_COST_PER_SITE < days * n_sites:
        of_site = period.filter(site=OuterRef("pk")).values("site")
        walk = active.order_by("region_id", "code").annotate(
            got=Coalesce(Subquery(of_site.annotate(n=Sum("received")).values("n")), 0),
            tardy=Coalesce(Subquery(of_site.annotate(n=Sum("late")).values("n")), 0))
        if only_incomplete:
            walk = walk.filter(Q(got__lt=F("n_indicators") * days) | Q(tardy__gt=0))
        return [(pk, n * days, got, tardy) for pk, n, got, tardy in
                walk.values_list("pk", "n_indicators", "got", "tardy")[:limit]]
    # Two plain reads joined here: a join in SQL is planned on the day's statistics, and the newest day (the
    # one most asked for) is the one ANALYZE has not seen yet: estimated at one row, it was joined by a nested
    # loop over every site (58 s for a day of 30,000 sites).
    counted = {site: (got, tardy) for site, got, tardy in rows_in_scope.order_by().values("site")
               .annotate(got=Sum("received"), tardy=Sum("late")).values_list("site", "got", "tardy")}
    listed = []
    for pk, n, region, code in active.values_list("pk", "n_indicators", "region_id", "code"):  # sorted here
        got, tardy = counted.get(pk, (0, 0))
        if got < n * days or tardy:
            listed.append((region, code, pk, n * days, got, tardy))
    return [row[2:] for row in sorted(listed)[:limit]]


def reporting_status(*, user, region: str = "", first: dt.date, last: dt.date, only_incomplete: bool = True,
                     limit: int = 200) -> ReportingSummary:
    """Expected, received and late reports per site (and per county) from ``first`` to ``last``.

    Expected: each indicator of each active site every day. Late: received after ``summaries.REPORT_DUE_HOUR``
    o'clock of the next day. Read from the daily summaries (``summaries.py``, kept in step with the reports),
    not from the reports themselves:

    - the totals per county from the region-day rows (about 180 a day at province scale), less the rows of
      the inactive sites in scope (read site by site), against each county's active sites × indicators;
    - the sites listed (the first ``limit``, by region and code, that missed or were late) found in the
      database: it walks the active sites in that order (an index) and sums each one's period from the
      site-first index of the site-day rows, stopping at the ``limit``-th listed site.

    Both equal the site-by-site count (``reporting_status_by_site``, which serves the sentinel reporter's
    own sites) when every site's reports carry the site's region, as the services write them.
    """
    if read_prefixes(user, Category.AGGREGATES, Reach.OWN_SITES):
        return reporting_status_by_site(user=user, region=region, first=first, last=last,
                                         only_incomplete=only_incomplete, limit=limit)
    days = (last - first).days + 1
    sites = site_list(user=user, region=region)
    active = sites.filter(active=True).order_by()
    slots = {code: (n_sites, n) for code, n_sites, n in active.values("region_id").annotate(
        n_sites=Count("pk"), n=Sum("n_indicators")).values_list("region_id", "n_sites", "n")}

    def in_period(queryset: QuerySet) -> QuerySet:
        return _in_region(user, _readable(user, queryset.filter(day__gte=first, day__lte=last)), region)

    counted: dict[str, list[int]] = {}
    for code, received, late in in_period(DailyRegionReporting.objects).order_by().values("region_id").annotate(
            received=Sum("received"), late=Sum("late")).values_list("region_id", "received", "late"):
        counted[code] = [received, late]
    inactive = list(sites.filter(active=False).order_by().values_list("pk", flat=True))
    for code, received, late in in_period(DailySiteReporting.objects.filter(site__in=inactive)).order_by() \
            .values("region_id").annotate(received=Sum("received"), late=Sum("late")) \
            .values_list("region_id", "received", "late"):
        counted.setdefault(code, [0, 0])
        counted[code][0] -= received
        counted[code][1] -= late
    by_county = []
    counties = Region.objects.defer("geometry").in_bulk(list(slots))
    for code in sorted(slots):
        n_sites, n_indicators = slots[code]
        received, late = counted.get(code, (0, 0))
        expected = n_indicators * days
        by_county.append({"sites": n_sites, "expected": expected, "received": received, "late": late,
                          "region": counties[code], "missing": expected - received,
                          "completeness": round(received / expected, 4) if expected else None})

    listed = _listed_sites(active, in_period(DailySiteReporting.objects), first, last, days, only_incomplete, limit,
                           n_sites=sum(c["sites"] for c in by_county),
                           problems=sum(max(c["missing"], 0) + c["late"] for c in by_county))
    objects = SentinelSite.objects.select_related("region").defer(NO_BOUNDARY).in_bulk([row[0] for row in listed])
    return ReportingSummary(
        first=first, last=last,
        sites=[SiteReporting(site=objects[pk], expected=expected, received=got, late=tardy)
               for pk, expected, got, tardy in listed],
        by_region=by_county, expected=sum(c["expected"] for c in by_county),
        received=sum(c["received"] for c in by_county), late=sum(c["late"] for c in by_county))


def reporting_status_by_site(*, user, region: str, first: dt.date, last: dt.date, only_incomplete: bool,
                              limit: int) -> ReportingSummary:
    """``reporting_status`` counted site by site in Python from the site-day rows: for readers whose reach
    is their own sites (a handful), where the region-day totals would count other sites."""
    days = (last - first).days + 1
    sites = site_list(user=user, region=region).filter(active=True).order_by("region_id", "code") \
        .values_list("pk", "region_id").annotate(n_indicators=Count("indicators"))
    summary = _in_region(user, _readable(user, DailySiteReporting.objects.filter(day__gte=first, day__lte=last)),
                         region)
    counted = {site: (received, late) for site, received, late in summary.order_by().values("site_id")
               .annotate(received=Sum("received"), late=Sum("late")).values_list("site_id", "received", "late")}
    listed, by_county = [], {}
    total_expected = total_received = total_late = 0
    for site_id, county_code, n_indicators in sites:
        expected = n_indicators * days
        got, tardy = counted.get(site_id, (0, 0))
        total_expected += expected
        total_received += got
        total_late += tardy
        county = by_county.setdefault(county_code, {"sites": 0, "expected": 0, "received": 0, "late": 0})
        county["sites"] += 1
        county["expected"] += expected
        county["received"] += got
        county["late"] += tardy
        if (not only_incomplete or got < expected or tardy) and len(listed) < limit:
            listed.append((site_id, expected, got, tardy))
    objects = SentinelSite.objects.select_related("region").defer(NO_BOUNDARY).in_bulk([s[0] for s in listed])
    rows = [SiteReporting(site=objects[site_id], expected=expected, received=got, late=tardy)
            for site_id, expected, got, tardy in listed]
    counties = Region.objects.defer("geometry").in_bulk(list(by_county))
    for code, county in by_county.items():
        county["region"] = counties[code]
        county["missing"] = county["expected"] - county["received"]
        county["completeness"] = round(county["received"] / county["expected"], 4) if county["expected"] else None
    return ReportingSummary(first=first, last=last, sites=rows, by_region=list(by_county.values()),
                            expected=total_expected, received=total_received, late=total_late)
