"""The ground truth kept beside the observations, to score detection, Rt estimation and chain work.

:class:`Truth` holds every infection (true infection times, who infected whom, detection), the
symptomatic onsets per region and day that drive the sentinel signal, the expected sentinel baseline
and excess per series and per region, and the true outbreak days and periods per region × indicator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .epidemic import Infections


@dataclass(frozen=True)
class Truth:
    """Ground truth of a scenario.

    ``infections``: every infection (see :class:`~fangkong.epi.simulate.epidemic.Infections`);
    ``case_of_infection``: case id of each infection (-1 if never reported);
    ``onsets``: regions × days symptomatic onsets outside quarantine (leaf regions);
    ``outbreak``: regions × indicators × days, True on true outbreak days (all regions, leaves summed up);
    ``outbreak_periods``: record array (region, indicator, start_day, end_day inclusive);
    ``region_baseline`` / ``region_excess``: expected sentinel baseline and excess, regions × indicators × days;
    ``series_baseline`` / ``series_excess``: the same per sentinel series × day (float32).
    """

    infections: Infections
    case_of_infection: np.ndarray
    onsets: np.ndarray
    outbreak: np.ndarray
    outbreak_periods: np.ndarray
    region_baseline: np.ndarray
    region_excess: np.ndarray
    series_baseline: np.ndarray
    series_excess: np.ndarray

    def who_infected_whom(self) -> np.ndarray:
        """(infector, infectee) pairs of infection ids for every local infection."""
        infector = self.infections.infector
        local = np.flatnonzero(infector >= 0)
        return np.stack([infector[local], local], axis=1)
