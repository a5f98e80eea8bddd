"""The mass-screening rounds' needs fed to the resources forecast (``ModuleConfig.resource_demands``,
``fangkong.modules.DemandSource``): each open round (not finished, not cancelled) uses, on each of its sampling
days, its test kits spread evenly over those days and the samplers to swab its population over them
(``selectors.round_needs``) — in its county, which the forecast adds to its city's line and lists on its page.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from fangkong.accounts.need_to_know import prefixes_q
from fangkong.epi.pooling import screening_plan
from fangkong.modules import PlannedDemand

from .models import ScreeningRound
from .selectors import round_needs

KITS = "supply:test_kits"  # the resources forecast's names (``fangkong.modules.PlannedDemand``)
STAFF = "staff"


def demands(prefixes: list[str], first: dt.date, last: dt.date) -> list[PlannedDemand]:
    """The kits and samplers of the open rounds of the counties under ``prefixes`` whose days meet ``first`` to
    ``last`` (the caller's choice of regions: unscoped, counts only)."""
    rounds = ScreeningRound.objects.filter(
        prefixes_q("county__code", prefixes), status=ScreeningRound.Status.OPEN, starts_on__lte=last,
        starts_on__gt=first - dt.timedelta(days=ScreeningRound.MAX_DAYS)).order_by("starts_on", "id")
    out = []
    for screening in rounds:
        if screening.last_day < first:
            continue
        needs = round_needs(screening, screening_plan(screening.population, screening.expected_prevalence,
                                                      screening.pool_sizes))
        url = reverse("laboratory:round-detail", kwargs={"round_id": screening.pk})
        common = {"region": screening.county_id, "first": screening.starts_on, "last": screening.last_day,
                  "label": screening.name, "url": url}
        out.append(PlannedDemand(resource=KITS, per_day=needs["kits_per_day"], **common))
        out.append(PlannedDemand(resource=STAFF, per_day=float(needs["samplers"]), **common))
    return out
