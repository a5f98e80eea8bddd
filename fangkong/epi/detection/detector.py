"""One shape for every detector, in the spirit of R ``surveillance``: a series and a control in, the series
with ``alarm`` and ``upperbound`` filled out.

R runs ``earsC(sts, control = list(method = "C2", baseline = 28))`` and gets back the ``sts`` over
``control$range`` with its ``alarm`` and ``upperbound`` slots set. Here the control is a frozen dataclass
per method (:class:`~fangkong.epi.detection.ears.EarsControl`, ``FarringtonControl``, ``CusumControl``,
``BayesControl``, ``MovingPercentileControl``, ``FixedThresholdControl``) whose fields are R's control
entries in snake_case with R's defaults, each documented where it is declared and checked on
construction; and one function runs any of them::

    flagged = detect(series, EarsControl(method="C2", baseline=28), timepoints=range(35, 60))
    flagged.alarm, flagged.upperbound, flagged.dates   # (len(timepoints), unit), like R's sts[range, ]

Every control provides the same few things, so that code choosing among methods needs no case per method:
``evaluate(series, timepoints)`` (the computation, a :class:`DetectionResult`), ``history(freq)`` (how many
time points before an evaluated one it reads: the earliest time point it can evaluate),
``r_function`` (what it agrees with), and two properties an application needs to run it on something
other than counts: ``continuous`` (the method only uses the mean and spread of past values, so it is
meaningful for a share or rate given in fixed-point integers) and ``scale_parameters`` (the fields measured
in the units of the observations, which :meth:`DetectorControl.scaled` multiplies with them).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Self

from fangkong.epi.detection.result import DetectionResult
from fangkong.epi.series import SurveillanceSeries, coerce_series


class DetectorControl:
    """Base of the control dataclasses: what :func:`detect` and a method registry rely on."""

    #: short name of the method (the key in :data:`fangkong.epi.detection.DETECTORS`)
    name: ClassVar[str]
    #: the R function (or publication) the method agrees with
    r_function: ClassVar[str]
    #: True when the method only uses the mean and spread of past values (EARS), so that it may run on a
    #: continuous measure (a share, a rate) given as fixed-point integers; False for count models
    continuous: ClassVar[bool] = False
    #: fields measured in the units of the observations (EARS ``min_sigma``): :meth:`scaled` multiplies them
    scale_parameters: ClassVar[tuple[str, ...]] = ()

    def evaluate(self, series: SurveillanceSeries, timepoints: object = None) -> DetectionResult:
        """Run the method at ``timepoints`` (0-based; None = every time point with enough history)."""
        raise NotImplementedError

    def history(self, freq: int) -> int:
        """How many time points before an evaluated one the method reads, for a series of ``freq``."""
        raise NotImplementedError

    def scaled(self, factor: float) -> Self:
        """The same control for observations multiplied by ``factor`` (the :attr:`scale_parameters` too)."""
        return dataclasses.replace(self, **{name: getattr(self, name) * factor for name in self.scale_parameters})

    @classmethod
    def parameter_names(cls) -> tuple[str, ...]:
        """The names of the control's fields (its parameters), in declaration order."""
        return tuple(f.name for f in dataclasses.fields(cls))


def detect(series: object, control: DetectorControl, *, timepoints: object = None) -> SurveillanceSeries:
    """Run ``control``'s method on ``series`` and return the series at ``timepoints``, alarms filled.

    ``series``: a :class:`SurveillanceSeries` or a (time, unit) array of counts (1-D = one unit).
    ``timepoints``: 0-based indices to evaluate; None = from ``control.history(series.freq)`` to the end
    (R's default ``range``). Returns ``series.subset(time=timepoints)`` with ``upperbound`` (NaN where the
    method gives no bound), ``alarm``, ``control`` and the method's ``diagnostics`` (each shaped
    (len(timepoints), unit)), like the ``sts`` R's detectors return.
    """
    if not isinstance(control, DetectorControl):
        raise TypeError(f"control must be a detector control (e.g. EarsControl()), got {type(control).__name__}")
    series = coerce_series(series)
    result = control.evaluate(series, timepoints)
    return dataclasses.replace(
        series.subset(time=result.timepoints),
        upperbound=result.upperbound,
        alarm=result.alarm,
        control=control,
        diagnostics=dict(result.diagnostics),
    )
