"""The situation API: the page's figures as JSON, in scope only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fangkong.cases.tests.builders import make_case

pytestmark = pytest.mark.django_db


def test_situation_api_gives_the_figures_in_scope(client, shenzhen_epi, province_commander):
    make_case(province_commander, region="440304", name="甲", day="2022-03-10")
    make_case(province_commander, region="440304", name="乙", day="2022-03-10", classification="asymptomatic")
    make_case(province_commander, region="440106", name="丙", day="2022-03-10")  # Guangzhou
    client.force_login(shenzhen_epi)

    data = client.get(reverse("dashboard-api:situation", kwargs={"code": "440300"}), {"date": "2022-03-10"}).json()

    assert data["new"] == {"confirmed_local": 1, "confirmed_imported": 0, "asymptomatic_local": 1,
                           "asymptomatic_imported": 0}
    futian = next(c for c in data["children"] if c["code"] == "440304")
    assert futian["new_total"] == 2 and futian["cumulative_total"] == 2
    denied = client.get(reverse("dashboard-api:situation", kwargs={"code": "440000"}))
    assert denied.status_code == 404 and denied.json()["error"]["code"] == "not_found"
