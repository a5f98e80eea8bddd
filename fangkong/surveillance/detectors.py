"""The detection methods a configuration may name, as a registry over ``fangkong.epi.detection``, and one
call that runs any of them on a sentinel series.

Each method name (``DetectionConfig.Method``) maps to a detector control of the library
(:class:`~fangkong.epi.detection.detector.DetectorControl`), plus the control fields the name fixes
(``ears_c2`` is ``EarsControl(method="C2")``) and the platform's defaults where R's do not suit daily
sentinel data. Everything else is the same for every method: the parameters a configuration may set are
the control's fields (R ``surveillance`` control names in snake_case, with R's defaults, documented on
the control), the history a method reads is ``control.history(365)``, and it runs through
:func:`fangkong.epi.detection.detect`. No code here knows one method from another.

The platform adds two parameters around any detector:

- ``min_observed`` (default 1; the shipped configurations use 1 at site level for notifiable cases,
  5 or 10 above): a day alarms only when its count is at least this, so that a site going from 0 to 1
  is not a signal;
- ``measure`` (``"count"``, the default, or ``"rate"``): for an indicator reported with a denominator,
  ``rate`` runs the detector on the share ``100 × count / denominator`` (per cent) of each unit-day
  instead of the count, so that more consultations (or a school term starting) do not alarm by
  themselves; ``min_observed`` still applies to the count. Only methods whose control is ``continuous``
  (the EARS methods: mean + z × sd of a baseline, meaningful for a share) run on rates; the detection core
  takes integers, so the share goes in as hundredths of a percentage point (``control.scaled`` rescales
  the parameters in the units of the observations, EARS ``min_sigma``, read in percentage points) and the
  bound comes back in per cent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext_lazy as _

from fangkong.epi.detection import (
    BayesControl,
    CusumControl,
    DetectorControl,
    EarsControl,
    FarringtonControl,
    FixedThresholdControl,
    MovingPercentileControl,
    detect,
)
from fangkong.epi.series import SurveillanceSeries
from fangkong.surveillance.series import DAILY

#: The parameters the platform adds to every method's own.
PLATFORM_PARAMETERS = ("min_observed", "measure")
#: What each parameter means, for the methods page (the names stay the detectors' own).
PARAMETER_LABELS = {
    "baseline": _("days of baseline"), "alpha": _("significance level"),
    "min_sigma": _("smallest standard deviation of the baseline"), "b": _("years of history"),
    "w": _("half-width of the comparison window (weeks or days)"), "reweight": _("down-weight past outbreaks"),
    "weights_threshold": _("residual above which a past value is down-weighted"), "trend": _("fit a time trend"),
    "p_threshold_trend": _("significance of the trend"), "powertrans": _("power transformation of the counts"),
    "no_periods": _("periods of the seasonal factor"),
    "past_weeks_not_included": _("most recent weeks left out of the baseline"),
    "threshold_method": _("how the threshold is computed"), "k": _("allowance of the cumulative sum"),
    "h": _("decision limit of the cumulative sum"), "trans": _("transformation of the counts"),
    "reset": _("restart the sum after an alarm"), "act_y": _("include the current year"),
    "percentile": _("percentile of the historical values"), "years": _("years of history"),
    "adjacent_periods": _("adjacent periods taken from each past year"), "period_length": _("days per period"),
    "min_cases": _("smallest count that may alarm (CIDARS)"), "threshold": _("fixed threshold"),
    "min_observed": _("smallest count that may alarm"), "reference_window": _("days of the reference mean"),
    "measure": _("count or rate (per cent of the denominator)"),
}
MEASURES = ("count", "rate")
#: A rate goes into the detection core (integers) in units of 1/RATE_RESOLUTION per cent.
RATE_RESOLUTION = 100


@dataclass(frozen=True)
class Method:
    """A configurable method: a library detector control, what its name fixes, the platform's defaults."""

    control: type[DetectorControl]
    #: control fields the method's name fixes (not settable by a configuration)
    fixed: Mapping[str, object] = field(default_factory=dict)
    #: the platform's defaults, where R's default does not suit daily sentinel data
    defaults: Mapping[str, object] = field(default_factory=dict)

    @property
    def parameters(self) -> tuple[str, ...]:
        """The parameters a configuration of this method may set (besides ``PLATFORM_PARAMETERS``)."""
        return tuple(name for name in self.control.parameter_names() if name not in self.fixed)

    def control_for(self, params: Mapping[str, object]) -> DetectorControl:
        """The detector control of a configuration's parameters; ``ValueError``/``TypeError`` if unusable."""
        own = {name: value for name, value in params.items() if name not in PLATFORM_PARAMETERS}
        return self.control(**{**self.defaults, **own, **self.fixed})


