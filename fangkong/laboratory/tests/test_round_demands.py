"""A round's needs fed to the resources forecast (``demands.py``, declared as ``resource_demands``): an open round's
test kits and samplers for each of its days are in its city's forecast and in the planned demands of the
forecast's page, for the regions the reader reads; finished or cancelled, they are gone; another county's and
another city's are apart. Closing a round (page and API) and the round's days (``RoundInput.days``)."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import pytest
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.epi.pooling import screening_plan
from fangkong.regions.models import Region
from fangkong.resources import forecast

from ..models import ScreeningRound
from ..selectors import SWABS_PER_SAMPLER_DAY
from ..services import round_close, round_create

pytestmark = pytest.mark.django_db

POPULATION = 48_000
DAYS = 3


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def stock(shenzhen_epi, province_commander):
    """Shenzhen: 100 test kits in a city store and a Futian sampling team of 5; Guangzhou: plenty of kits."""
    from fangkong.resources.services import stock_receive, store_create, team_create

    store = store_create(actor=shenzhen_epi, region="440300", name="深圳市物资储备库")
    stock_receive(actor=shenzhen_epi, store=store, item="test_kits", quantity=100, reason="测试")
    team_create(actor=shenzhen_epi, region="440304", name="福田采样队", skill="sampling", size=5)
    guangzhou = store_create(actor=province_commander, region="440100", name="广州市物资储备库")
    stock_receive(actor=province_commander, store=guangzhou, item="test_kits", quantity=1_000_000, reason="测试")


def _round(actor, today, county="440304", name="福田区第二轮全员核酸", days=DAYS, population=POPULATION):
    return round_create(actor=actor, county=county, name=name, starts_on=today + dt.timedelta(days=2), days=days,
                        population=population, expected_prevalence=0.001, pool_sizes=[10, 20])


def _lines(city: str, day) -> dict:
    return {line.resource: line for line in forecast.forecast([Region.objects.get(code=city)], day)}


def _expected(screening, day) -> tuple[list[float], list[float]]:
    """Kits and samplers a day on each day of the horizon (day 1 = tomorrow) for the round."""
    plan = screening_plan(screening.population, screening.expected_prevalence, screening.pool_sizes)
    days = [day + dt.timedelta(days=h) for h in range(1, forecast.HORIZON_DAYS + 1)]
    on = [screening.starts_on <= d <= screening.last_day for d in days]
    samplers = math.ceil(screening.population / screening.days / SWABS_PER_SAMPLER_DAY)
    return ([plan.expected_tests / screening.days if x else 0.0 for x in on],
            [float(samplers) if x else 0.0 for x in on])


def test_an_open_round_puts_its_kits_and_samplers_in_its_citys_forecast_for_its_days(shenzhen_epi, stock, today):
    before = _lines("440300", today)
    assert before["supply:test_kits"].band is None and before[forecast.STAFF].band is None  # no demand yet
    screening = _round(shenzhen_epi, today)
    kits, samplers = _expected(screening, today)
    lines = _lines("440300", today)
    assert lines["supply:test_kits"].daily[1] == [round(x, 1) for x in itertools.accumulate(kits)]  # cumulated use
    assert lines[forecast.STAFF].daily[1] == samplers and samplers[1:4] == [34.0] * 3
    # 100 kits on hand, a pool round of 48,000 people: short on its first day; 5 samplers for 34 a day
    assert lines["supply:test_kits"].first_date == screening.starts_on == lines[forecast.STAFF].first_date
    assert lines["supply:test_kits"].probability == 1.0
    # the forecast's page lists it under its county, in the reader's scope
    rows = forecast.planned_table(user=shenzhen_epi, day=today)
    assert [(r["region"], r["resource"], r["first"], r["last"], r["days"]) for r in rows] == [
        ("440304", "staff", screening.starts_on, screening.last_day, DAYS),
        ("440304", "supply:test_kits", screening.starts_on, screening.last_day, DAYS)]
    assert rows[1]["total"] == pytest.approx(sum(kits)) and rows[0]["per_day"] == 34


@pytest.mark.parametrize("status", ["finished", "cancelled"])
def test_a_finished_or_cancelled_round_leaves_the_forecast(shenzhen_epi, stock, today, status):
    screening = _round(shenzhen_epi, today)
    round_close(actor=shenzhen_epi, round=screening, status=status)
    lines = _lines("440300", today)
    assert lines["supply:test_kits"].band is None and lines[forecast.STAFF].band is None
    assert forecast.planned_table(user=shenzhen_epi, day=today) == []


def test_another_county_and_another_city_are_apart(shenzhen_epi, guangzhou_epi, futian_commander, stock, today):
    futian = _round(shenzhen_epi, today)
    luohu = _round(shenzhen_epi, today, county="440303", name="罗湖区全员核酸", days=1, population=4800)
    # both Shenzhen counties add up in the city's line; Guangzhou's forecast does not move
    kits_f, staff_f = _expected(futian, today)
    kits_l, staff_l = _expected(luohu, today)
    staff = _lines("440300", today)[forecast.STAFF].daily[1]
    assert staff == [a + b for a, b in zip(staff_f, staff_l, strict=True)]
    assert _lines("440100", today)["supply:test_kits"].band is None
    # the county commander reads its own county's round, the other city's epidemiologist none
    assert {r["label"] for r in forecast.planned_table(user=futian_commander, day=today)} == {futian.name}
    assert {r["label"] for r in forecast.planned_table(user=shenzhen_epi, day=today)} == {futian.name, luohu.name}
    assert forecast.planned_table(user=guangzhou_epi, day=today) == []
    # a round beyond the horizon, or over before tomorrow, is not counted
    late = round_create(actor=shenzhen_epi, county="440303", name="远期轮次", population=1000, expected_prevalence=0.001,
                        pool_sizes=[10], starts_on=today + dt.timedelta(days=forecast.HORIZON_DAYS + 1))
    past = round_create(actor=shenzhen_epi, county="440303", name="今日轮次", population=1000, expected_prevalence=0.001,
                        pool_sizes=[10], starts_on=today)
    labels = {r["label"] for r in forecast.planned_table(user=shenzhen_epi, day=today)}
    assert late.name not in labels and past.name not in labels


def test_the_resources_page_shows_the_round_in_scope_and_drops_it_when_closed(client, shenzhen_epi, guangzhou_epi,
                                                                              futian_commander, stock, today):
    screening = _round(shenzhen_epi, today)
    for user, shown in ((shenzhen_epi, True), (futian_commander, True), (guangzhou_epi, False)):
        client.force_login(user)
        page = client.get("/resources/").content.decode()
        assert ('data-region="440304" data-resource="supply:test_kits"' in page) is shown
        assert (screening.name in page) is shown
    client.force_login(shenzhen_epi)
    assert client.post(f"/laboratory/rounds/{screening.pk}/close/", {"status": "finished"}).status_code == 302
    page = client.get("/resources/").content.decode()
    assert screening.name not in page  # the cached forecast is renewed by the close (data generation)
    assert 'data-resource="supply:test_kits"' not in page


def test_closing_a_round_page_and_api_allowed_and_denied_paths(client, shenzhen_epi, guangzhou_epi, analyst, today,
                                                               lab_user, lab, people):
    screening = _round(shenzhen_epi, today)
    events = AuditEvent.objects.count()
    # another city: not found; a role without the capability: refused; nothing changed
    client.force_login(guangzhou_epi)
    assert client.post(f"/laboratory/rounds/{screening.pk}/close/", {"status": "cancelled"}).status_code == 404
    assert client.post(f"/api/v1/screening-rounds/{screening.pk}/close/", {"status": "cancelled"},
                       content_type="application/json").status_code == 404
    client.force_login(analyst)
    assert client.post(f"/laboratory/rounds/{screening.pk}/close/", {"status": "cancelled"}).status_code == 403
    assert client.post(f"/api/v1/screening-rounds/{screening.pk}/close/", {"status": "cancelled"},
                       content_type="application/json").status_code == 403
    client.force_login(lab_user)
    assert client.post(f"/api/v1/screening-rounds/{screening.pk}/close/", {"status": "cancelled"},
                       content_type="application/json").status_code == 403
    screening.refresh_from_db()
    assert screening.status == "open" and AuditEvent.objects.filter(action="update").count() == 0
    # bad input: no such status, "open" is not a closing
    client.force_login(shenzhen_epi)
    for bad in ({"status": "open"}, {"status": "done"}, {}):
        answer = client.post(f"/api/v1/screening-rounds/{screening.pk}/close/", bad, content_type="application/json")
        assert answer.status_code == 400 and "status" in answer.json()["error"]["fields"]
    # a round with a pool cannot be cancelled — finished it may be — and is closed once
    from .test_laboratory import _pool

    _pool(lab_user, screening, lab, [people[0][1]], code="D1", size=10)
    answer = client.post(f"/api/v1/screening-rounds/{screening.pk}/close/", {"status": "cancelled"},
                         content_type="application/json")
    assert answer.status_code == 400
    assert client.post(f"/laboratory/rounds/{screening.pk}/", {}).status_code == 405
    page = client.post(f"/laboratory/rounds/{screening.pk}/close/", {"status": "finished"}, follow=True)
    assert page.status_code == 200 and 'data-round-status="finished"' in page.content.decode()
    again = client.post(f"/api/v1/screening-rounds/{screening.pk}/close/", {"status": "finished"},
                        content_type="application/json")
    assert again.status_code == 400
    screening.refresh_from_db()
    assert screening.status == "finished" and screening.closed_at is not None
    assert AuditEvent.objects.count() > events
    # a closed round takes no new pool
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        _pool(lab_user, screening, lab, [people[1][1]], code="D2", size=10)
    assert "round" in refused.value.message_dict
    assert screening.pools.count() == 1


def test_a_round_opened_through_the_api_and_the_page_with_its_days(client, shenzhen_epi, futian_commander, today):
    client.force_login(shenzhen_epi)
    body = {"county": "440304", "name": "福田区三日轮次", "starts_on": (today + dt.timedelta(days=1)).isoformat(),
            "population": 9600, "expected_prevalence": 0.001, "pool_sizes": [10], "days": 2}
    created = client.post("/api/v1/screening-rounds/", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["days"] == 2 and created.json()["status"] == "open"
    for bad in (0, 15, "x"):
        refused = client.post("/api/v1/screening-rounds/", {**body, "days": bad}, content_type="application/json")
        assert refused.status_code == 400 and "days" in refused.json()["error"]["fields"]
    page = client.post("/laboratory/rounds/new/", {**body, "pool_sizes": "10", "days": "15"})
    assert page.status_code == 400
    assert ScreeningRound.objects.count() == 1
    # a county commander may not open a round in another county
    client.force_login(futian_commander)
    assert client.post("/api/v1/screening-rounds/", {**body, "county": "440303"},
                       content_type="application/json").status_code == 403
    assert ScreeningRound.objects.count() == 1
    screening = ScreeningRound.objects.get()
    assert screening.last_day == screening.starts_on + dt.timedelta(days=1)
    page = client.get(f"/laboratory/rounds/{screening.pk}/")
    assert page.status_code == 200 and page.context["supply"]["samplers_needed"] == 10  # 9,600 over 2 days


def test_the_shortage_a_round_causes_is_raised_in_the_three_lists_by_the_morning_sweep(shenzhen_epi, stock, today):
    """The round's kits and samplers are the forecast's like any demand: the resources module's daily sweep
    raises the shortage they cause — Shenzhen's kits and staff — and none for a city without a round."""
    from fangkong.resources.apps import PROBLEM_SOURCE
    from fangkong.resources.services import shortage_sweep
    from fangkong.worklists.models import Problem

    assert shortage_sweep(day=today)["raised"] == 0
    _round(shenzhen_epi, today)
    swept = shortage_sweep(day=today)
    problems = Problem.objects.filter(source=PROBLEM_SOURCE)
    assert swept["raised"] == problems.count() == 2
    assert set(problems.values_list("region_id", flat=True)) == {"440300"}
