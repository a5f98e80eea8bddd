"""Reports as arrays: read the daily counts of one indicator into a (day × unit) matrix at a level.

Units: a site (level ``site``), a county (``county``: the six-digit county code, or the township itself
where a prefecture has no counties, as in Dongguan and Zhongshan) or a city (``city``: the prefecture).
A missing site report is filled with the site's median over the window before summing, so that one
clinic forgetting to report does not look like a drop in the county; a unit-day with no report from any
of its sites stays missing (NaN), which the detectors treat as R does.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass

import numpy as np

from fangkong.surveillance.models import SentinelReport


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


def load_matrix(*, indicator_id: int, level: str, first: dt.date, last: dt.date,
                unit_key: str | None = None) -> UnitMatrix:
    """The counts of ``indicator_id`` from ``first`` to ``last`` (inclusive) per unit at ``level``."""
    n_days = (last - first).days + 1
    qs = SentinelReport.objects.filter(indicator_id=indicator_id, date__gte=first, date__lte=last)
    if unit_key:
        qs = qs.filter(**_region_filter(level, unit_key))
    rows = list(qs.values_list("site_id", "region_id", "date", "count").iterator(chunk_size=20000))
    if not rows:
        return UnitMatrix(first, [], [], [], np.zeros((n_days, 0)))
    site_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    ordinal0 = first.toordinal()
    days = np.fromiter((r[2].toordinal() - ordinal0 for r in rows), dtype=np.int64, count=len(rows))
    values = np.fromiter((r[3] for r in rows), dtype=np.float64, count=len(rows))
    sites, site_index = np.unique(site_ids, return_inverse=True)
    site_region: dict[int, str] = {}
    for r in rows:
        site_region.setdefault(r[0], r[1])
    matrix = np.full((n_days, len(sites)), np.nan)
    matrix[days, site_index] = values
    if level == "site":
        return UnitMatrix(first, [f"site:{s}" for s in sites], [site_region[int(s)] for s in sites],
                          [int(s) for s in sites], matrix)
    reported = ~np.isnan(matrix)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a site with no report in the window
        medians = np.nanmedian(matrix, axis=0)
    filled = np.where(reported, matrix, np.nan_to_num(medians)[None, :])
    keys: dict[str, int] = {}
    regions: list[str] = []
    unit_of_site = np.empty(len(sites), dtype=np.int64)
    for i, s in enumerate(sites):
        key, code = unit_of(level, int(s), site_region[int(s)])
        if key not in keys:
            keys[key] = len(keys)
            regions.append(code)
        unit_of_site[i] = keys[key]
    totals_t = np.zeros((len(keys), n_days))
    np.add.at(totals_t, unit_of_site, filled.T)
    reports_t = np.zeros((len(keys), n_days))
    np.add.at(reports_t, unit_of_site, reported.T.astype(np.float64))
    totals, any_report = totals_t.T, reports_t.T > 0
    totals[~any_report] = np.nan
    return UnitMatrix(first, list(keys), regions, [None] * len(keys), np.round(totals))
