"""The demo: one outbreak scenario from the simulator, shared by the modules' demo loaders.

``fangkong demo`` loads the region tree, creates the demo users, then runs the demo loader every module
declares (``demo_loader`` of its ``AppConfig``, ``fangkong.modules.demo_loaders``), in ``demo_order``;
each loads its part of this one scenario (``fangkong.epi.simulate.default_demo_params``).
"""

from __future__ import annotations

from functools import lru_cache

from fangkong.epi.simulate import default_demo_params, load_region_tree, simulate_scenario
from fangkong.regions.services import GUANGDONG_REGIONS


@lru_cache(maxsize=1)
def demo_scenario():
    tree = load_region_tree(GUANGDONG_REGIONS)
    return simulate_scenario(default_demo_params(), tree), tree
