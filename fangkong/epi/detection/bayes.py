"""Bayes system (Riebler 2004), as R ``surveillance::algo.bayes``, vectorised over units.

The reference values are the ``w`` counts before ``t`` (if ``act_y``) and, for each of the ``b``
previous years, the window ``t - i*freq - w .. t - i*freq + w``. With a flat prior on the Poisson
rate, the predictive distribution of the next count is negative binomial with
``size = sum(reference) + 1/2`` and ``prob = n / (n + 1)`` (``n`` = number of non-missing reference
values); the upper bound is its ``1 - alpha`` quantile and an alarm is raised when the count
exceeds it. Missing reference values are skipped, as in R.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy import stats

from fangkong.epi.detection.detector import DetectorControl
from fangkong.epi.detection.result import DetectionResult
from fangkong.epi.series import SurveillanceSeries, coerce_series, resolve_timepoints


def bayes_reference_offsets(*, freq: int, b: int, w: int, act_y: bool) -> np.ndarray:
    """Offsets (relative to ``t``) of the reference values R's ``algo.bayesLatestTimepoint`` uses."""
    parts = [np.arange(-w, 0)] if act_y else []
    for i in range(1, b + 1):
        parts.append(np.arange(-i * freq - w, -i * freq + w + 1))
    return np.concatenate(parts) if parts else np.array([], dtype=int)


@dataclass(frozen=True)
class BayesControl(DetectorControl):
    """Control of R ``surveillance::algo.bayes(disProgObj, control = list(...))``; R's defaults."""

    name: ClassVar[str] = "bayes"
    r_function: ClassVar[str] = "surveillance::algo.bayes"

    #: number of past years whose windows around ``t - i*freq`` are reference values (R ``b``)
    b: int = 0
    #: half-width of those windows, and the number of points just before ``t`` used with ``act_y`` (R ``w``)
    w: int = 6
    #: also use the ``w`` points just before ``t`` (R ``actY``)
    act_y: bool = True
    #: one-sided level: the bound is the predictive distribution's 1 - alpha quantile (R ``alpha``)
    alpha: float = 0.05

    def __post_init__(self) -> None:
        for name in ("b", "w"):
            value = getattr(self, name)
            if int(value) != value or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
            object.__setattr__(self, name, int(value))
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {self.alpha!r}")
        if self.b == 0 and not self.act_y:
            raise ValueError("b=0 with act_y=False leaves no reference values")

    def history(self, freq: int) -> int:
        return -int(bayes_reference_offsets(freq=freq, b=self.b, w=self.w, act_y=self.act_y).min())

    def evaluate(self, series: SurveillanceSeries, timepoints: object = None) -> DetectionResult:
        """The Bayes system at ``timepoints`` (default: every point with enough history). Diagnostics:
        ``reference_sum`` and ``reference_count``."""
        series = coerce_series(series)
        offsets = bayes_reference_offsets(freq=series.freq, b=self.b, w=self.w, act_y=self.act_y)
        history = -int(offsets.min())
        points = resolve_timepoints(
            timepoints,
            default_start=history,
            n_time=series.n_time,
            minimum=history,
            history=f"b*freq + w = {history} (b={self.b}, freq={series.freq}, w={self.w})",
        )
        reference = series.observed[points[:, None] + offsets[None, :]].astype(float)  # (tp, ref, unit)
        present = ~np.isnan(reference)
        total = np.where(present, reference, 0.0).sum(axis=1)
        count = present.sum(axis=1)
        upperbound = stats.nbinom.ppf(1 - self.alpha, total + 0.5, count / (count + 1.0))
        current = series.observed[points].astype(float)
        alarm = current > upperbound
        return DetectionResult(
            method="bayes",
            timepoints=points,
            upperbound=upperbound,
            alarm=alarm,
            diagnostics={"reference_sum": total, "reference_count": count.astype(float)},
        )


def bayes(observed: object, *, timepoints: object = None, freq: int | None = None, **control: object) -> DetectionResult:
    """R's ``algo.bayes`` at ``timepoints`` (0-based; default: every point with enough history).

    ``observed``: a :class:`~fangkong.epi.series.SurveillanceSeries` or (time, unit) counts; ``freq``
    overrides the series' own. ``control``: the fields of :class:`BayesControl` (``b``, ``w``,
    ``act_y``, ``alpha``: defaults and meaning documented there). Returns a :class:`DetectionResult` shaped (len(timepoints), unit);
    diagnostics ``reference_sum`` and ``reference_count``.
    """
    return BayesControl(**control).evaluate(coerce_series(observed, freq=freq), timepoints)
