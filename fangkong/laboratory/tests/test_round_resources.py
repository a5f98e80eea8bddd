"""A round's kits and samplers against its city's resources (``selectors.round_resources``): the plan's expected
tests against the test kits on hand in the city's stores, the samplers for one day against the city's sampling
teams available on the round's first day — read through the resources module with the reader's rights."""

from __future__ import annotations

import pytest

from fangkong.epi.pooling import screening_plan

from ..selectors import SWABS_PER_SAMPLER_DAY, round_resources

pytestmark = pytest.mark.django_db


@pytest.fixture
def supplies(shenzhen_epi, province_commander, screening):
    from fangkong.resources.services import roster_record, stock_receive, store_create, team_create

    store = store_create(actor=shenzhen_epi, region="440300", name="深圳市物资储备库")
    stock_receive(actor=shenzhen_epi, store=store, item="test_kits", quantity=100, reason="测试")
    stock_receive(actor=shenzhen_epi, store=store, item="masks", quantity=10_000, reason="测试")
    elsewhere = store_create(actor=province_commander, region="440100", name="广州市物资储备库")
    stock_receive(actor=province_commander, store=elsewhere, item="test_kits", quantity=1_000_000, reason="测试")
    team = team_create(actor=shenzhen_epi, region="440304", name="福田采样队", skill="sampling", size=5)
    roster_record(actor=shenzhen_epi, team=team, date=screening.starts_on, available=2)
    team_create(actor=shenzhen_epi, region="440304", name="福田医疗队", skill="medical", size=50)


def test_the_round_needs_kits_and_samplers_of_its_own_city(shenzhen_epi, screening, supplies):
    plan = screening_plan(screening.population, screening.expected_prevalence, screening.pool_sizes)
    found = round_resources(user=shenzhen_epi, screening=screening, plan=plan)
    needed = -(-screening.population // SWABS_PER_SAMPLER_DAY)
    assert found == {"kits_needed": plan.expected_tests, "kits_on_hand": 100,
                     "kits_short": plan.expected_tests - 100, "samplers_needed": needed,
                     "samplers_available": 2, "samplers_short": needed - 2}
    assert plan.expected_tests > 100  # the page shows the shortage


def test_a_county_reader_counts_only_what_it_may_read(futian_commander, screening, supplies):
    plan = screening_plan(screening.population, screening.expected_prevalence, screening.pool_sizes)
    found = round_resources(user=futian_commander, screening=screening, plan=plan)
    assert (found["kits_on_hand"], found["samplers_available"]) == (0, 2)  # the city's store is not Futian's


def test_the_round_page_shows_the_shortage(client, shenzhen_epi, screening, supplies):
    import re

    client.force_login(shenzhen_epi)
    response = client.get(f"/laboratory/rounds/{screening.pk}/")
    plan = screening_plan(screening.population, screening.expected_prevalence, screening.pool_sizes)
    assert response.context["supply"]["kits_short"] == plan.expected_tests - 100
    # the kits line names what is on hand and, in bold, the shortage (whatever the interface's language)
    assert re.search(rf"<dd>[^<]*\b100\b[^<]*<strong>[^<]*\b{plan.expected_tests - 100}\b", response.content.decode())
