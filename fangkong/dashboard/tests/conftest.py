"""A reduced demo wave (the demo scenario cut at 150 infections) loaded through the demo loaders."""

from __future__ import annotations

import pytest


@pytest.fixture
def demo_wave(province_commander):
    """The scenario (raw rows, for independent counts) and the region codes of its arrays, loaded."""
    from fangkong.cases.demo import load_cases
    from fangkong.epi.simulate import default_demo_params, load_region_tree, simulate_scenario
    from fangkong.persons.demo import load_case_persons
    from fangkong.regions.services import GUANGDONG_REGIONS

    tree = load_region_tree(GUANGDONG_REGIONS)
    scenario = simulate_scenario(default_demo_params().replace(max_infections=150), tree)
    load_case_persons(scenario, tree, province_commander)
    load_cases(scenario, tree, province_commander)
    return scenario, tree.codes.astype(str)


@pytest.fixture(autouse=True)
def fresh_cache():
    """The dashboard keeps its figures per scope and data generation: every test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
