"""Load the R ``surveillance`` reference fixtures written by ``scripts/r/surveillance_reference.R``.

Each fixture file holds a list of cases: the data set name, R's control list, the 1-based range and
R's outputs (NA as JSON null). Helpers here turn them into numpy arrays and fangkong keyword arguments.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

FIXTURES = Path(__file__).parent / "fixtures" / "surveillance"

#: R control names -> fangkong keyword names
CONTROL_NAMES = {
    "b": "b",
    "w": "w",
    "reweight": "reweight",
    "weightsThreshold": "weights_threshold",
    "alpha": "alpha",
    "trend": "trend",
    "pThresholdTrend": "p_threshold_trend",
    "limit54": "limit54",
    "powertrans": "powertrans",
    "populationOffset": "population_offset",
    "noPeriods": "no_periods",
    "pastWeeksNotIncluded": "past_weeks_not_included",
    "thresholdMethod": "threshold_method",
    "method": "method",
    "baseline": "baseline",
    "minSigma": "min_sigma",
    "k": "k",
    "h": "h",
    "m": "m",
    "trans": "trans",
    "actY": "act_y",
}


def as_array(values: object) -> np.ndarray:
    """JSON rows (null = NA) -> float array with NaN."""
    return np.array([[np.nan if v is None else v for v in row] for row in values], dtype=float)


@cache
def _load(name: str) -> object:
    return json.loads((FIXTURES / name).read_text())


def dataset(name: str) -> np.ndarray:
    return as_array(_load("datasets.json")["datasets"][name])


def population() -> np.ndarray:
    return as_array(_load("datasets.json")["population"])


def cases(file_name: str) -> list[dict]:
    return _load(file_name)


def case_id(case: dict) -> str:
    return f"{case['data']}-{case['config']}"


def keyword_arguments(case: dict) -> dict:
    """fangkong keyword arguments equivalent to the case's R control list."""
    control = case["control"] or {}
    arguments = {CONTROL_NAMES[key]: value for key, value in control.items()}
    if "limit54" in arguments:
        arguments["limit54"] = tuple(arguments["limit54"])
    return arguments


def timepoints(case: dict) -> np.ndarray:
    """R's 1-based range as fangkong's 0-based timepoints."""
    return np.asarray(case["range"]) - 1


def r_alarm(case: dict) -> np.ndarray:
    """R's alarms as bool (R's NA, where no model was fitted, counts as no alarm)."""
    return np.nan_to_num(as_array(case["alarm"])).astype(bool)


def relative_difference(ours: np.ndarray, reference: np.ndarray, *, floor: float = 1e-300) -> float:
    """Largest |ours - reference| / max(|reference|, floor) over entries where both are defined."""
    both = ~np.isnan(ours) & ~np.isnan(reference)
    if not both.any():
        return 0.0
    return float(np.max(np.abs(ours[both] - reference[both]) / np.maximum(np.abs(reference[both]), floor)))
