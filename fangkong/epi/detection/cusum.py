"""CUSUM for count series (Rossi et al. 1999), as R ``surveillance::algo.cusum``, vectorised over units.

Counts ``x_t`` at the evaluated time points are standardised with a reference mean ``m`` (by default
the mean of every count before the first evaluated point, as R does) and accumulated as
``S_t = max(0, S_{t-1} + z_t - k)``; an alarm is raised when ``S_t >= h``. ``upperbound`` is the
smallest count that would have raised an alarm at ``t`` given ``S_{t-1}`` (R's formulas per
transformation, floored at 0, NaN replaced by 0).

``reset=True`` (not in R) restarts the sum at 0 after each alarm, the usual practice in public-health
CUSUM charts so that one outbreak does not keep the chart alarming for weeks; ``reset=False`` (the
default) reproduces R.
"""

from __future__ import annotations

import numpy as np

from fangkong.epi.detection.result import DetectionResult
from fangkong.epi.series import coerce_series, resolve_timepoints

CUSUM_TRANSFORMS = ("standard", "rossi", "anscombe", "anscombe2nd", "pearsonNegBin", "none")


def _standardise(x: np.ndarray, m: np.ndarray, trans: str, alpha: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if trans == "rossi":
            return (x - 3 * m + 2 * np.sqrt(x * m)) / (2 * np.sqrt(m))
        if trans == "standard":
            return (x - m) / np.sqrt(m)
        if trans == "anscombe":
            return 1.5 * (x ** (2 / 3) - m ** (2 / 3)) / m ** (1 / 6)
        if trans == "anscombe2nd":
            return (x ** (2 / 3) - (m ** (2 / 3) - m ** (-1 / 3) / 9)) / (2 / 3 * m ** (1 / 6))
        if trans == "pearsonNegBin":
            return (x - m) / np.sqrt(m + alpha * m**2)
        return x  # "none"


def _upper_bound(m, previous, cusum_now, h, k, trans, alpha):
    with np.errstate(divide="ignore", invalid="ignore"):
        if trans == "rossi":
            root = np.sqrt(m)
            bound = (
                2 * h * root
                + 2 * k * root
                - 2 * previous * root
                + 5 * m
                - 2 * np.sqrt(4 * m**2 + 2 * m**1.5 * h + 2 * m**1.5 * k - 2 * m**1.5 * previous)
            )
        elif trans == "standard":
            bound = np.ceil(np.sqrt(m) * (h + k - previous) + m)
        elif trans == "anscombe":
            base = 2 / 3 * m ** (1 / 6) * (h + k - previous) + m ** (2 / 3)
            bound = np.where(base < 0, 0.0, base**1.5)
        elif trans == "anscombe2nd":
            base = 2 / 3 * m ** (1 / 6) * (h + k - previous) + (m ** (2 / 3) - m ** (1 / 3) / 9)
            bound = np.where(base < 0, 0.0, base**1.5)
        elif trans == "pearsonNegBin":
            bound = np.sqrt(m + alpha * m**2) * (h + k - previous) + m
        else:
            bound = h - cusum_now
    bound = np.where(np.isnan(bound), 0.0, bound)
    return np.maximum(bound, 0.0)


def cusum(
    observed: object,
    *,
    timepoints: object,
    k: float = 1.04,
    h: float = 2.26,
    m: float | np.ndarray | None = None,
    trans: str = "standard",
    alpha: float | None = None,
    reset: bool = False,
) -> DetectionResult:
    """Run R's ``algo.cusum`` over consecutive ``timepoints`` (0-based) for every unit.

    ``m``: reference mean; None = mean of all counts before ``timepoints[0]`` (per unit), or a number
    or one value per unit (R's ``m = "glm"``, a seasonal Poisson fit, is not implemented). ``trans``: "standard", "rossi", "anscombe", "anscombe2nd",
    "pearsonNegBin" (uses ``alpha``, default 0.1, the negative-binomial dispersion) or "none".
    Diagnostics: ``cusum`` (``S_t``) and ``m``. Where ``m`` is 0 the standardised counts follow IEEE
    arithmetic exactly as R does (0/0 = NaN: no alarm; x/0 = inf: alarm).
    """
    if trans not in CUSUM_TRANSFORMS:
        raise ValueError(f"trans must be one of {CUSUM_TRANSFORMS}, got {trans!r}")
    if h <= 0:
        raise ValueError(f"h must be positive, got {h!r}")
    alpha = 0.1 if alpha is None else alpha
    if isinstance(m, str):
        raise ValueError(
            f"m={m!r} is not supported (R's m='glm' seasonal reference); give None, a number or one per unit"
        )
    series = coerce_series(observed)
    points = resolve_timepoints(
        timepoints,
        default_start=1,
        n_time=series.n_time,
        minimum=1,
        history="the reference mean m (history before timepoints)",
    )
    if np.any(np.diff(points) != 1):
        raise ValueError("timepoints must be consecutive for a CUSUM")
    counts = series.observed
    if m is None:
        history = counts[: points[0]].astype(float)
        if np.isnan(history).any():
            raise ValueError("observed has missing counts before timepoints; give m explicitly")
        reference = history.mean(axis=0)
    else:
        reference = np.broadcast_to(np.asarray(m, dtype=float), (series.n_units,)).copy()
        if (reference <= 0).any() and trans != "none":
            raise ValueError("m must be positive")
    x = counts[points].astype(float)
    if np.isnan(x).any():
        raise ValueError("observed has missing counts at timepoints; a CUSUM cannot skip them")
    standardised = _standardise(x, reference[None, :], trans, alpha)
    sums = np.zeros_like(standardised)
    previous_all = np.zeros_like(standardised)
    alarm = np.zeros(standardised.shape, dtype=bool)
    running = np.zeros(series.n_units)
    for row in range(len(points)):
        previous_all[row] = running
        running = np.maximum(0.0, running + standardised[row] - k)
        sums[row] = running
        alarm[row] = running >= h
        if reset:
            running = np.where(alarm[row], 0.0, running)
    upperbound = _upper_bound(reference[None, :], previous_all, sums, h, k, trans, alpha)
    return DetectionResult(
        method=f"cusum_{trans}",
        timepoints=points,
        upperbound=upperbound,
        alarm=alarm,
        diagnostics={"cusum": sums, "m": np.broadcast_to(reference, sums.shape).copy()},
    )
