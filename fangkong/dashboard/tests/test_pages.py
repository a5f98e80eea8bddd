"""Dashboard pages: figures link to their line lists, drill-down, scope (a county sees only itself), big screen."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from django.urls import reverse

from fangkong.cases.selectors import case_list
from fangkong.cases.tests.builders import make_case
from fangkong.modules import dashboard_panels

pytestmark = pytest.mark.django_db


def busiest(scenario) -> dt.date:
    return scenario.params.start_date + dt.timedelta(days=int(np.bincount(scenario.cases.report_day).argmax()))


def page_data(response) -> dict:
    match = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>',
                      response.content.decode(), re.S)
    return json.loads(match.group(1))


def test_province_dashboard_shows_the_days_figures_linked_to_line_lists(client, province_commander, demo_wave):
    scenario, _codes = demo_wave
    day = busiest(scenario)
    client.force_login(province_commander)

    response = client.get(reverse("dashboard:region", kwargs={"code": "440000"}), {"date": day.isoformat()})

    assert response.status_code == 200
    html = response.content.decode()
    data = page_data(response)["data"]
    c = scenario.cases
    on_day = c.report_day == (day - scenario.params.start_date).days
    assert data["new"]["confirmed_local"] == int((on_day & ~c.imported.astype(bool) & ~c.asymptomatic.astype(bool)).sum())
    # the card links to the line list with the same filters, and that list has exactly that many rows
    link = re.search(r'href="([^"]+)" data-figure="new_confirmed_local"', html).group(1).replace("&amp;", "&")
    query = dict(parse_qsl(urlsplit(link).query))
    assert case_list(user=province_commander, filters=query).count() == data["new"]["confirmed_local"] > 0
    assert client.get(link).status_code == 200
    assert "date_from=" + day.isoformat() in link and "classification=confirmed" in link and "imported=0" in link
    # drill-down: each child row links to the child's dashboard
    assert reverse("dashboard:region", kwargs={"code": "440300"}) + "?date=" + day.isoformat() in html
    assert {ch["code"] for ch in data["children"]} >= {"440300", "441900"} and len(data["children"]) == 21


def test_county_user_sees_only_the_county_and_a_map_without_neighbours(client, futian_commander, province_commander):
    make_case(province_commander, region="440304", name="福田病例")
    make_case(province_commander, region="440303", name="罗湖病例")  # the neighbour
    client.force_login(futian_commander)

    assert client.get(reverse("dashboard:home")).url == reverse("dashboard:region", kwargs={"code": "440304"})
    response = client.get(reverse("dashboard:region", kwargs={"code": "440304"}), {"date": "2022-03-10"})
    geo = client.get(reverse("dashboard:geo", kwargs={"code": "440304"})).json()

    assert response.status_code == 200
    data = page_data(response)["data"]
    assert data["new_total"] == 1 and data["children"] == []
    assert [f["properties"]["code"] for f in geo["features"]] == ["440304"]
    html = response.content.decode()
    assert "罗湖" not in html and "440303" not in html and "深圳市" not in html
    for code in ("440300", "440303", "440000"):
        assert client.get(reverse("dashboard:region", kwargs={"code": code})).status_code == 404
        assert client.get(reverse("dashboard:geo", kwargs={"code": code})).status_code == 404


def test_city_map_has_the_citys_districts_only(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    geo = client.get(reverse("dashboard:geo", kwargs={"code": "440300"})).json()
    codes = [f["properties"]["code"] for f in geo["features"]]
    assert codes and all(code.startswith("4403") for code in codes)


def test_big_screen_has_no_navigation_and_polls(client, province_commander):
    client.force_login(province_commander)
    response = client.get(reverse("dashboard:region", kwargs={"code": "440000"}), {"screen": "big"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="sidenav"' not in html and "big-screen" in html
    assert 'hx-trigger="every 60s"' in html and reverse("dashboard:screen-panel", kwargs={"code": "440000"}) in html
    panel = client.get(reverse("dashboard:screen-panel", kwargs={"code": "440000"}))
    assert panel.status_code == 200 and 'id="screen-panel"' in panel.content.decode()


def test_anonymous_and_nobody_are_refused(client, nobody):
    url = reverse("dashboard:region", kwargs={"code": "440000"})
    assert client.get(url).status_code == 302
    client.force_login(nobody)
    assert client.get(url).status_code == 403  # no role, so no category to read (need to know)
    assert client.get(reverse("dashboard:home")).status_code == 403


def test_province_page_query_count_is_bounded(client, province_commander, django_assert_max_num_queries):
    client.force_login(province_commander)
    # 21 of them are surveillance.selectors.timeliness counting the counties of each city; the earlies
    # panel reads its groupings one by one on SQLite (one scan on PostgreSQL); each module's panel may add a
    # few queries of its own, never one per child region (the worklists panel did: 21, now one grouped query)
    with django_assert_max_num_queries(50 + 3 * len(dashboard_panels())):
        assert client.get(reverse("dashboard:region", kwargs={"code": "440000"}),
                          {"date": "2022-03-10"}).status_code == 200


def test_pages_render_without_any_case(client, analyst):
    client.force_login(analyst)
    for params in ({}, {"date": "2022-03-10"}, {"date": "", "metric": ""}, {"screen": "big"}):
        response = client.get(reverse("dashboard:region", kwargs={"code": "440000"}), params)
        assert response.status_code == 200
        data = page_data(response)["data"]
        assert data["new_total"] == 0 and data["totals"]["rt"] is None and data["rt"]["dates"] == []
        assert data["outlook"]["projected"] is None


def test_earlies_panel_equals_the_earlies_page_for_the_week_and_links_to_it(client, province_commander, demo_wave):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the label asserted below is the English one
    from fangkong.surveillance.earlies import earlies

    scenario, _codes = demo_wave
    day = busiest(scenario)
    client.force_login(province_commander)

    response = client.get(reverse("dashboard:region", kwargs={"code": "440000"}), {"date": day.isoformat()})

    panel = page_data(response)["data"]["earlies"]
    week = earlies(province_commander, "440000", day - dt.timedelta(days=6), day)
    assert panel["cases"] == week["total"]["cases"] > 0
    by_key = {row["key"]: row for row in panel["intervals"]}
    assert [row["key"] for row in panel["intervals"]] == [i["key"] for i in week["intervals"]]
    for key, row in by_key.items():
        assert (row["n"], row["within"], row["median_hours"]) == (
            week["total"][key]["n"], week["total"][key]["within"], week["total"][key]["median_hours"])
    assert by_key["report_isolation"]["n"] > 0  # the demo's cases carry isolation times
    html = response.content.decode()
    link = re.search(r'data-panel="earlies">\s*<h2><a href="([^"]+)"', html).group(1).replace("&amp;", "&")
    query = dict(parse_qsl(urlsplit(link).query))
    assert query == {"region": "440000", "first": (day - dt.timedelta(days=6)).isoformat(), "last": day.isoformat()}
    assert client.get(link).status_code == 200
    assert "Report → isolation" in html


def test_earlies_panel_counts_only_the_county_for_a_county_user(client, futian_commander, province_commander,
                                                               demo_wave):
    scenario, _codes = demo_wave
    day = busiest(scenario)
    client.force_login(futian_commander)

    data = page_data(client.get(reverse("dashboard:region", kwargs={"code": "440304"}),
                                {"date": day.isoformat()}))["data"]

    futian = case_list(user=province_commander, filters={
        "region": "440304", "date_from": (day - dt.timedelta(days=6)).isoformat(), "date_to": day.isoformat()})
    assert data["earlies"]["cases"] == futian.count()


@pytest.mark.parametrize("date", ["not-a-date", "0001-01-01", "9999-12-31", "1899-12-31"])
def test_parameters_out_of_their_range_get_a_clear_400_page_naming_them(client, analyst, date):
    client.force_login(analyst)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(reverse("dashboard:region", kwargs={"code": "440000"}), {"date": date, "metric": "x"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "data-invalid-parameters" in page and "<code>date</code>" in page and "<code>metric</code>" in page
    api = client.get(reverse("dashboard-api:situation", kwargs={"code": "440000"}), {"date": date})
    assert api.status_code == 400 and set(api.json()["error"]["fields"]) == {"date"}


def test_figures_link_only_to_pages_the_user_may_open_and_the_kept_body_is_not_shared(
        client, province_commander, sysadmin, demo_wave):
    """The administrator sees the province's figures (aggregates) but may not open line lists: its figures
    are plain text, not links to a refusal — even right after a commander rendered the same figures (the
    rendered body is kept per figures key), and the commander's links come back after the administrator's."""
    scenario, _codes = demo_wave
    url = reverse("dashboard:region", kwargs={"code": "440000"})
    query = {"date": busiest(scenario).isoformat()}
    cases, alerts = reverse("cases:case-list"), reverse("surveillance:alert-list")

    def hrefs(user) -> list[str]:
        client.force_login(user)
        response = client.get(url, query)
        assert response.status_code == 200
        return re.findall(r'href="([^"]+)"', response.content.decode())

    commander_links = hrefs(province_commander)
    assert any(h.startswith(cases + "?") for h in commander_links)
    assert any(h.startswith(alerts + "?") for h in commander_links)
    admin_links = hrefs(sysadmin)
    for href in admin_links:
        path = urlsplit(href.replace("&amp;", "&")).path
        if path.startswith("/") and not path.startswith(("/static/", "/i18n/")):
            assert client.get(href.replace("&amp;", "&")).status_code != 403, href
    assert not any(h.startswith(cases + "?") for h in admin_links)
    assert 'data-figure="new_confirmed_local"' in client.get(url, query).content.decode()  # the figure stays
    assert hrefs(province_commander) == commander_links
