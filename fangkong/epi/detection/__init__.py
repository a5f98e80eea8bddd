"""Aberration detection: the field's reference algorithms, vectorised over many series.

Two ways to call a method, the same computation:

- R-shaped: ``detect(series, control, timepoints=...)`` takes a
  :class:`~fangkong.epi.series.SurveillanceSeries` (or a (time, unit) array) and a control object
  (:class:`EarsControl`, :class:`FarringtonControl`, :class:`CusumControl`, :class:`BayesControl`,
  :class:`MovingPercentileControl`, :class:`FixedThresholdControl`) and returns the series at the
  evaluated time points with ``alarm`` and ``upperbound`` filled, as R's detectors return an ``sts``.
  Every control offers the same interface (:class:`~fangkong.epi.detection.detector.DetectorControl`), so
  code that chooses among methods needs no case per method; :data:`DETECTORS` lists them by name.
- Function-shaped: ``ears_c``, ``farrington_flexible``, ``cusum``, ``bayes``, ``moving_percentile``,
  ``fixed_threshold`` take the series and the control's fields as keyword arguments and return a
  :class:`DetectionResult` (arrays shaped (len(timepoints), unit)).

Parameters are R ``surveillance``'s control names in snake_case with R's defaults, declared (and
documented) once, on the control; results agree with R (``scripts/r/surveillance_reference.R`` and
the tests against its committed outputs).
"""

from fangkong.epi.detection.bayes import BayesControl, bayes
from fangkong.epi.detection.cidars import (
    FixedThresholdControl,
    MovingPercentileControl,
    fixed_threshold,
    moving_percentile,
)
from fangkong.epi.detection.cusum import CusumControl, cusum
from fangkong.epi.detection.detector import DetectorControl, detect
from fangkong.epi.detection.ears import EarsControl, ears_c
from fangkong.epi.detection.farrington import FarringtonControl, farrington_flexible
from fangkong.epi.detection.result import DetectionResult

#: Every detector's control class by its short name (``control.name``).
DETECTORS: dict[str, type[DetectorControl]] = {
    control.name: control
    for control in (
        EarsControl,
        FarringtonControl,
        CusumControl,
        BayesControl,
        MovingPercentileControl,
        FixedThresholdControl,
    )
}

#: What each public name corresponds to in R (the API reference shows it; a control's own is ``r_function``).
R_EQUIVALENTS = {
    "DETECTORS": "none (the methods `surveillance` offers are separate functions)",
    "DetectionResult": "the `upperbound`, `alarm` and `control` slots of the `sts` R's detectors return",
    "DetectorControl": "the `control` list every `surveillance` detector takes",
    "detect": "calling a detector on an `sts` (`earsC(sts, control)`, `farringtonFlexible(sts, control)`, ...): "
              "the `sts` over `control$range` with `alarm` and `upperbound` filled",
    "bayes": "`surveillance::algo.bayes` (as `bayes(sts, control)`)",
    "cusum": "`surveillance::algo.cusum` (as `cusum(sts, control)`; `reference_window` is not in R)",
    "ears_c": "`surveillance::earsC`",
    "farrington_flexible": "`surveillance::farringtonFlexible`",
    "fixed_threshold": "none: CIDARS fixed threshold (Yang et al. 2011)",
    "moving_percentile": "none: CIDARS moving percentile (Yang et al. 2011)",
}

__all__ = [
    "DETECTORS",
    "BayesControl",
    "CusumControl",
    "DetectionResult",
    "DetectorControl",
    "EarsControl",
    "FarringtonControl",
    "FixedThresholdControl",
    "MovingPercentileControl",
    "bayes",
    "cusum",
    "detect",
    "ears_c",
    "farrington_flexible",
    "fixed_threshold",
    "moving_percentile",
]
