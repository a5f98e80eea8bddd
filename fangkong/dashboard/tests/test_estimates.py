"""Rates on invented populations are labelled, and schematic boundaries are not drawn as if real (issue 16,
item 9): county populations are apportioned from their prefecture's census figure (``population_estimated``),
and the townships of Dongguan and Zhongshan have no boundary in any source (``geometry_synthetic``)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from fangkong.cases.tests.builders import make_case
from fangkong.regions.models import Region

pytestmark = pytest.mark.django_db
DAY = "2022-03-10"


def _incidence_cells(html: str) -> dict[str, str]:
    """The per-100,000 cell of each child row of the subdivisions table, by region code."""
    rows = re.findall(r'<tr data-code="(\d+)">(.*?)</tr>', html, re.S)
    return {code: re.findall(r"<td class=\"num\"[^>]*>.*?</td>", row, re.S)[3] for code, row in rows}


def test_county_rates_on_an_apportioned_population_are_labelled_on_the_page_and_flagged_in_the_api(
        client, province_commander):
    make_case(province_commander, region="440304", name="福田病例", day=DAY)
    assert Region.objects.get(code="440304").population_estimated  # apportioned: no official county figure
    client.force_login(province_commander)

    page = client.get(reverse("dashboard:region", kwargs={"code": "440300"}), {"date": DAY}).content.decode()
    cells = _incidence_cells(page)
    assert set(cells) == set(Region.objects.filter(parent_id="440300").values_list("code", flat=True))
    assert all("data-estimated" in cell and "estimate-mark" in cell for cell in cells.values())
    assert "data-estimate-note" in page and "估算" in page  # the note says why, in the page's language
    api = client.get(reverse("dashboard-api:situation", kwargs={"code": "440300"}), {"date": DAY}).json()
    assert all(child["population_estimated"] is True for child in api["children"])
    assert api["totals"]["population_estimated"] is False  # Shenzhen's own figure is the 2020 census


def test_prefecture_rates_on_census_populations_carry_no_estimate_label(client, province_commander):
    client.force_login(province_commander)
    page = client.get(reverse("dashboard:region", kwargs={"code": "440000"}), {"date": DAY}).content.decode()
    cells = _incidence_cells(page)
    assert len(cells) == 21 and not any("data-estimated" in cell for cell in cells.values())
    assert "data-estimate-note" not in page and "estimate-tag" not in page
    api = client.get(reverse("dashboard-api:situation", kwargs={"code": "440000"}), {"date": DAY}).json()
    assert not any(child["population_estimated"] for child in api["children"])


def test_an_estimated_population_is_labelled_on_the_big_screen_too(client, province_commander):
    client.force_login(province_commander)
    html = client.get(reverse("dashboard:region", kwargs={"code": "440300"}),
                      {"date": DAY, "screen": "big"}).content.decode()
    assert "estimate-tag" in html and "估算" in html


def test_schematic_township_shapes_are_not_drawn_and_the_page_says_so(client, province_commander):
    townships = Region.objects.filter(parent_id="441900")
    assert townships.exists() and all(t.geometry_synthetic for t in townships)
    client.force_login(province_commander)

    geo = client.get(reverse("dashboard:geo", kwargs={"code": "441900"})).json()
    assert [f["properties"]["code"] for f in geo["features"]] == ["441900"]  # Dongguan's real outline only
    page = client.get(reverse("dashboard:region", kwargs={"code": "441900"}), {"date": DAY}).content.decode()
    assert f'data-hidden-shapes="{townships.count()}"' in page


def test_no_synthetic_shape_is_served_as_a_boundary_anywhere(client, province_commander):
    """Every map of every region with children: no feature of the map is a schematic shape."""
    client.force_login(province_commander)
    synthetic = set(Region.objects.filter(geometry_synthetic=True).values_list("code", flat=True))
    assert synthetic
    parents = Region.objects.exclude(level="township").values_list("code", flat=True)
    for code in parents:
        geo = client.get(reverse("dashboard:geo", kwargs={"code": code})).json()
        drawn = {f["properties"]["code"] for f in geo["features"]}
        assert drawn and not drawn & synthetic, code


def test_shenzhen_map_draws_all_its_districts_with_real_shapes(client, province_commander):
    client.force_login(province_commander)
    geo = client.get(reverse("dashboard:geo", kwargs={"code": "440300"})).json()
    assert {f["properties"]["code"] for f in geo["features"]} == set(
        Region.objects.filter(parent_id="440300").values_list("code", flat=True))  # Guangming included
    page = client.get(reverse("dashboard:region", kwargs={"code": "440300"}), {"date": DAY}).content.decode()
    assert "data-hidden-shapes" not in page


def test_region_page_map_leaves_schematic_shapes_out(client, province_commander):
    """The region page's map (web.region_map) too: Dongguan's townships are not drawn, its outline is."""
    client.force_login(province_commander)
    dongguan = client.get(reverse("web:region-map", kwargs={"code": "441900"})).json()
    assert [f["properties"]["code"] for f in dongguan["features"]] == ["441900"]
    shenzhen = client.get(reverse("web:region-map", kwargs={"code": "440300"})).json()
    assert len(shenzhen["features"]) == Region.objects.filter(parent_id="440300").count()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_daily_report_marks_estimated_rates_and_says_why(province_commander, language):
    from fangkong.bulletins.report import render_report_html
    from fangkong.dashboard.selectors import situation

    make_case(province_commander, region="440304", name="福田病例", day=DAY)
    day = dt.date.fromisoformat(DAY)
    city = situation(user=province_commander, region=Region.objects.get(code="440300"), day=day, fresh=True)
    html = render_report_html(city, [], language)
    futian_row = re.search(r"<tr><td>(?:福田区|Futian District)</td>(.*?)</tr>", html, re.S).group(1)
    assert "*</td>" in futian_row
    assert ("按所属地市2020年第七次全国人口普查人口平均分摊" if language == "zh-hans" else "apportioned equally") in html
    province = situation(user=province_commander, region=Region.objects.get(code="440000"), day=day, fresh=True)
    html = render_report_html(province, [], language)
    assert "*</td>" not in html and "apportioned" not in html and "平均分摊" not in html
