"""Aberration detection: the field's reference algorithms, vectorised over many series.

Every detector takes a :class:`fangkong.epi.series.SurveillanceSeries` or a (time, unit) array
(1-D = one unit), evaluates the 0-based ``timepoints`` and returns a
:class:`~fangkong.epi.detection.result.DetectionResult` whose arrays are shaped
(len(timepoints), unit). Parameters are R ``surveillance``'s control names in snake_case with R's
defaults; results agree with R (see ``scripts/r/surveillance_reference.R`` and the tests).
"""

from fangkong.epi.detection.bayes import bayes
from fangkong.epi.detection.cidars import fixed_threshold, moving_percentile
from fangkong.epi.detection.cusum import cusum
from fangkong.epi.detection.ears import ears_c
from fangkong.epi.detection.farrington import farrington_flexible
from fangkong.epi.detection.result import DetectionResult

__all__ = [
    "DetectionResult",
    "bayes",
    "cusum",
    "ears_c",
    "farrington_flexible",
    "fixed_threshold",
    "moving_percentile",
]
