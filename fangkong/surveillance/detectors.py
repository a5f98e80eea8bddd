"""The adapter between detection configurations and ``fangkong.epi.detection``: method names, their
parameters and defaults, how much history each needs, and one call that runs a configured detector over
a (time, unit) array of counts.

The parameters of a configuration are the detector's own keyword arguments (R ``surveillance`` control
names in snake_case), plus two of ours that every method understands:

- ``min_observed`` (default 1 at site level, 3 above): a day alarms only when its count is at least this,
  so that a site going from 0 to 1 is not a signal;
- ``reference_days`` (CUSUM only, default 28): the days before the evaluated day whose mean is the
  reference value;
- ``measure`` (``"count"``, the default, or ``"rate"``): for an indicator reported with a denominator,
  ``rate`` runs the detector on the share ``100 × count / denominator`` (per cent) of each unit-day
  instead of the count, so that more consultations (or a school term starting) do not alarm by
  themselves; ``min_observed`` still applies to the count. Only the EARS methods (mean + z × sd of a
  baseline, meaningful for a continuous share) run on rates; the detection core takes integers, so the
  share goes in as hundredths of a percentage point and the bound comes back in per cent, and
  ``min_sigma`` is read in percentage points.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from fangkong.epi import detection

EXTRA_PARAMETERS = ("min_observed", "reference_days", "measure")
MEASURES = ("count", "rate")
#: The methods that run on rates (per cent); the others model counts or thresholds of counts.
RATE_METHODS = ("ears_c1", "ears_c2", "ears_c3")
#: A rate goes into the detection core (integers) in units of 1/RATE_RESOLUTION per cent.
RATE_RESOLUTION = 100


@dataclass(frozen=True)
class MethodSpec:
    function: object
    fixed: dict
    allowed: tuple[str, ...]


METHODS: dict[str, MethodSpec] = {
    "ears_c1": MethodSpec(detection.ears_c, {"method": "C1"}, ("baseline", "alpha", "min_sigma")),
    "ears_c2": MethodSpec(detection.ears_c, {"method": "C2"}, ("baseline", "alpha", "min_sigma")),
    "ears_c3": MethodSpec(detection.ears_c, {"method": "C3"}, ("baseline", "alpha", "min_sigma")),
    "farrington": MethodSpec(
        detection.farrington_flexible, {"freq": 365},
        ("b", "w", "reweight", "weights_threshold", "alpha", "trend", "p_threshold_trend", "powertrans",
         "no_periods", "past_weeks_not_included", "threshold_method"),
    ),
    "cusum": MethodSpec(detection.cusum, {}, ("k", "h", "trans", "alpha", "reset")),
    "bayes": MethodSpec(detection.bayes, {"freq": 365}, ("b", "w", "act_y", "alpha")),
    "moving_percentile": MethodSpec(
        detection.moving_percentile, {"freq": 365},
        ("percentile", "years", "adjacent_periods", "period_length", "min_cases"),
    ),
    "fixed_threshold": MethodSpec(detection.fixed_threshold, {}, ("threshold", "period_length")),
}

#: Default detector per indicator (code) and level; any indicator not listed gets ``FALLBACK``.
#: EARS needs only weeks of history, so it works from the first month of a new network. C2 with a
#: 28-day baseline and alpha 0.001: on the demo scenario about 0.07 alarms per county, indicator and
#: week (CIDARS runs at about 1.5 signals per county per week over all diseases), where a 7-day
#: baseline or C3 alarmed three to seven times as often on the weekday cycle and over-dispersion.
#: Site level is off by default (single sites are noisy); CUSUM and Bayes are more sensitive options.
FALLBACK = {
    "site": ("ears_c2", {"baseline": 28, "alpha": 0.001, "min_sigma": 2.0, "min_observed": 5}, False),
    "county": ("ears_c2", {"baseline": 28, "alpha": 0.001, "min_sigma": 1.0, "min_observed": 5}, True),
    "city": ("ears_c2", {"baseline": 28, "alpha": 0.001, "min_sigma": 1.0, "min_observed": 10}, True),
}
DEFAULTS: dict[str, dict[str, tuple[str, dict, bool]]] = {
    "notifiable_cases": {
        "site": ("fixed_threshold", {"threshold": 1, "min_observed": 1}, False),
        "county": ("fixed_threshold", {"threshold": 1, "min_observed": 1}, True),
        "city": ("fixed_threshold", {"threshold": 3, "min_observed": 1}, False),
    },
}


def default_config(indicator_code: str, level: str) -> tuple[str, dict, bool]:
    """(method, parameters, enabled) for a new configuration of ``indicator_code`` at ``level``."""
    method, params, enabled = DEFAULTS.get(indicator_code, FALLBACK).get(level, FALLBACK[level])
    return method, dict(params), enabled


def history_needed(method: str, params: dict) -> int:
    """How many days before an evaluated day the method reads."""
    if method.startswith("ears_"):
        return int(params.get("baseline", 7)) + {"ears_c1": 0, "ears_c2": 2, "ears_c3": 4}[method]
    if method == "farrington":
        return int(params.get("b", 5)) * 365 + int(params.get("w", 3))
    if method == "bayes":
        b, w = int(params.get("b", 0)), int(params.get("w", 6))
        return max(w, b * 365 + w)
    if method == "moving_percentile":
        length = int(params.get("period_length") or 7)
        return int(params.get("years", 3)) * 365 + int(params.get("adjacent_periods", 2)) * length + length - 1
    if method == "fixed_threshold":
        return int(params.get("period_length", 1)) - 1
    if method == "cusum":
        return int(params.get("reference_days", 28))
    raise ValueError(f"unknown method {method!r}")


def check_parameters(method: str, params: dict) -> list[str]:
    """Problems with ``params`` for ``method`` (empty when they are usable)."""
    if method not in METHODS:
        return [f"unknown method {method!r}; choose one of {', '.join(METHODS)}"]
    if not isinstance(params, dict):
        return ["parameters must be an object"]
    allowed = set(METHODS[method].allowed) | set(EXTRA_PARAMETERS)
    problems = [f"unknown parameter {name!r} for {method}" for name in params if name not in allowed]
    measure = params.get("measure", "count")
    if measure not in MEASURES:
        problems.append(f"measure must be one of {', '.join(MEASURES)}")
    elif measure == "rate" and method not in RATE_METHODS:
        problems.append(f"{method} works on counts; on rates choose one of {', '.join(RATE_METHODS)}")
    if problems:
        return problems
    try:
        days = history_needed(method, params) + 3
        counts = np.tile(np.arange(days, dtype=float) % 5 + 3, (2, 1)).T
        run_method(method, params, counts, np.array([days - 1]))
    except (ValueError, TypeError) as exc:
        problems.append(str(exc))
    return problems


def is_rate(params: dict) -> bool:
    return params.get("measure", "count") == "rate"


def run_method(method: str, params: dict, counts: np.ndarray, timepoints: np.ndarray,
               numerators: np.ndarray | None = None):
    """Run ``method`` on ``counts`` (time × unit, NaN = missing; the rates for a ``rate`` configuration) at
    ``timepoints``; returns (upperbound, alarm) shaped (len(timepoints), unit), alarm already requiring
    ``min_observed`` of ``numerators`` (the counts behind rates; default ``counts`` themselves)."""
    spec = METHODS[method]
    kwargs = {k: v for k, v in params.items() if k not in EXTRA_PARAMETERS}
    if is_rate(params):
        if method not in RATE_METHODS:
            raise ValueError(f"{method} does not run on rates")
        scaled = dict(params, measure="count")
        if "min_sigma" in params:
            scaled["min_sigma"] = float(params["min_sigma"]) * RATE_RESOLUTION
        upper, alarm = run_method(method, scaled, np.round(counts * RATE_RESOLUTION), timepoints,
                                  numerators=counts if numerators is None else numerators)
        return upper / RATE_RESOLUTION, alarm
    if method == "cusum":
        timepoints = np.asarray(timepoints)
        reference = int(params.get("reference_days", 28))
        upper = np.full((len(timepoints), counts.shape[1]), np.nan)
        alarm = np.zeros(upper.shape, dtype=bool)
        for row, t in enumerate(timepoints):  # reference mean from the days before each evaluated day
            window = counts[t - reference: t + 1]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a unit with no report in the window
                mean = np.nanmean(window[:reference], axis=0)
            usable = ~np.isnan(mean) & (mean > 0) & ~np.isnan(window[-1])
            if not usable.any():
                continue
            result = spec.function(window[:, usable], timepoints=[reference], m=mean[usable], **kwargs)
            upper[row, usable], alarm[row, usable] = result.upperbound[0], result.alarm[0]
    else:
        result = spec.function(counts, timepoints=timepoints, **spec.fixed, **kwargs)
        upper, alarm = result.upperbound, result.alarm
    observed = (counts if numerators is None else numerators)[np.asarray(timepoints)]
    minimum = float(params.get("min_observed", 1))
    with np.errstate(invalid="ignore"):
        alarm = np.asarray(alarm, dtype=bool) & (observed >= minimum) & ~np.isnan(observed)
    return np.asarray(upper, dtype=float), alarm
