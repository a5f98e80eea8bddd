"""EARS C1, C2 and C3 (Hutwagner et al. 2003), as R ``surveillance::earsC``, vectorised over units.

C1 compares the count at ``t`` with the mean and standard deviation of the ``baseline`` preceding
counts; C2 does the same with a guard band of two time points (baseline ``t-baseline-2 .. t-3``);
C3 sums the positive parts of ``C2 - 1`` over ``t-2, t-1, t``.

C3 and R: the published C3 statistic (Hutwagner et al. 2003; Fricker et al. 2008) is
``C3_t = sum_{i=t-2}^{t} max(0, C2_i - 1)`` and alarms when ``C3_t > z_{1-alpha}``. R's ``earsC``
instead sets the bound to ``y_t + sd_t * (z - lag2 - lag1)`` (floored at 0), which leaves out the
current term, so R's C3 alarm depends only on the two previous time points and never on ``y_t``.
By default we follow the published method (``r_compat=False``): the alarm is ``C3_t > z`` and the
upper bound is the smallest count giving that alarm, ``mean_t + sd_t * (1 + z - lag2 - lag1)``
(floored at 0; when the lags alone exceed ``z`` every count alarms and the bound is 0 with the
alarm also raised for a zero count). ``r_compat=True`` reproduces R exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.stats import norm

from fangkong.epi.detection.detector import DetectorControl
from fangkong.epi.detection.result import DetectionResult
from fangkong.epi.series import SurveillanceSeries, coerce_series, resolve_timepoints

EARS_METHODS = ("C1", "C2", "C3")
DEFAULT_ALPHA = {"C1": 0.001, "C2": 0.001, "C3": 0.025}
#: how many time points before ``t`` each method reads, given ``baseline``
EARS_LAG_BEYOND_BASELINE = {"C1": 0, "C2": 2, "C3": 4}


def _baseline_moments(observed: np.ndarray, ends: np.ndarray, baseline: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample sd of ``observed[end-baseline : end]`` for every ``end`` (rows) and unit."""
    windows = sliding_window_view(observed, baseline, axis=0)  # (time-baseline+1, unit, baseline)
    chosen = windows[ends - baseline]
    mean = chosen.mean(axis=-1)
    sd = chosen.std(axis=-1, ddof=1)
    return mean, sd


