"""The demo: one outbreak scenario from the simulator, and the loaders that put it into the database.

``fangkong demo`` loads the region tree, creates the demo users, then runs every loader of
``DEMO_LOADERS`` with the same scenario (``fangkong.epi.simulate.default_demo_params``). As modules land,
each adds the loader for its part of the scenario here.
"""

from __future__ import annotations

from functools import lru_cache

from fangkong.epi.simulate import default_demo_params, load_region_tree, simulate_scenario
from fangkong.regions.services import GUANGDONG_REGIONS


@lru_cache(maxsize=1)
def demo_scenario():
    tree = load_region_tree(GUANGDONG_REGIONS)
    return simulate_scenario(default_demo_params(), tree), tree


def _persons(actor) -> str:
    from fangkong.persons.demo import load_case_persons

    scenario, tree = demo_scenario()
    return load_case_persons(scenario, tree, actor)


def _surveillance(actor) -> str:
    from fangkong.surveillance.demo import load_demo_surveillance

    scenario, tree = demo_scenario()
    return load_demo_surveillance(scenario, tree, actor)


def _cases(actor) -> str:
    from fangkong.cases.demo import load_cases

    scenario, tree = demo_scenario()
    return load_cases(scenario, tree, actor)


def _bulletins(actor) -> str:
    from fangkong.bulletins.demo import load_demo_bulletins

    return load_demo_bulletins(actor)


DEMO_LOADERS = [_persons, _surveillance, _cases, _bulletins]
