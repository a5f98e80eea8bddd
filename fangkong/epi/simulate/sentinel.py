"""Sentinel surveillance series: baselines with weekday, season, trend and over-dispersion, plus signal.

One series per sentinel site and indicator it reports (fever clinics: fever-clinic visits; primary
care: ILI consultations; pharmacies: antipyretic and cough-medicine sales; schools: absences). The
expected baseline of series s on day t is

    level_s · dow_i(weekday t) · (1 + a·cos(2π(doy − peak)/365.25)) · (1 + trend)^(t/365.25)

with ``level_s`` = indicator baseline × a log-normal site effect of mean 1. A count is NB(mean, k)
(gamma–Poisson) plus Poisson(excess), where the excess spreads ``signal_per_onset`` × the symptomatic
onsets (outside quarantine) of the site's leaf region over the region's series of that indicator, in
proportion to their levels. Days with a zero weekday factor are not reported; any other report is
missing with probability ``missing_report_rate``. Missing values are -1.

Counts are generated in fixed blocks of :data:`SERIES_BLOCK` series, each from its own random stream,
so the in-memory scenario and the streamed writer produce the same numbers with bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .params import INDICATORS, SENTINEL_INDICATORS, ScenarioParams
from .places import KIND, Places
from .regions import RegionTree
from .streams import SENTINEL_COUNTS, SENTINEL_LEVELS, component_rng

SERIES_BLOCK = 1024
ILI = INDICATORS.index("ili_consultations")
SCHOOL_ABSENCES = INDICATORS.index("school_absences")


@dataclass(frozen=True)
class SentinelSeries:
    """The sentinel series: ``site`` (place id), ``indicator`` (index into INDICATORS), leaf ``region``,
    ``level``, the expected daily count at the seasonal mean on an average weekday, and ``enrolment``
    (pupils of a school for school absences, else 0)."""

    site: np.ndarray
    indicator: np.ndarray
    region: np.ndarray
    level: np.ndarray
    enrolment: np.ndarray

    @property
    def n(self) -> int:
        return len(self.site)


@dataclass(frozen=True)
class SentinelBlock:
    """Counts (series × days, int32, -1 missing), expected baseline and expected excess of a block, and
    denominators (consultations for ILI, enrolment for school absences; -1 where there is none)."""

    first_series: int
    counts: np.ndarray
    baseline: np.ndarray
    excess: np.ndarray
    denominators: np.ndarray


def sentinel_series(params: ScenarioParams, places: Places) -> SentinelSeries:
    """One series per sentinel site and indicator, ordered by site then indicator."""
    rng = component_rng(params.seed, SENTINEL_LEVELS)
    sites: list[np.ndarray] = []
    indicators: list[np.ndarray] = []
    for kind, reported in SENTINEL_INDICATORS.items():
        kind_sites = places.of_kind(kind)
        for indicator in reported:
            sites.append(kind_sites)
            indicators.append(np.full(len(kind_sites), indicator, np.int8))
    site = np.concatenate(sites)
    indicator = np.concatenate(indicators)
    order = np.lexsort((indicator, site))
    site, indicator = site[order], indicator[order]
    baseline = np.array([params.sentinel_baseline[name] for name in INDICATORS])
    sigma = params.site_effect_sd
    effect = rng.lognormal(-sigma**2 / 2, sigma, len(site)) if sigma > 0 else np.ones(len(site))
    return SentinelSeries(
        site=site.astype(np.int32),
        indicator=indicator,
        region=places.region[site].astype(np.int32),
        level=baseline[indicator] * effect,
        enrolment=np.where(indicator == INDICATORS.index("school_absences"), places.capacity[site], 0).astype(np.int32),
    )


def calendar_factors(params: ScenarioParams) -> tuple[np.ndarray, np.ndarray]:
    """(weekday of each day 0=Monday, seasonal × trend factor of each day)."""
    days = np.arange(params.total_days)
    start = params.start_date
    weekday = (start.weekday() + days) % 7
    day_of_year = start.timetuple().tm_yday - 1 + days
    season = 1 + params.seasonal_amplitude * np.cos(
        2 * np.pi * (day_of_year - params.seasonal_peak_day_of_year) / 365.25)
    trend = (1 + params.annual_trend) ** (days / 365.25)
    return weekday, season * trend


def day_of_week_table(params: ScenarioParams) -> np.ndarray:
    """Indicators × 7 weekday factors."""
    return np.array([params.day_of_week[name] for name in INDICATORS], dtype=np.float64)


def region_indicator_levels(tree: RegionTree, series: SentinelSeries) -> np.ndarray:
    """Sum of series levels per (region, indicator), for leaf regions."""
    totals = np.zeros((tree.n, len(INDICATORS)))
    np.add.at(totals, (series.region, series.indicator), series.level)
    return totals


def excess_by_region(params: ScenarioParams, onsets: np.ndarray) -> np.ndarray:
    """Expected extra counts (regions × indicators × days) from the onsets (regions × days)."""
    n_regions, n_days = onsets.shape
    excess = np.zeros((n_regions, len(INDICATORS), n_days))
    weekday, _ = calendar_factors(params)
    reporting = day_of_week_table(params)[:, weekday] > 0
    for i, name in enumerate(INDICATORS):
        lag = params.signal_lag_days[name]
        shifted = np.zeros_like(onsets)
        if lag < n_days:
            shifted[:, lag:] = onsets[:, : n_days - lag]
        excess[:, i, :] = params.signal_per_onset[name] * shifted * reporting[i][None, :]
    return excess


def sentinel_blocks(
    params: ScenarioParams,
    tree: RegionTree,
    series: SentinelSeries,
    onsets: np.ndarray,
) -> Iterator[SentinelBlock]:
    """Yield the counts block by block (each block from its own random stream)."""
    weekday, seasonal = calendar_factors(params)
    dow = day_of_week_table(params)
    region_levels = region_indicator_levels(tree, series)
    region_excess = excess_by_region(params, onsets)
    k = params.sentinel_dispersion
    for block, first in enumerate(range(0, series.n, SERIES_BLOCK)):
        rng = component_rng(params.seed, SENTINEL_COUNTS, block)
        rows = slice(first, min(first + SERIES_BLOCK, series.n))
        level = series.level[rows]
        indicator = series.indicator[rows]
        region = series.region[rows]
        weekday_factor = dow[indicator][:, weekday]
        baseline = level[:, None] * weekday_factor * seasonal[None, :]
        share = level / np.maximum(region_levels[region, indicator], 1e-300)
        excess = region_excess[region, indicator, :] * share[:, None]
        rate = rng.gamma(k, baseline / k) if np.isfinite(k) else baseline
        counts = rng.poisson(rate + excess).astype(np.int32)
        missing = rng.random(counts.shape) < params.missing_report_rate
        absent = missing | (weekday_factor <= 0)
        counts[absent] = -1
        share = params.ili_share_of_consultations
        ili = indicator == ILI
        other = rng.poisson(baseline[ili] * (1.0 / share - 1.0)).astype(np.int32)
        denominators = np.full(counts.shape, -1, dtype=np.int32)
        denominators[ili] = counts[ili] + other
        school = indicator == SCHOOL_ABSENCES
        denominators[school] = series.enrolment[rows][school][:, None]
        denominators[absent] = -1
        yield SentinelBlock(first, counts, baseline.astype(np.float32), excess.astype(np.float32), denominators)


def outbreak_mask(
    params: ScenarioParams, tree: RegionTree, series: SentinelSeries, onsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True outbreak days per region × indicator × day, for every region of the tree (leaves summed up).

    A day is an outbreak day when the expected excess is at least ``outbreak_threshold`` × the expected
    baseline and at least ``outbreak_min_excess`` counts. Returns (mask, expected baseline, excess).
    """
    weekday, seasonal = calendar_factors(params)
    dow = day_of_week_table(params)
    levels = region_indicator_levels(tree, series)
    has_series = levels > 0
    baseline = levels[:, :, None] * dow[None, :, weekday] * seasonal[None, None, :]
    excess = excess_by_region(params, onsets) * has_series[:, :, None]
    baseline = tree.sum_up(baseline)
    excess = tree.sum_up(excess)
    mask = (excess >= params.outbreak_threshold * baseline) & (excess >= params.outbreak_min_excess) & (excess > 0)
    return mask, baseline, excess


def outbreak_periods(mask: np.ndarray, max_gap: int = 2) -> np.ndarray:
    """Runs of outbreak days as a record array (region, indicator, start_day, end_day inclusive).

    Runs separated by at most ``max_gap`` non-outbreak days (e.g. a school weekend) are merged.
    """
    records = []
    regions, indicators, _ = mask.shape
    for r in range(regions):
        for i in range(indicators):
            days = np.flatnonzero(mask[r, i])
            if len(days) == 0:
                continue
            breaks = np.flatnonzero(np.diff(days) > max_gap + 1)
            starts = np.concatenate([[days[0]], days[breaks + 1]])
            ends = np.concatenate([days[breaks], [days[-1]]])
            records.extend((r, i, s, e) for s, e in zip(starts, ends, strict=True))
    return np.array(records, dtype=[("region", "i4"), ("indicator", "i1"), ("start_day", "i4"), ("end_day", "i4")])


def sentinel_site_kinds() -> tuple[int, ...]:
    return tuple(KIND[kind] for kind in SENTINEL_INDICATORS)
