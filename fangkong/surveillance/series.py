"""Reports as series: the daily counts of one indicator read into a ``fangkong.epi`` surveillance series.

The series is the library's own :class:`~fangkong.epi.series.SurveillanceSeries` (``freq=365``, one
``datetime64[D]`` date per day), whose units are labelled with :class:`Unit`: the unit key stored on
signals and alerts, the region it belongs to, and the site at site level. Units: a site (level
``site``), a county (``county``: the six-digit county code, or the township itself where a prefecture has
no counties, as in Dongguan and Zhongshan) or a city (``city``: the prefecture).

A missing site report is filled with the site's median over the window before summing, so that one clinic
forgetting to report does not look like a drop in the county; a unit-day with no report from any of its
sites stays missing (NaN), which the detectors treat as R does. With ``denominators``, the reported
denominators (consultations, enrolment) are read and summed the same way into the series' ``population``
(R's slot for denominators), and ``series.rates(per=100)`` gives ``100 × count / denominator`` per
unit-day (NaN where no denominator was reported).

Every loader returns None when the indicator has no report in the window (a series has at least one unit).
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import NamedTuple

import numpy as np
from django.db import connection

from fangkong.epi.series import SurveillanceSeries
from fangkong.regions.codes import city_code, county_code
from fangkong.surveillance.models import SentinelReport, SentinelSite

#: Sentinel reports are daily.
DAILY = 365


class Unit(NamedTuple):
    """The label of one unit (column) of a sentinel series."""

    key: str  #: ``site:<id>`` or ``region:<code>``, as stored on signals and alerts
    region: str  #: the site's region code, or the county's / city's code
    site: int | None  #: the site id at site level, else None


def unit_of(level: str, site_id: int, region_code: str) -> Unit:
    """The unit a site's report belongs to at ``level``."""
    if level == "site":
        return Unit(f"site:{site_id}", region_code, site_id)
    code = county_code(region_code) if level == "county" else city_code(region_code)
    return Unit(f"region:{code}", code, None)


def unit_position(series: SurveillanceSeries | None, unit_key: str) -> int | None:
    """The column of the unit ``unit_key`` in ``series``, None when it is not there."""
    if series is None:
        return None
    return next((i for i, unit in enumerate(series.units) if unit.key == unit_key), None)


def day_of(series: SurveillanceSeries, index: int) -> dt.date:
    return series.dates[index].item()


def _days(first: dt.date, last: dt.date) -> np.ndarray:
    return np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)


def _region_filter(level: str, unit_key: str) -> dict:
    kind, value = unit_key.split(":", 1)
    if kind == "site":
        return {"site_id": int(value)}
    return {"region__code__startswith": value[:4] if level == "city" else value}


def load_site_series(*, indicator_id: int, first: dt.date, last: dt.date, unit_key: str | None = None,
                     level: str = "site", denominators: bool = False) -> SurveillanceSeries | None:
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
        return None
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
    return SurveillanceSeries(matrix, population=denominator_matrix, freq=DAILY, dates=_days(first, last),
                              units=[unit_of("site", s, region_of[s]) for s in sites.tolist()])


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


def aggregate(site_series: SurveillanceSeries | None, level: str) -> SurveillanceSeries | None:
    """Sum a site series to counties or cities (missing site-days filled with the site's median)."""
    if level == "site" or site_series is None:
        return site_series
    matrix = site_series.observed
    n_days = matrix.shape[0]
    reported = ~np.isnan(matrix)
    positions: dict[str, int] = {}
    units: list[Unit] = []
    unit_of_site = np.empty(site_series.n_units, dtype=np.int64)
    for i, site in enumerate(site_series.units):
        unit = unit_of(level, site.site, site.region)
        if unit.key not in positions:
            positions[unit.key] = len(units)
            units.append(unit)
        unit_of_site[i] = positions[unit.key]
    totals = _filled_sums(matrix, unit_of_site, len(units))
    reports_t = np.zeros((len(units), n_days))
    np.add.at(reports_t, unit_of_site, reported.T.astype(np.float64))
    any_report = reports_t.T > 0
    totals[~any_report] = np.nan
    denominators = None
    if site_series.population is not None:
        denominators = _filled_sums(site_series.population, unit_of_site, len(units))
        denominators[~any_report] = np.nan
    return SurveillanceSeries(np.round(totals), population=denominators, freq=site_series.freq,
                              dates=site_series.dates, units=units)


def load_series(*, indicator_id: int, level: str, first: dt.date, last: dt.date,
                unit_key: str | None = None, denominators: bool = False) -> SurveillanceSeries | None:
    """The counts of ``indicator_id`` from ``first`` to ``last`` (inclusive) per unit at ``level``."""
    sites = load_site_series(indicator_id=indicator_id, first=first, last=last, unit_key=unit_key, level=level,
                             denominators=denominators)
    return aggregate(sites, level)
