"""CUSUM for count series (Rossi et al. 1999), as R ``surveillance::algo.cusum``, vectorised over units.

Counts ``x_t`` at the evaluated time points are standardised with a reference mean ``m`` (by default
the mean of every count before the first evaluated point, as R does) and accumulated as
``S_t = max(0, S_{t-1} + z_t - k)``; an alarm is raised when ``S_t >= h``. ``upperbound`` is the
smallest count that would have raised an alarm at ``t`` given ``S_{t-1}`` (R's formulas per
transformation, floored at 0, NaN replaced by 0).

``reset=True`` (not in R) restarts the sum at 0 after each alarm, the usual practice in public-health
CUSUM charts so that one outbreak does not keep the chart alarming for weeks; ``reset=False`` (the
default) reproduces R.

``reference_window=n`` (not in R) is the moving-reference variant the platform runs on daily sentinel
data: each evaluated point gets its own reference mean, the mean of the ``n`` points before it (missing
ones skipped), and its own one-step sum ``max(0, z_t - k)``, so a change of level is judged against the
recent past rather than against the whole history before the first evaluated point.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from fangkong.epi.detection.detector import DetectorControl
from fangkong.epi.detection.result import DetectionResult
from fangkong.epi.series import SurveillanceSeries, coerce_series, resolve_timepoints

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


@dataclass(frozen=True)
class CusumControl(DetectorControl):
    """Control of R ``surveillance::algo.cusum(disProgObj, control = list(...))`` (and ``cusum``); R's defaults."""

    name: ClassVar[str] = "cusum"
    r_function: ClassVar[str] = "surveillance::algo.cusum"

    #: reference value (allowance) subtracted from each standardised count (R ``k``)
    k: float = 1.04
    #: decision interval: an alarm when the sum reaches it, > 0 (R ``h``)
    h: float = 2.26
    #: reference mean: None = mean of every count before the first evaluated point (R's NULL), or a
    #: number, or one value per unit; R's ``"glm"`` (a seasonal Poisson fit) is not implemented
    m: float | tuple[float, ...] | None = None
    #: standardisation: "standard", "rossi", "anscombe", "anscombe2nd", "pearsonNegBin" or "none" (R ``trans``)
    trans: str = "standard"
    #: negative-binomial dispersion of "pearsonNegBin"; None = 0.1 (R ``alpha``)
    alpha: float | None = None
    #: restart the sum at 0 after each alarm (not in R; the usual practice in public-health CUSUM charts)
    reset: bool = False
    #: not in R: judge each evaluated point on its own against the mean of the ``reference_window`` points
    #: before it (missing ones skipped): the sum starts from 0 at every point, so the chart never carries
    #: an old excess forward and follows a slowly moving level (daily sentinel data); units whose mean is
    #: missing or 0, or whose count is missing, get no bound. None = R's single running sum
    reference_window: int | None = None

    def __post_init__(self) -> None:
        if self.trans not in CUSUM_TRANSFORMS:
            raise ValueError(f"trans must be one of {CUSUM_TRANSFORMS}, got {self.trans!r}")
        if self.h <= 0:
            raise ValueError(f"h must be positive, got {self.h!r}")
        if isinstance(self.m, str):
            raise ValueError(
                f"m={self.m!r} is not supported (R's m='glm' seasonal reference); give None, a number or one per unit"
            )
        if self.reference_window is not None:
            window = self.reference_window
            if int(window) != window or window < 1:
                raise ValueError(f"reference_window must be an integer >= 1, got {window!r}")
            if self.m is not None:
                raise ValueError("give either m or reference_window, not both")
            object.__setattr__(self, "reference_window", int(window))

    def history(self, freq: int) -> int:
        return 1 if self.reference_window is None else self.reference_window

    def evaluate(self, series: SurveillanceSeries, timepoints: object = None) -> DetectionResult:
        """The CUSUM over consecutive ``timepoints`` (default: 1 .. end; with ``reference_window``, any
        points from ``reference_window`` on). Diagnostics: ``cusum`` (``S_t``) and ``m``. Where ``m`` is 0
        the standardised counts follow IEEE arithmetic exactly as R does (0/0 = NaN: no alarm; x/0 = inf:
        alarm)."""
        series = coerce_series(series)
        if self.reference_window is not None:
            return self._moving_reference(series, timepoints)
        points = resolve_timepoints(
            timepoints,
            default_start=1,
            n_time=series.n_time,
            minimum=1,
            history="the reference mean m (history before timepoints)",
        )
        if np.any(np.diff(points) != 1):
            raise ValueError("timepoints must be consecutive for a CUSUM")
        return self._running_sum(series.observed, points, self.m)

    def _running_sum(self, counts: np.ndarray, points: np.ndarray, m) -> DetectionResult:
        k, h, trans, reset = self.k, self.h, self.trans, self.reset
        alpha = 0.1 if self.alpha is None else self.alpha
        n_units = counts.shape[1]
        if m is None:
            history = counts[: points[0]].astype(float)
            if np.isnan(history).any():
                raise ValueError("observed has missing counts before timepoints; give m explicitly")
            reference = history.mean(axis=0)
        else:
            reference = np.broadcast_to(np.asarray(m, dtype=float), (n_units,)).copy()
            if (reference <= 0).any() and trans != "none":
                raise ValueError("m must be positive")
        x = counts[points].astype(float)
        if np.isnan(x).any():
            raise ValueError("observed has missing counts at timepoints; a CUSUM cannot skip them")
        standardised = _standardise(x, reference[None, :], trans, alpha)
        sums = np.zeros_like(standardised)
        previous_all = np.zeros_like(standardised)
        alarm = np.zeros(standardised.shape, dtype=bool)
        running = np.zeros(n_units)
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

    def _moving_reference(self, series: SurveillanceSeries, timepoints: object) -> DetectionResult:
        window = self.reference_window
        points = resolve_timepoints(
            timepoints,
            default_start=window,
            n_time=series.n_time,
            minimum=window,
            history=f"reference_window={window}",
        )
        counts = series.observed
        shape = (len(points), series.n_units)
        upperbound, sums, means = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
        alarm = np.zeros(shape, dtype=bool)
        for row, t in enumerate(points.tolist()):
            recent = counts[t - window : t + 1]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a unit with no count in the window
                mean = np.nanmean(recent[:window], axis=0)
            usable = ~np.isnan(mean) & (mean > 0) & ~np.isnan(recent[-1])
            if not usable.any():
                continue
            step = self._running_sum(recent[:, usable], np.array([window]), mean[usable])
            upperbound[row, usable], alarm[row, usable] = step.upperbound[0], step.alarm[0]
            sums[row, usable], means[row, usable] = step.cusum[0], mean[usable]
        return DetectionResult(
            method=f"cusum_{self.trans}",
            timepoints=points,
            upperbound=upperbound,
            alarm=alarm,
            diagnostics={"cusum": sums, "m": means},
        )


def cusum(observed: object, *, timepoints: object, **control: object) -> DetectionResult:
    """R's ``algo.cusum`` over consecutive ``timepoints`` (0-based) for every unit.

    ``observed``: a :class:`~fangkong.epi.series.SurveillanceSeries` or (time, unit) counts. ``control``:
    the fields of :class:`CusumControl` (``k``, ``h``, ``m``, ``trans``, ``alpha``, ``reset``,
    ``reference_window``: defaults and meaning documented there). Returns a :class:`DetectionResult` shaped
    (len(timepoints), unit); diagnostics ``cusum`` and ``m``. Same as
    ``CusumControl(**control).evaluate(observed, timepoints)``.
    """
    return CusumControl(**control).evaluate(coerce_series(observed), timepoints)
