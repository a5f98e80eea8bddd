"""The demo: one outbreak scenario from the simulator, shared by the modules' demo loaders.

``fangkong demo`` loads the region tree, creates the demo users, then runs the demo loader every module
declares (``demo_loader`` of its ``AppConfig``, ``fangkong.modules.demo_loaders``), in ``demo_order``;
each loads its part of this one scenario (``fangkong.epi.simulate.default_demo_params``).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from fangkong.epi.simulate import default_demo_params, load_region_tree, simulate_scenario
from fangkong.regions.services import GUANGDONG_REGIONS


@lru_cache(maxsize=1)
def demo_scenario():
    tree = load_region_tree(GUANGDONG_REGIONS)
    return simulate_scenario(default_demo_params(), tree), tree


def scenario_last_day() -> dt.date | None:
    """The scenario's last day as loaded: the latest report date of the demo's cases (None before the cases
    are loaded). The modules' demos date their records on it, not by the real clock: a record of today would
    make today the last day with data, and every page would open on a day without the demo's epidemic."""
    from django.db.models import Max

    from fangkong.cases.models import Case

    return Case.objects.aggregate(last=Max("report_date"))["last"]
