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

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fangkong.epi.detection.detector import DetectorControl
from fangkong.epi.detection.result import DetectionResult
from fangkong.epi.series import SurveillanceSeries, coerce_series, resolve_timepoints


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


@dataclass(frozen=True)
class MovingPercentileControl(DetectorControl):
    """Control of the CIDARS moving-percentile method (Yang et al. 2011); CIDARS's settings as defaults."""

    name: ClassVar[str] = "moving_percentile"
    r_function: ClassVar[str] = "CIDARS moving percentile (Yang et al. 2011); no R function"

    #: the percentile of the historical period counts that is the bound, in [0, 100] (CIDARS: 50, or 80)
    percentile: float = 50.0
    #: number of previous years searched, >= 1
    years: int = 3
    #: periods before and after the same period of each previous year also searched, >= 0
    adjacent_periods: int = 2
    #: points summed into one period; None = 7 for daily series (freq 365), 1 otherwise
    period_length: int | None = None
    #: no alarm unless the current period holds at least this many cases
    min_cases: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.percentile <= 100:
            raise ValueError(f"percentile must lie in [0, 100], got {self.percentile!r}")
        for name, least in (("years", 1), ("adjacent_periods", 0)):
            value = getattr(self, name)
            if int(value) != value or value < least:
                raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
            object.__setattr__(self, name, int(value))
        if self.period_length is not None:
            object.__setattr__(self, "period_length", _period_length(self.period_length, 1))

    def _shifts(self, freq: int) -> tuple[np.ndarray, int]:
        length = _period_length(self.period_length, freq)
        shifts = np.array(
            [
                -year * freq + period * length
                for year in range(1, self.years + 1)
                for period in range(-self.adjacent_periods, self.adjacent_periods + 1)
            ]
        )
        return shifts, length

    def history(self, freq: int) -> int:
        shifts, length = self._shifts(freq)
        return -int(shifts.min()) + length - 1

    def evaluate(self, series: SurveillanceSeries, timepoints: object = None) -> DetectionResult:
        """The moving percentile at ``timepoints`` (default: every point with enough history). The
        percentile is numpy's default (linear interpolation, R's type 7). Diagnostics: ``current`` (the
        period count)."""
        series = coerce_series(series)
        shifts, length = self._shifts(series.freq)
        history = -int(shifts.min()) + length - 1
        points = resolve_timepoints(
            timepoints,
            default_start=history,
            n_time=series.n_time,
            minimum=history,
            history=f"years={self.years} with adjacent_periods={self.adjacent_periods} and period_length={length}",
        )
        if int(shifts.max()) > 0:
            raise ValueError("adjacent_periods reach beyond the current time point; use fewer or more years")
        current = _window_sums(series.observed, points, length)
        historical = _window_sums(series.observed, points[None, :] + shifts[:, None], length)  # (shift, tp, unit)
        upperbound = np.percentile(historical, self.percentile, axis=0)
        alarm = (current > upperbound) & (current >= self.min_cases)
        return DetectionResult(
            method="moving_percentile",
            timepoints=points,
            upperbound=upperbound,
            alarm=alarm,
            diagnostics={"current": current},
        )


@dataclass(frozen=True)
class FixedThresholdControl(DetectorControl):
    """Control of the fixed threshold: an alarm whenever a period's count reaches ``threshold``."""

    name: ClassVar[str] = "fixed_threshold"
    r_function: ClassVar[str] = "CIDARS fixed threshold (Yang et al. 2011); no R function"

    #: the count that raises an alarm, >= 1 (1: every single case is a signal)
    threshold: int = 1
    #: points summed into one period, >= 1
    period_length: int = 1

    def __post_init__(self) -> None:
        if int(self.threshold) != self.threshold or self.threshold < 1:
            raise ValueError(f"threshold must be an integer >= 1, got {self.threshold!r}")
        object.__setattr__(self, "threshold", int(self.threshold))
        object.__setattr__(self, "period_length", _period_length(self.period_length, 1))

    def history(self, freq: int) -> int:
        return self.period_length - 1

    def evaluate(self, series: SurveillanceSeries, timepoints: object = None) -> DetectionResult:
        """The threshold at ``timepoints``. ``upperbound`` is ``threshold - 1`` (the largest count without
        alarm), so that, as for every other detector, ``alarm == current > upperbound``. Diagnostics:
        ``current``."""
        series = coerce_series(series)
        length = self.period_length
        points = resolve_timepoints(
            timepoints,
            default_start=length - 1,
            n_time=series.n_time,
            minimum=length - 1,
            history=f"period_length={length}",
        )
        current = _window_sums(series.observed, points, length)
        upperbound = np.full(current.shape, float(self.threshold) - 1.0)
        return DetectionResult(
            method="fixed_threshold",
            timepoints=points,
            upperbound=upperbound,
            alarm=current >= self.threshold,
            diagnostics={"current": current},
        )


def moving_percentile(
    observed: object, *, timepoints: object = None, freq: int | None = None, **control: object
) -> DetectionResult:
    """CIDARS moving-percentile method at ``timepoints`` (0-based) for every unit.

    ``observed``: a :class:`~fangkong.epi.series.SurveillanceSeries` or (time, unit) counts; ``freq``
    overrides the series' own. ``control``: the fields of :class:`MovingPercentileControl`
    (``percentile``, ``years``, ``adjacent_periods``, ``period_length``, ``min_cases``: defaults and
    meaning documented there). Returns a
    :class:`DetectionResult` shaped (len(timepoints), unit); diagnostics ``current``.
    """
    return MovingPercentileControl(**control).evaluate(coerce_series(observed, freq=freq), timepoints)


def fixed_threshold(observed: object, *, timepoints: object = None, **control: object) -> DetectionResult:
    """An alarm whenever the count over the last ``period_length`` points reaches ``threshold``.

    ``control``: the fields of :class:`FixedThresholdControl` (``threshold``, ``period_length``).
    Returns a :class:`DetectionResult` shaped (len(timepoints), unit); diagnostics ``current``.
    """
    return FixedThresholdControl(**control).evaluate(coerce_series(observed), timepoints)
