"""CIDARS methods (China Infectious Disease Automated-alert and Response System, Yang et al. 2011).

``moving_percentile``: the count of the current period (the last 7 days for daily data, the current
week for weekly data) is compared with a percentile of historical counts of the same length: the
same period and the ``adjacent_periods`` periods before and after it, in each of the ``years``
previous years. CIDARS uses 3 years and 2 adjacent periods on each side, i.e. 3 x 5 = 15 historical
values, and the 50th percentile (80th for some diseases); those are the defaults. The 7-day window is
CIDARS's choice: it smooths the day-of-week reporting cycle of the national notifiable system while
keeping detection within a week. A year is ``freq`` time points (365 days or 52 weeks), so the
historical periods drift by one day per year against the calendar; with three years this is small
compared with the two adjacent periods searched on each side. An alarm is raised when the current
count exceeds the percentile and is at least ``min_cases``.

``fixed_threshold``: for diseases where a single case is a signal (plague, cholera, SARS, human
infection with H7N9...), an alarm whenever the count of the current period reaches ``threshold``.
"""

from __future__ import annotations

import numpy as np

from fangkong.epi.detection.result import DetectionResult
from fangkong.epi.series import coerce_series, resolve_timepoints


def _period_length(period_length: int | None, freq: int) -> int:
    if period_length is None:
        return 7 if freq == 365 else 1
    if int(period_length) != period_length or period_length < 1:
        raise ValueError(f"period_length must be an integer >= 1, got {period_length!r}")
    return int(period_length)


def _window_sums(counts: np.ndarray, ends: np.ndarray, length: int) -> np.ndarray:
    """Sum of ``counts[end-length+1 .. end]`` for every ``end`` in ``ends`` (any shape) and unit."""
    total = counts[ends].astype(float)
    for lag in range(1, length):
        total = total + counts[ends - lag]
    return total


def moving_percentile(
    observed: object,
    *,
    timepoints: object = None,
    freq: int | None = None,
    percentile: float = 50.0,
    years: int = 3,
    adjacent_periods: int = 2,
    period_length: int | None = None,
    min_cases: int = 1,
) -> DetectionResult:
    """CIDARS moving-percentile method at ``timepoints`` (0-based) for every unit.

    ``period_length`` defaults to 7 for daily series (``freq=365``) and 1 otherwise. The percentile is
    numpy's default (linear interpolation, R's type 7). Diagnostics: ``current`` (the period count).
    """
    if not 0 <= percentile <= 100:
        raise ValueError(f"percentile must lie in [0, 100], got {percentile!r}")
    for name, value, least in (("years", years, 1), ("adjacent_periods", adjacent_periods, 0)):
        if int(value) != value or value < least:
            raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    series = coerce_series(observed, freq=freq)
    length = _period_length(period_length, series.freq)
    shifts = np.array(
        [
            -year * series.freq + period * length
            for year in range(1, years + 1)
            for period in range(-adjacent_periods, adjacent_periods + 1)
        ]
    )
    history = -int(shifts.min()) + length - 1
    points = resolve_timepoints(
        timepoints,
        default_start=history,
        n_time=series.n_time,
        minimum=history,
        history=f"years={years} with adjacent_periods={adjacent_periods} and period_length={length}",
    )
    if int(shifts.max()) > 0:
        raise ValueError("adjacent_periods reach beyond the current time point; use fewer or more years")
    current = _window_sums(series.observed, points, length)
    historical = _window_sums(series.observed, points[None, :] + shifts[:, None], length)  # (shift, tp, unit)
    upperbound = np.percentile(historical, percentile, axis=0)
    alarm = (current > upperbound) & (current >= min_cases)
    return DetectionResult(
        method="moving_percentile",
        timepoints=points,
        upperbound=upperbound,
        alarm=alarm,
        diagnostics={"current": current},
    )


def fixed_threshold(
    observed: object,
    *,
    timepoints: object = None,
    threshold: int = 1,
    period_length: int = 1,
) -> DetectionResult:
    """Alarm whenever the count over the last ``period_length`` points reaches ``threshold``.

    ``upperbound`` is ``threshold - 1`` (the largest count without alarm), so that, as for every other
    detector, ``alarm == current > upperbound``. Diagnostics: ``current``.
    """
    if int(threshold) != threshold or threshold < 1:
        raise ValueError(f"threshold must be an integer >= 1, got {threshold!r}")
    series = coerce_series(observed)
    length = _period_length(period_length, series.freq)
    points = resolve_timepoints(
        timepoints,
        default_start=length - 1,
        n_time=series.n_time,
        minimum=length - 1,
        history=f"period_length={length}",
    )
    current = _window_sums(series.observed, points, length)
    upperbound = np.full(current.shape, float(threshold) - 1.0)
    return DetectionResult(
        method="fixed_threshold",
        timepoints=points,
        upperbound=upperbound,
        alarm=current >= threshold,
        diagnostics={"current": current},
    )
