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

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.stats import norm

from fangkong.epi.detection.result import DetectionResult
from fangkong.epi.series import coerce_series, resolve_timepoints

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


def ears_c(
    observed: object,
    *,
    timepoints: object = None,
    method: str = "C1",
    baseline: int = 7,
    min_sigma: float = 0.0,
    alpha: float | None = None,
    r_compat: bool = False,
) -> DetectionResult:
    """Run EARS C1/C2/C3 at ``timepoints`` (0-based; default: every point with enough history).

    Defaults are R's: ``baseline=7``, ``min_sigma=0``, ``alpha`` 0.001 for C1/C2 and 0.025 for C3.
    The returned diagnostics hold ``statistic`` (the C1/C2/C3 value), ``mean`` and ``sd`` of the
    baseline. A missing count in a baseline makes that bound NaN, as in R. See the module docstring
    for ``r_compat`` (it changes C3 only).
    """
    if method not in EARS_METHODS:
        raise ValueError(f"method must be one of {EARS_METHODS}, got {method!r}")
    if int(baseline) != baseline or baseline < 3:
        raise ValueError(f"baseline must be an integer >= 3 (as in R), got {baseline!r}")
    baseline = int(baseline)
    if min_sigma < 0:
        raise ValueError(f"min_sigma must be >= 0, got {min_sigma!r}")
    alpha = DEFAULT_ALPHA[method] if alpha is None else alpha
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    series = coerce_series(observed)
    counts = series.observed
    max_lag = baseline + EARS_LAG_BEYOND_BASELINE[method]
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
    if r_compat:
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
