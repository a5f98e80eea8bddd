"""Reports as arrays: read the daily counts of one indicator into a (day × unit) matrix at a level.

Units: a site (level ``site``), a county (``county``: the six-digit county code, or the township itself
where a prefecture has no counties, as in Dongguan and Zhongshan) or a city (``city``: the prefecture).
A missing site report is filled with the site's median over the window before summing, so that one
clinic forgetting to report does not look like a drop in the county; a unit-day with no report from any
of its sites stays missing (NaN), which the detectors treat as R does. With ``denominators``, the
reported denominators (consultations, enrolment) are read and summed the same way, and ``rates`` gives
``100 × count / denominator`` per unit-day (NaN where no denominator was reported).
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass

import numpy as np
from django.db import connection

from fangkong.surveillance.models import SentinelReport, SentinelSite


def county_code(code: str) -> str:
    county = code[:6]
    return code if county.endswith("00") and len(code) > 6 else county


def city_code(code: str) -> str:
    return code[:4] + "00"


def unit_of(level: str, site_id: int, region_code: str) -> tuple[str, str]:
    """(unit key, region code) of a site's report at ``level``."""
    if level == "site":
        return f"site:{site_id}", region_code
    code = county_code(region_code) if level == "county" else city_code(region_code)
    return f"region:{code}", code


@dataclass(frozen=True)
class UnitMatrix:
    first: dt.date
    unit_keys: list[str]
    unit_regions: list[str]
    unit_sites: list[int | None]
    counts: np.ndarray  # (day, unit) float, NaN = missing
    denominators: np.ndarray | None = None  # the same shape, when read; NaN = missing or not reported

    @property
    def rates(self) -> np.ndarray:
        """100 × count / denominator (per cent), NaN where either is missing or the denominator is 0."""
        if self.denominators is None:
            raise ValueError("the denominators were not read")
        with np.errstate(divide="ignore", invalid="ignore"):
            rates = 100.0 * self.counts / self.denominators
        return np.where(np.isfinite(rates) & (self.denominators > 0), rates, np.nan)

    @property
    def n_days(self) -> int:
        return self.counts.shape[0]

    def day(self, index: int) -> dt.date:
        return self.first + dt.timedelta(days=index)


def _region_filter(level: str, unit_key: str) -> dict:
    kind, value = unit_key.split(":", 1)
    if kind == "site":
        return {"site_id": int(value)}
    return {"region__code__startswith": value[:4] if level == "city" else value}


def load_site_matrix(*, indicator_id: int, first: dt.date, last: dt.date, unit_key: str | None = None,
                     level: str = "site", denominators: bool = False) -> UnitMatrix:
    """The counts of ``indicator_id`` per site from ``first`` to ``last`` (inclusive); NaN = no report.

    Rows are read once as plain tuples (site, date, count) through the database cursor; at 30,000 sites
    a month of one indicator is under a million rows. ``unit_key`` restricts to the sites of one unit.
    """
    n_days = (last - first).days + 1
    qs = SentinelReport.objects.filter(indicator_id=indicator_id, date__gte=first, date__lte=last)
    if unit_key:
        qs = qs.filter(**_region_filter(level, unit_key))
    columns = ("site_id", "date", "count", "denominator") if denominators else ("site_id", "date", "count")
    sql, params = qs.values_list(*columns).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return UnitMatrix(first, [], [], [], np.zeros((n_days, 0)), np.zeros((n_days, 0)) if denominators else None)
    site_ids, dates, values, *rest = zip(*rows, strict=True)
    site_ids = np.asarray(site_ids, dtype=np.int64)
    date_index = {first + dt.timedelta(days=i): i for i in range(n_days)}
    date_index.update({d.isoformat(): i for d, i in list(date_index.items())})  # SQLite hands back text
    days = np.fromiter((date_index[d] for d in dates), dtype=np.int64, count=len(rows))
    sites, site_index = np.unique(site_ids, return_inverse=True)
    matrix = np.full((n_days, len(sites)), np.nan)
    matrix[days, site_index] = np.asarray(values, dtype=np.float64)
    denominator_matrix = None
    if denominators:
        denominator_matrix = np.full((n_days, len(sites)), np.nan)
        denominator_matrix[days, site_index] = np.array([np.nan if d is None else d for d in rest[0]],
                                                        dtype=np.float64)
    region_of = dict(SentinelSite.objects.filter(pk__in=sites.tolist()).values_list("pk", "region_id")) \
        if len(sites) < 900 else dict(SentinelSite.objects.values_list("pk", "region_id"))
    return UnitMatrix(first, [f"site:{s}" for s in sites.tolist()], [region_of[s] for s in sites.tolist()],
                      sites.tolist(), matrix, denominator_matrix)


def _filled_sums(matrix: np.ndarray, unit_of_site: np.ndarray, n_units: int) -> np.ndarray:
    """Per unit and day, the sum over its sites, a missing site-day counting as the site's median."""
    reported = ~np.isnan(matrix)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a site with no report in the window
        medians = np.nanmedian(matrix, axis=0)
    filled = np.where(reported, matrix, np.nan_to_num(medians)[None, :])
    totals_t = np.zeros((n_units, matrix.shape[0]))
    np.add.at(totals_t, unit_of_site, filled.T)
    return totals_t.T.copy()


def aggregate(site_matrix: UnitMatrix, level: str) -> UnitMatrix:
    """Sum a site matrix to counties or cities (missing site-days filled with the site's median)."""
    if level == "site" or not site_matrix.unit_keys:
        return site_matrix
    matrix = site_matrix.counts
    n_days = matrix.shape[0]
    reported = ~np.isnan(matrix)
    keys: dict[str, int] = {}
    regions: list[str] = []
    unit_of_site = np.empty(len(site_matrix.unit_keys), dtype=np.int64)
    for i, (site_id, code) in enumerate(zip(site_matrix.unit_sites, site_matrix.unit_regions, strict=True)):
        key, unit_code = unit_of(level, site_id, code)
        if key not in keys:
            keys[key] = len(keys)
            regions.append(unit_code)
        unit_of_site[i] = keys[key]
    totals = _filled_sums(matrix, unit_of_site, len(keys))
    reports_t = np.zeros((len(keys), n_days))
    np.add.at(reports_t, unit_of_site, reported.T.astype(np.float64))
    any_report = reports_t.T > 0
    totals[~any_report] = np.nan
    denominators = None
    if site_matrix.denominators is not None:
        denominators = _filled_sums(site_matrix.denominators, unit_of_site, len(keys))
        denominators[~any_report] = np.nan
    return UnitMatrix(site_matrix.first, list(keys), regions, [None] * len(keys), np.round(totals), denominators)


def load_matrix(*, indicator_id: int, level: str, first: dt.date, last: dt.date,
                unit_key: str | None = None, denominators: bool = False) -> UnitMatrix:
    """The counts of ``indicator_id`` from ``first`` to ``last`` (inclusive) per unit at ``level``."""
    sites = load_site_matrix(indicator_id=indicator_id, first=first, last=last, unit_key=unit_key, level=level,
                             denominators=denominators)
    return aggregate(sites, level)
