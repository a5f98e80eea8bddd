"""Surveillance series: counts shaped (time, unit) with population, frequency, dates and unit labels.

The object mirrors R ``surveillance``'s ``sts`` class: ``observed`` is a (time, unit) matrix of
non-negative integer counts (NaN marks a missing count), ``population`` has the same shape (or is
absent; R uses it for population sizes *or denominators*), ``freq`` is the number of observations per
year (52 weekly, 365 daily, 12 monthly), ``dates`` optionally labels the time axis and ``units`` the
unit axis (R's column names). Like an ``sts`` after ``earsC``/``farringtonFlexible``, a series returned
by :func:`fangkong.epi.detection.detect` also carries ``upperbound`` and ``alarm`` (same shape as
``observed``), the ``control`` the detector ran with and its ``diagnostics``.

Every detector in :mod:`fangkong.epi.detection` accepts a :class:`SurveillanceSeries` or a plain array;
:func:`coerce_series` turns either into a validated series.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

__all__ = ["SurveillanceSeries", "coerce_series", "resolve_timepoints", "validate_counts", "validate_population"]

#: What each public name corresponds to in R (the API reference shows it).
R_EQUIVALENTS = {
    "SurveillanceSeries": "`surveillance::sts` (slots `observed`, `population`, `freq`, `epoch`, `upperbound`, "
                          "`alarm`, `control`; `units` = `colnames(observed)`); `subset` = `x[i, j]`",
    "coerce_series": "none (R's detectors take an `sts` or, for the `algo.*` ones, a `disProg`)",
    "resolve_timepoints": "`control$range` of R's detectors (1-based there, 0-based here)",
    "validate_counts": "none (R does not validate counts up front)",
    "validate_population": "none",
}


@dataclass(frozen=True, eq=False)
class SurveillanceSeries:
    """Counts per time point and unit, validated on construction (R: an ``sts`` object).

    ``observed``: (time, unit) array of non-negative integer counts, NaN for missing; a 1-D array is one
    unit. ``population``: same shape (or broadcastable: one value per unit, or per time point of a single
    unit), non-negative, NaN where unknown (or None). ``freq``: observations per year (default 52).
    ``dates``: optional sequence of length ``time`` (e.g. ``numpy.datetime64`` days or week starts).
    ``units``: optional labels, one per unit (any hashable: names, codes, records); default None.
    ``upperbound`` (float, NaN = no bound), ``alarm`` (bool), ``control`` and ``diagnostics`` are filled
    by :func:`~fangkong.epi.detection.detect`; a series built by hand leaves them empty.
    """

    #: (time, unit) counts, NaN = missing (R ``observed``)
    observed: np.ndarray
    #: (time, unit) population or denominators, NaN = unknown (R ``population``)
    population: np.ndarray | None = None
    #: observations per year: 52 weekly, 365 daily, 12 monthly (R ``freq``)
    freq: int = 52
    #: (time,) labels of the time axis, e.g. ``datetime64[D]`` (R ``epoch`` with ``epochAsDate``)
    dates: np.ndarray | None = None
    #: one label per unit (R ``colnames(observed)``)
    units: tuple[Hashable, ...] | None = None
    #: (time, unit) bound of a detector, NaN = none (R ``upperbound``)
    upperbound: np.ndarray | None = None
    #: (time, unit) alarms of a detector (R ``alarm``)
    alarm: np.ndarray | None = None
    #: the control the detector ran with (R ``control``)
    control: object | None = None
    #: the detector's per-point statistics, each (time, unit) (R's extra ``control`` entries)
    diagnostics: Mapping[str, np.ndarray] = field(default_factory=dict)

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
        if self.units is not None:
            units = tuple(self.units)
            if len(units) != observed.shape[1]:
                raise ValueError(f"units must have one label per unit ({observed.shape[1]}), got {len(units)}")
            object.__setattr__(self, "units", units)
        if self.upperbound is not None:
            upperbound = np.asarray(self.upperbound, dtype=float)
            if upperbound.shape != observed.shape:
                raise ValueError(f"upperbound must have the shape of observed {observed.shape}, got {upperbound.shape}")
            object.__setattr__(self, "upperbound", upperbound)
        if self.alarm is not None:
            alarm = np.asarray(self.alarm)
            if alarm.shape != observed.shape or alarm.dtype != bool:
                raise ValueError(f"alarm must be a bool array of the shape of observed {observed.shape}")
            object.__setattr__(self, "alarm", alarm)

    @property
    def n_time(self) -> int:
        return self.observed.shape[0]

    @property
    def n_units(self) -> int:
        return self.observed.shape[1]

    def rates(self, per: float = 1.0) -> np.ndarray:
        """``per × observed / population`` (time, unit): NaN where either is missing or population is 0.

        R: ``observed(x) / population(x)`` (times ``per``: 100 for per cent, 1e5 per 100,000).
        Raises ``ValueError`` when the series has no population.
        """
        if self.population is None:
            raise ValueError("the series has no population (denominators) to make rates of")
        with np.errstate(divide="ignore", invalid="ignore"):
            rates = per * self.observed / self.population
        return np.where(np.isfinite(rates) & (self.population > 0), rates, np.nan)

    def subset(self, *, time: object = None, units: object = None) -> SurveillanceSeries:
        """The series at the given time indices and/or unit indices (R: ``x[time, units]``).

        ``time`` and ``units`` are anything numpy indexes an axis with (integer arrays, slices, boolean
        masks); None keeps the axis whole. Every (time, unit) array is cut alike, ``dates`` and ``units``
        too; ``control`` is kept.
        """
        rows = slice(None) if time is None else _axis_index(time)
        cols = slice(None) if units is None else _axis_index(units)

        def cut(values):
            return None if values is None else values[rows][:, cols]

        labels = self.units
        if self.units is not None and units is not None:
            labels = tuple(self.units[i] for i in np.arange(self.n_units)[cols].tolist())
        return replace(
            self,
            observed=cut(self.observed),
            population=cut(self.population),
            dates=None if self.dates is None else self.dates[rows],
            units=labels,
            upperbound=cut(self.upperbound),
            alarm=cut(self.alarm),
            diagnostics={name: cut(values) for name, values in self.diagnostics.items()},
        )

    def unit_index(self, label: Hashable) -> int:
        """Position of the unit labelled ``label``; ``KeyError`` if there is none."""
        if self.units is None:
            raise KeyError(f"the series has no unit labels (looked for {label!r})")
        try:
            return self.units.index(label)
        except ValueError:
            raise KeyError(f"no unit labelled {label!r}") from None


def _axis_index(index: object):
    if isinstance(index, slice):
        return index
    array = np.asarray(index)
    return array if array.ndim == 1 else np.atleast_1d(array)


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
    """Return ``population`` broadcast to ``shape`` after checking it is non-negative (NaN = unknown).

    Zero and NaN are allowed (a denominator nobody reported, or a week without consultations); a method
    that takes logarithms of the population (Farrington's ``population_offset``) checks for itself.
    """
    array = np.asarray(population, dtype=float)
    if array.ndim == 1 and shape[1] == 1 and array.shape[0] == shape[0]:
        array = array[:, None]
    try:
        array = np.broadcast_to(array, shape).copy()
    except ValueError:
        raise ValueError(
            f"population must have the shape of observed {shape}, got {np.shape(population)}"
        ) from None
    known = array[~np.isnan(array)]
    if np.isinf(known).any() or (known < 0).any():
        raise ValueError("population must be finite and non-negative (NaN where unknown)")
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
        return replace(
            series,
            population=series.population if population is None else population,
            freq=series.freq if freq is None else freq,
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
