"""The demo loader on a small cut of the demo scenario: every case and contact, links and clusters kept."""

from __future__ import annotations

import numpy as np
import pytest

from fangkong.cases.demo import load_cases
from fangkong.cases.models import Case, Cluster, Contact
from fangkong.epi.simulate import default_demo_params, load_region_tree, simulate_scenario
from fangkong.persons.demo import load_case_persons
from fangkong.regions.services import GUANGDONG_REGIONS

pytestmark = pytest.mark.django_db


def test_the_demo_loader_puts_the_scenario_into_the_database(province_commander):
    tree = load_region_tree(GUANGDONG_REGIONS)
    scenario = simulate_scenario(default_demo_params().replace(max_infections=200), tree)
    load_case_persons(scenario, tree, province_commander)
    message = load_cases(scenario, tree, province_commander)
    assert Case.objects.count() == scenario.cases.n and Contact.objects.count() == scenario.contacts.n
    assert Case.objects.filter(infector__isnull=False).count() == int((scenario.cases.infector_case >= 0).sum())
    assert Contact.objects.filter(via_contact__isnull=False).count() == int((scenario.contacts.via_contact >= 0).sum())
    converted = Contact.objects.filter(status="converted").select_related("converted_case")
    assert converted.exists() and all(k.person_id == k.converted_case.person_id for k in converted)
    assert all(k.listed_at <= k.quarantined_at for k in Contact.objects.exclude(quarantined_at=None)[:500])
    assert set(Contact.objects.values_list("protocol__code", flat=True)) == {"8th"}
    sizes = np.array([c.cases.count() for c in Cluster.objects.all()])
    assert sizes.size and (sizes >= 3).all()
    assert load_cases(scenario, tree, province_commander) == "demo cases: already loaded"
    assert Case.objects.count() == scenario.cases.n and message.startswith("demo cases:")


def test_the_demo_has_suspected_and_excluded_cases_and_risk_areas(province_commander):
    from fangkong.cases.demo import load_demo_areas_and_suspects
    from fangkong.cases.models import RiskArea
    from fangkong.cases.selectors import risk_area_last_case

    tree = load_region_tree(GUANGDONG_REGIONS)
    scenario = simulate_scenario(default_demo_params().replace(max_infections=200), tree)
    load_case_persons(scenario, tree, province_commander)
    load_cases(scenario, tree, province_commander)
    message = load_demo_areas_and_suspects(province_commander)
    suspected = Case.objects.filter(classification="suspected")
    excluded = Case.objects.filter(classification="excluded")
    assert suspected.exists() and excluded.exists(), message
    assert all(list(c.classification_history.values_list("classification", flat=True)) == ["suspected", "excluded"]
               for c in excluded)
    kinds = set(RiskArea.objects.values_list("kind", flat=True))
    assert kinds == {"region", "compound", "building"}
    for area in RiskArea.objects.exclude(kind="region"):
        own = max(area.cases.values_list("report_date", flat=True))
        assert risk_area_last_case(user=province_commander, area=area) == own  # its own infections only
    assert load_demo_areas_and_suspects(province_commander).endswith("already loaded")
