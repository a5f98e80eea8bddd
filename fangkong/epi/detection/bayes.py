"""Bayes system (Riebler 2004), as R ``surveillance::algo.bayes``, vectorised over units.

The reference values are the ``w`` counts before ``t`` (if ``act_y``) and, for each of the ``b``
previous years, the window ``t - i*freq - w .. t - i*freq + w``. With a flat prior on the Poisson
rate, the predictive distribution of the next count is negative binomial with
``size = sum(reference) + 1/2`` and ``prob = n / (n + 1)`` (``n`` = number of non-missing reference
values); the upper bound is its ``1 - alpha`` quantile and an alarm is raised when the count
exceeds it. Missing reference values are skipped, as in R.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from fangkong.epi.detection.result import DetectionResult
from fangkong.epi.series import coerce_series, resolve_timepoints


def bayes_reference_offsets(*, freq: int, b: int, w: int, act_y: bool) -> np.ndarray:
    """Offsets (relative to ``t``) of the reference values R's ``algo.bayesLatestTimepoint`` uses."""
    parts = [np.arange(-w, 0)] if act_y else []
    for i in range(1, b + 1):
        parts.append(np.arange(-i * freq - w, -i * freq + w + 1))
    return np.concatenate(parts) if parts else np.array([], dtype=int)


def bayes(
    observed: object,
    *,
    timepoints: object = None,
    freq: int | None = None,
    b: int = 0,
    w: int = 6,
    act_y: bool = True,
    alpha: float = 0.05,
) -> DetectionResult:
    """Run R's ``algo.bayes`` at ``timepoints`` (0-based; default: every point with enough history).

    Defaults are R's (``b=0, w=6, actY=TRUE, alpha=0.05``). Diagnostics: ``reference_sum`` and
    ``reference_count``.
    """
    for name, value in (("b", b), ("w", w)):
        if int(value) != value or value < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    series = coerce_series(observed, freq=freq)
    offsets = bayes_reference_offsets(freq=series.freq, b=int(b), w=int(w), act_y=act_y)
    if offsets.size == 0:
        raise ValueError("b=0 with act_y=False leaves no reference values")
    history = -int(offsets.min())
    points = resolve_timepoints(
        timepoints,
        default_start=history,
        n_time=series.n_time,
        minimum=history,
        history=f"b*freq + w = {history} (b={b}, freq={series.freq}, w={w})",
    )
    reference = series.observed[points[:, None] + offsets[None, :]].astype(float)  # (tp, ref, unit)
    present = ~np.isnan(reference)
    total = np.where(present, reference, 0.0).sum(axis=1)
    count = present.sum(axis=1)
    upperbound = stats.nbinom.ppf(1 - alpha, total + 0.5, count / (count + 1.0))
    current = series.observed[points].astype(float)
    alarm = current > upperbound
    return DetectionResult(
        method="bayes",
        timepoints=points,
        upperbound=upperbound,
        alarm=alarm,
        diagnostics={"reference_sum": total, "reference_count": count.astype(float)},
    )
