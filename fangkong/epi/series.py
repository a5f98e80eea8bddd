"""Surveillance series: counts shaped (time, unit) with population, frequency and dates.

The object mirrors R ``surveillance``'s ``sts`` class: ``observed`` is a (time, unit) matrix of
non-negative integer counts (NaN marks a missing count), ``population`` has the same shape (or is
absent), ``freq`` is the number of observations per year (52 weekly, 365 daily, 12 monthly) and
``dates`` optionally labels the time axis. Every detector in :mod:`fangkong.epi.detection` accepts a
:class:`SurveillanceSeries` or a plain array; :func:`coerce_series` turns either into validated arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SUPPORTED_FREQUENCIES = (1, 4, 12, 52, 365)


@dataclass(frozen=True)
class SurveillanceSeries:
    """Counts per time point and unit, validated on construction.

    ``observed``: (time, unit) array of non-negative integer counts, NaN for missing; a 1-D array is
    one unit. ``population``: same shape, positive (or None). ``freq``: observations per year.
    ``dates``: optional sequence of length ``time`` (e.g. ``numpy.datetime64`` week starts).
    """

    observed: np.ndarray
    population: np.ndarray | None = None
    freq: int = 52
    dates: np.ndarray | None = None

    def __post_init__(self) -> None:
        observed = validate_counts(self.observed, name="observed")
        object.__setattr__(self, "observed", observed)
        if self.population is not None:
            object.__setattr__(self, "population", validate_population(self.population, observed.shape))
        if int(self.freq) != self.freq or self.freq < 1:
            raise ValueError(f"freq must be a positive integer, got {self.freq!r}")
        object.__setattr__(self, "freq", int(self.freq))
        if self.dates is not None:
            dates = np.asarray(self.dates)
            if dates.shape != (observed.shape[0],):
                raise ValueError(
                    f"dates must have one entry per time point ({observed.shape[0]}), got shape {dates.shape}"
                )
            object.__setattr__(self, "dates", dates)

    @property
    def n_time(self) -> int:
        return self.observed.shape[0]

    @property
    def n_units(self) -> int:
        return self.observed.shape[1]


def validate_counts(observed: object, *, name: str = "observed") -> np.ndarray:
    """Return ``observed`` as a float (time, unit) array after checking it holds counts.

    Raises ``ValueError`` naming ``name`` for negative, non-integer or infinite values and for arrays
    that are not 1-D or 2-D. NaN is allowed and means "missing". Arrays of an integer dtype are kept
    as they are (no float copy), so a detector run over hundreds of thousands of series only converts
    the rows it reads.
    """
    array = np.asarray(observed)
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        try:
            array = np.asarray(observed, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be numeric counts, got {array.dtype}") from None
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{name} must be 1-D (one unit) or 2-D (time, unit), got {array.ndim}-D")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if np.issubdtype(array.dtype, np.integer):
        if array.min() < 0:
            raise ValueError(f"{name} must be non-negative counts, found {array.min()}")
        return array
    array = array.astype(float, copy=False)
    present = array[~np.isnan(array)]
    if np.isinf(present).any():
        raise ValueError(f"{name} must be finite counts (NaN for missing), found infinity")
    if (present < 0).any():
        raise ValueError(f"{name} must be non-negative counts, found {present.min():g}")
    if (present != np.round(present)).any():
        bad = present[present != np.round(present)][0]
        raise ValueError(f"{name} must be integer counts, found {bad:g}")
    return array


def validate_population(population: object, shape: tuple[int, int]) -> np.ndarray:
    """Return ``population`` broadcast to ``shape`` after checking it is positive and finite."""
    array = np.asarray(population, dtype=float)
    if array.ndim == 1 and shape[1] == 1 and array.shape[0] == shape[0]:
        array = array[:, None]
    try:
        array = np.broadcast_to(array, shape).copy()
    except ValueError:
        raise ValueError(
            f"population must have the shape of observed {shape}, got {np.shape(population)}"
        ) from None
    if not np.isfinite(array).all() or (array <= 0).any():
        raise ValueError("population must be finite and positive")
    return array


def coerce_series(
    observed: object, *, population: object = None, freq: int | None = None
) -> SurveillanceSeries:
    """Turn a :class:`SurveillanceSeries` or an array into a validated series.

    Explicit ``population`` / ``freq`` arguments override those carried by a series object.
    """
    if isinstance(observed, SurveillanceSeries):
        series = observed
        if population is None and freq is None:
            return series
        return SurveillanceSeries(
            series.observed,
            population=series.population if population is None else population,
            freq=series.freq if freq is None else freq,
            dates=series.dates,
        )
    return SurveillanceSeries(
        validate_counts(observed), population=population, freq=52 if freq is None else freq
    )


def resolve_timepoints(
    timepoints: object, *, default_start: int, n_time: int, minimum: int, history: str = "the method"
) -> np.ndarray:
    """Return 0-based evaluation indices, checked against the available history.

    ``default_start`` is used when ``timepoints`` is None (evaluate ``default_start .. n_time-1``);
    ``minimum`` is the smallest index with enough history for the method's parameters, which
    ``history`` names in error messages (e.g. ``"b*freq + w = 263 (b=5, freq=52, w=3)"``).
    """
    if timepoints is None:
        if default_start >= n_time:
            raise ValueError(
                f"observed is too short: {n_time} time points, but {history} needs {default_start} "
                "earlier time points"
            )
        return np.arange(default_start, n_time)
    points = np.atleast_1d(np.asarray(timepoints))
    if points.ndim != 1 or points.size == 0:
        raise ValueError("timepoints must be a non-empty 1-D sequence of integer indices")
    if not np.issubdtype(points.dtype, np.integer):
        if not np.all(np.asarray(points, dtype=float) == np.round(np.asarray(points, dtype=float))):
            raise ValueError("timepoints must be integer indices")
        points = points.astype(int)
    if points.min() < 0 or points.max() >= n_time:
        raise ValueError(f"timepoints out of range: must lie in 0..{n_time - 1}")
    if points.min() < minimum:
        raise ValueError(f"timepoints start at {points.min()} but {history} needs timepoints >= {minimum}")
    return points.astype(int)