METHODS: dict[str, Method] = {
    "ears_c1": Method(EarsControl, fixed={"method": "C1"}),
    "ears_c2": Method(EarsControl, fixed={"method": "C2"}),
    "ears_c3": Method(EarsControl, fixed={"method": "C3"}),
    "farrington": Method(FarringtonControl),
    # R's running sum over the whole evaluated range never forgets an old excess on daily data: each day
    # is judged against the mean of the four weeks before it (see CusumControl.reference_window).
    "cusum": Method(CusumControl, defaults={"reference_window": 28}),
    "bayes": Method(BayesControl),
    "moving_percentile": Method(MovingPercentileControl),
    "fixed_threshold": Method(FixedThresholdControl),
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


def control_for(method: str, params: Mapping[str, object]) -> DetectorControl:
    """The library control a configuration runs; ``ValueError`` for an unknown method or a bad parameter."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    try:
        return METHODS[method].control_for(params)
    except TypeError as error:  # an unknown keyword
        raise ValueError(str(error)) from None


def history_needed(method: str, params: Mapping[str, object]) -> int:
    """How many days before an evaluated day the method reads."""
    return control_for(method, params).history(DAILY)


def is_rate(params: Mapping[str, object]) -> bool:
    return params.get("measure", "count") == "rate"


def measured(series: SurveillanceSeries, params: Mapping[str, object]) -> np.ndarray:
    """What a configuration detects on: the counts, or for a ``rate`` configuration the per-cent shares."""
    return series.rates(per=100) if is_rate(params) else series.observed


def check_parameters(method: str, params: object) -> list[str]:
    """Problems with ``params`` for ``method`` (empty when they are usable)."""
    if method not in METHODS:
        return [f"unknown method {method!r}; choose one of {', '.join(METHODS)}"]
    if not isinstance(params, dict):
        return ["parameters must be an object"]
    spec = METHODS[method]
    allowed = set(spec.parameters) | set(PLATFORM_PARAMETERS)
    problems = [f"unknown parameter {name!r} for {method}" for name in params if name not in allowed]
    measure = params.get("measure", "count")
    if measure not in MEASURES:
        problems.append(f"measure must be one of {', '.join(MEASURES)}")
    elif measure == "rate" and not spec.control.continuous:
        rate_methods = [name for name, other in METHODS.items() if other.control.continuous]
        problems.append(f"{method} works on counts; on rates choose one of {', '.join(rate_methods)}")
    if problems:
        return problems
    try:
        days = history_needed(method, params) + 3
        counts = np.tile(np.arange(days, dtype=float) % 5 + 3, (2, 1)).T
        series = SurveillanceSeries(counts, population=counts * 10 if is_rate(params) else None, freq=DAILY)
        run_method(method, params, series, np.array([days - 1]))
    except (ValueError, TypeError) as exc:
        problems.append(str(exc))
    return problems


def run_method(method: str, params: Mapping[str, object], series: SurveillanceSeries | np.ndarray,
               timepoints: np.ndarray) -> SurveillanceSeries:
    """Run a configured method on a daily series (day × unit counts, NaN = missing; an array is taken as one)
    at ``timepoints``.

    Returns ``series`` at ``timepoints`` — counts and denominators as they were — with ``upperbound`` in the
    units of what was detected on (counts, or per cent for a ``rate`` configuration) and ``alarm`` already
    requiring ``min_observed`` counts. ``ValueError`` if the configuration cannot run on this series.
    """
    if not isinstance(series, SurveillanceSeries):
        series = SurveillanceSeries(series, freq=DAILY)
    control = control_for(method, params)
    if is_rate(params):
        if not control.continuous:
            raise ValueError(f"{method} does not run on rates")
        fixed_point = SurveillanceSeries(np.round(series.rates(per=100) * RATE_RESOLUTION), freq=series.freq)
        flagged = detect(fixed_point, control.scaled(RATE_RESOLUTION), timepoints=timepoints)
        upperbound, diagnostics = flagged.upperbound / RATE_RESOLUTION, {}
    else:
        flagged = detect(series, control, timepoints=timepoints)
        upperbound, diagnostics = flagged.upperbound, flagged.diagnostics
    at_timepoints = series.subset(time=timepoints)
    counts = at_timepoints.observed
    minimum = float(params.get("min_observed", 1))
    with np.errstate(invalid="ignore"):
        alarm = flagged.alarm & (counts >= minimum) & ~np.isnan(counts)
    return dataclasses.replace(at_timepoints, upperbound=upperbound, alarm=alarm, control=control,
                               diagnostics=diagnostics)
