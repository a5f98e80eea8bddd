"""fangkong.epi.simulate — a synthetic province outbreak scenario with its ground truth, pure numpy.

Public API::

    params = default_demo_params()                   # or ScenarioParams(...)
    tree = load_region_tree("guangdong_regions.csv")  # any region tree
    scenario = simulate_scenario(params, tree)        # in memory (demo, tests)
    write_scenario(params, tree, "out/", scale=10_000_000)  # streamed to CSV/Parquet (big scales)

Deterministic for a seed: every component draws from its own child stream of PCG64.
"""

from .params import (
    DETECTION_ROUTES,
    INDICATORS,
    PLACE_KINDS,
    ScenarioParams,
    validate_params,
)
from .presets import default_demo_params, scaled_params
from .regions import LEVELS, RegionTree, load_region_tree, region_tree_from_rows, synthetic_tree
from .scenario import Scenario, simulate_scenario
from .travellers import LOOP_EVENTS
from .writer import write_scenario

__all__ = [
    "DETECTION_ROUTES",
    "INDICATORS",
    "LEVELS",
    "LOOP_EVENTS",
    "PLACE_KINDS",
    "RegionTree",
    "Scenario",
    "ScenarioParams",
    "default_demo_params",
    "scaled_params",
    "load_region_tree",
    "region_tree_from_rows",
    "simulate_scenario",
    "write_scenario",
    "synthetic_tree",
    "validate_params",
]
