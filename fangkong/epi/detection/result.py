"""Result of an aberration detector: per evaluated time point and unit, bound, alarm and diagnostics.

All arrays are shaped (len(timepoints), unit). ``upperbound`` is float with NaN where no bound was
computed; ``alarm`` is bool. ``diagnostics`` holds what R ``surveillance`` returns in ``control`` for
the method (Farrington: ``expected``, ``score``, ``pvalue``, ``phi``, ``trend``...), also reachable as
attributes (``result.expected``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class DetectionResult:
    """Output of one detector run over ``timepoints`` (0-based) for every unit."""

    method: str
    timepoints: np.ndarray
    upperbound: np.ndarray
    alarm: np.ndarray
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)

    def __getattr__(self, name: str) -> np.ndarray:
        diagnostics = object.__getattribute__(self, "diagnostics")
        if name in diagnostics:
            return diagnostics[name]
        raise AttributeError(f"{type(self).__name__} for {self.method!r} has no attribute {name!r}")
