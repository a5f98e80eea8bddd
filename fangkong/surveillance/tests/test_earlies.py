"""The four earlies of cases per child region and week: counts, medians and shares within target, through
the scoped case list (a county user counts only its county's cases), configurable targets, page and API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from fangkong.cases.case_earlies import case_earlies_refresh
from fangkong.cases.models import Case
from fangkong.cases.tests.builders import at, make_case
from fangkong.surveillance.earlies import DEFAULT_TARGETS, earlies
from fangkong.surveillance.models import EarliesTarget

FIRST, LAST = dt.date(2022, 3, 7), dt.date(2022, 3, 20)  # ISO weeks 2022-W10 and W11


def _case(actor, region, day, *, onset=None, visit=None, sampling=None, isolated=None, treated=None, hour=9,
          report_hour=None):
    case = make_case(actor, region=region, day=day, hour=hour, report_hour=report_hour,
                     onset_date=dt.date.fromisoformat(onset) if onset else None,
                     sampling_date=dt.date.fromisoformat(sampling) if sampling else None)
    # written around the services (the form checks these times): the case's intervals are recomputed
    Case.objects.filter(pk=case.pk).update(first_visit_at=visit, isolated_at=isolated, treatment_at=treated)
    case_earlies_refresh([case.pk])
    return case


@pytest.fixture
def shenzhen_cases(province_commander):
    actor = province_commander
    return [
        # Futian, week 10: onset 03-07, visit 03-08 (1 day), sampled 03-08, reported 03-09 10:00, isolated
        # 3 h later, treated 1 h after that.
        _case(actor, "440304", "2022-03-09", onset="2022-03-07", visit=at("2022-03-08", 15), sampling="2022-03-08",
              isolated=at("2022-03-09", 13), treated=at("2022-03-09", 14)),
        # Futian, week 10: onset 03-05, visit 03-09 (4 days: late), sampled 03-09, reported 03-10, isolated
        # 28 h after the report (late); no treatment recorded; reported 3 h after diagnosis (late).
        _case(actor, "440304", "2022-03-10", onset="2022-03-05", visit=at("2022-03-09", 10), sampling="2022-03-09",
              isolated=at("2022-03-11", 16), report_hour=12),
        # Luohu, week 11: found in quarantine: isolated two days before the report; no onset, no visit.
        _case(actor, "440303", "2022-03-15", sampling="2022-03-15", isolated=at("2022-03-13", 9)),
        # Guangzhou, week 11: outside Shenzhen.
        _case(actor, "440106", "2022-03-16", onset="2022-03-14", visit=at("2022-03-14", 20)),
        # Futian, outside the period.
        _case(actor, "440304", "2022-03-22", onset="2022-03-01", visit=at("2022-03-21", 9)),
    ]


def test_the_earlies_per_county_and_week(shenzhen_epi, shenzhen_cases):
    result = earlies(shenzhen_epi, "440300", FIRST, LAST)
    assert result["total"]["cases"] == 3
    rows = {r["code"]: r for r in result["regions"]}
    futian, luohu = rows["440304"], rows["440303"]
    assert futian["cases"] == 2 and luohu["cases"] == 1 and rows["440305"]["cases"] == 0
    assert futian["onset_visit"] == {"n": 2, "median_hours": 60.0, "within": 1, "share": 0.5}  # 1 and 4 days
    assert futian["visit_sampling"]["n"] == 2 and futian["visit_sampling"]["within"] == 2  # same day
    assert futian["sampling_report"]["median_hours"] == 24.0 and futian["sampling_report"]["share"] == 1.0
    assert futian["diagnosis_report"]["within"] == 1  # the second case was reported 3 h after diagnosis
    assert futian["report_isolation"] == {"n": 2, "median_hours": 15.5, "within": 1, "share": 0.5}  # 3 h, 28 h
    assert futian["isolation_treatment"] == {"n": 1, "median_hours": 1.0, "within": 1, "share": 1.0}
    # Isolated before the report: a negative interval, within target.
    assert luohu["report_isolation"] == {"n": 1, "median_hours": -49.0, "within": 1, "share": 1.0}
    assert luohu["onset_visit"] == {"n": 0, "median_hours": None, "within": 0, "share": None}
    weeks = {w["week"]: w for w in result["weeks"]}
    assert set(weeks) == {"2022-W10", "2022-W11"} and weeks["2022-W10"]["monday"] == "2022-03-07"
    assert weeks["2022-W10"]["cases"] == 2 and weeks["2022-W11"]["report_isolation"]["n"] == 1
    assert {(r["code"], r["week"], r["cases"]) for r in result["region_weeks"]} == {
        ("440304", "2022-W10", 2), ("440303", "2022-W11", 1)}
    assert result["targets"]["report_isolation_hours"] == DEFAULT_TARGETS["report_isolation_hours"]


def test_a_county_user_counts_only_its_county(futian_commander, shenzhen_cases):
    result = earlies(futian_commander, "440300", FIRST, LAST)
    rows = {r["code"]: r["cases"] for r in result["regions"]}
    assert rows["440304"] == 2 and rows["440303"] == 0 and result["total"]["cases"] == 2


def test_a_regions_targets_change_the_shares(province_commander, shenzhen_cases):
    EarliesTarget.objects.create(region_id="440300", onset_visit_hours=96, report_isolation_hours=48)
    result = earlies(province_commander, "440300", FIRST, LAST)
    futian = next(r for r in result["regions"] if r["code"] == "440304")
    assert futian["onset_visit"]["share"] == 1.0 and futian["report_isolation"]["share"] == 1.0
    assert result["targets"]["source"] == "440300"
    elsewhere = earlies(province_commander, "440100", FIRST, LAST)
    assert elsewhere["targets"]["source"] == "" and elsewhere["total"]["cases"] == 1


def test_the_earlies_page_and_api(client, shenzhen_epi, shenzhen_cases):
    client.force_login(shenzhen_epi)
    params = {"region": "440300", "first": FIRST.isoformat(), "last": LAST.isoformat()}
    page = client.get(reverse("surveillance:earlies"), params)
    assert page.status_code == 200
    html = page.content.decode()
    assert "福田区" in html and "data-earlies-chart" in html and reverse("surveillance:earlies") in html
    data = client.get(reverse("surveillance-api:earlies"), params).json()
    assert data["total"]["cases"] == 3 and data["region"]["code"] == "440300"
    bad = client.get(reverse("surveillance-api:earlies"), {**params, "first": "2022-13-01"})
    assert bad.status_code == 400


def test_the_earlies_of_another_city_are_not_found(client, guangzhou_epi, shenzhen_cases):
    client.force_login(guangzhou_epi)
    assert client.get(reverse("surveillance:earlies"), {"region": "440300"}).status_code == 404
    assert client.get(reverse("surveillance-api:earlies"), {"region": "440300"}).status_code == 404
    own = client.get(reverse("surveillance-api:earlies"), {"region": "440100", "first": FIRST.isoformat(),
                                                           "last": LAST.isoformat()}).json()
    assert own["total"]["cases"] == 1


def test_earlies_targets_are_set_where_allowed(client, shenzhen_epi, futian_commander, guangzhou_epi):
    url = reverse("surveillance-api:earlies-target")
    body = {"region": "440300", **DEFAULT_TARGETS, "report_isolation_hours": 12}
    client.force_login(futian_commander)  # a county commander may not configure
    assert client.post(url, {**body, "region": "440304"}).status_code == 403
    client.force_login(guangzhou_epi)
    assert client.post(url, body).status_code == 404
    client.force_login(shenzhen_epi)
    assert client.post(url, {**body, "onset_visit_hours": -1}).status_code == 400
    assert not EarliesTarget.objects.exists()
    assert client.post(url, body).json()["report_isolation_hours"] == 12
    assert client.get(url, {"region": "440304"}).json()["report_isolation_hours"] == 12  # inherited
    page = client.post(reverse("surveillance:earlies-targets"), {"region": "440300", **DEFAULT_TARGETS,
                                                                 "report_isolation_hours": "6"})
    assert page.status_code == 302
    assert EarliesTarget.objects.get().report_isolation_hours == 6


def test_the_demo_cases_carry_the_simulated_earlies(province_commander):
    from fangkong.cases.demo import load_cases
    from fangkong.epi.simulate import default_demo_params, load_region_tree, simulate_scenario
    from fangkong.persons.demo import load_case_persons
    from fangkong.regions.services import GUANGDONG_REGIONS

    tree = load_region_tree(GUANGDONG_REGIONS)
    scenario = simulate_scenario(default_demo_params().replace(max_infections=200), tree)
    load_case_persons(scenario, tree, province_commander)
    load_cases(scenario, tree, province_commander)
    quarantined = Case.objects.filter(detection_route="during_quarantine").exclude(isolated_at=None)
    assert quarantined.exists() and all(c.isolated_at < c.reported_at for c in quarantined)
    clinic = Case.objects.filter(detection_route="fever_clinic")
    assert clinic.exists() and not clinic.filter(first_visit_at=None).exists()
    assert not Case.objects.filter(classification="asymptomatic").exclude(treatment_at=None).exists()
    first, last = scenario.dates[0], scenario.dates[-1]
    result = earlies(province_commander, "440000", first, last)
    assert result["total"]["cases"] == Case.objects.count()
    assert result["total"]["report_isolation"]["n"] > 0 and result["total"]["onset_visit"]["n"] > 0


def test_postgresql_reads_every_grouping_in_one_pass_with_the_same_figures(shenzhen_epi, shenzhen_cases):
    from django.db import connection

    from fangkong.regions.models import Region
    from fangkong.surveillance import earlies as module

    if connection.vendor != "postgresql":
        pytest.skip("GROUPING SETS: PostgreSQL only")
    shenzhen = Region.objects.get(code="440300")
    children = list(Region.objects.filter(parent=shenzhen).order_by("code"))
    rows = module.earlies_rows(user=shenzhen_epi, region=shenzhen, date_from=FIRST, date_to=LAST)
    targets = module.earlies_targets_for("440300")
    one_pass = module._aggregate_in_one_pass(rows, children, targets)
    assert one_pass is not None
    assert one_pass == module._aggregate_in_python(rows, children, targets)