@dataclass(frozen=True)
class EarsControl(DetectorControl):
    """Control of EARS C1/C2/C3, as R ``surveillance::earsC(sts, control = list(...))``; R's defaults."""

    name: ClassVar[str] = "earsC"
    r_function: ClassVar[str] = "surveillance::earsC"
    continuous: ClassVar[bool] = True
    scale_parameters: ClassVar[tuple[str, ...]] = ("min_sigma",)

    #: "C1" (baseline just before t), "C2" (baseline before a two-point guard band) or "C3" (R ``method``)
    method: str = "C1"
    #: number of time points in the baseline, >= 3 (R ``baseline``)
    baseline: int = 7
    #: floor of the baseline's standard deviation, in the units of the observations (R ``minSigma``)
    min_sigma: float = 0.0
    #: one-sided level; None = R's default for the method: 0.001 for C1 and C2, 0.025 for C3 (R ``alpha``)
    alpha: float | None = None
    #: C3 only: True reproduces R's bound, which leaves out the current term (see the module docstring)
    r_compat: bool = False

    def __post_init__(self) -> None:
        if self.method not in EARS_METHODS:
            raise ValueError(f"method must be one of {EARS_METHODS}, got {self.method!r}")
        if int(self.baseline) != self.baseline or self.baseline < 3:
            raise ValueError(f"baseline must be an integer >= 3 (as in R), got {self.baseline!r}")
        object.__setattr__(self, "baseline", int(self.baseline))
        if self.min_sigma < 0:
            raise ValueError(f"min_sigma must be >= 0, got {self.min_sigma!r}")
        if self.alpha is not None and not 0 < self.alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {self.alpha!r}")

    def history(self, freq: int) -> int:
        return self.baseline + EARS_LAG_BEYOND_BASELINE[self.method]

    def evaluate(self, series: SurveillanceSeries, timepoints: object = None) -> DetectionResult:
        """C1/C2/C3 at ``timepoints``. Diagnostics: ``statistic`` (the C1/C2/C3 value), ``mean`` and ``sd``
        of the baseline. A missing count in a baseline makes that bound NaN, as in R."""
        method, baseline, min_sigma = self.method, self.baseline, self.min_sigma
        alpha = DEFAULT_ALPHA[method] if self.alpha is None else self.alpha
        series = coerce_series(series)
        counts = series.observed
        max_lag = self.history(series.freq)
        points = resolve_timepoints(
            timepoints,
            default_start=max_lag,
            n_time=series.n_time,
            minimum=max_lag,
            history=f"{method} with baseline={baseline}",
        )
        z = norm.ppf(1 - alpha)
        guard = 0 if method == "C1" else 2

        if method in ("C1", "C2"):
            mean, sd = _baseline_moments(counts, points - guard, baseline)
            sigma = np.maximum(sd, min_sigma)
            upperbound = mean + z * sigma
            current = counts[points]
            with np.errstate(divide="ignore", invalid="ignore"):
                statistic = (current - mean) / sigma
            alarm = current > upperbound
            return DetectionResult(
                method=f"EARS_{method}",
                timepoints=points,
                upperbound=upperbound,
                alarm=alarm,
                diagnostics={"statistic": statistic, "mean": mean, "sd": sigma},
            )

        # C3: C2 at t-2, t-1, t
        c2_points = np.concatenate([points - 2, points - 1, points])
        mean_all, sd_all = _baseline_moments(counts, c2_points - guard, baseline)
        sigma_all = np.maximum(sd_all, min_sigma)
        with np.errstate(divide="ignore", invalid="ignore"):
            c2_all = (counts[c2_points] - mean_all) / sigma_all
        n = len(points)
        c2_lag2, c2_lag1, c2_now = c2_all[:n], c2_all[n : 2 * n], c2_all[2 * n :]
        mean, sigma = mean_all[2 * n :], sigma_all[2 * n :]
        lag_sum = np.maximum(0.0, c2_lag2 - 1) + np.maximum(0.0, c2_lag1 - 1)
        current = counts[points]
        statistic = lag_sum + np.maximum(0.0, c2_now - 1)
        if self.r_compat:
            with np.errstate(invalid="ignore"):
                upperbound = np.maximum(0.0, current + sigma * (z - lag_sum))
                # R: pmax() propagates NaN; the alarm compares observed with that bound
                upperbound = np.where(np.isnan(current + sigma * (z - lag_sum)), np.nan, upperbound)
                alarm = current > upperbound
        else:
            with np.errstate(invalid="ignore"):
                upperbound = np.maximum(0.0, mean + sigma * (1 + z - lag_sum))
                upperbound = np.where(lag_sum > z, 0.0, upperbound)
                alarm = statistic > z
        return DetectionResult(
            method="EARS_C3",
            timepoints=points,
            upperbound=upperbound,
            alarm=alarm,
            diagnostics={"statistic": statistic, "mean": mean, "sd": sigma},
        )


def ears_c(observed: object, *, timepoints: object = None, **control: object) -> DetectionResult:
    """EARS C1/C2/C3 at ``timepoints`` (0-based; default: every point with enough history), as R's ``earsC``.

    ``observed``: a :class:`~fangkong.epi.series.SurveillanceSeries` or (time, unit) counts. ``control``:
    the fields of :class:`EarsControl` (``method``, ``baseline``, ``min_sigma``, ``alpha``, ``r_compat``:
    their defaults and meaning are documented there). Returns a :class:`DetectionResult` shaped (len(timepoints), unit); diagnostics
    ``statistic``, ``mean``, ``sd``. Same as ``EarsControl(**control).evaluate(observed, timepoints)``.
    """
    return EarsControl(**control).evaluate(coerce_series(observed), timepoints)
