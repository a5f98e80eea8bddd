"""A real browser opens the province dashboard of the demo, clicks a city on the map and lands on the city's
dashboard; screenshots of both are kept in ``test-artifacts/``."""

from __future__ import annotations

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "fangkong-demo-2022"  # noqa: S105 - the documented password of the demo users
BUSIEST_DAY = "2022-03-15"  # the demo wave's busiest report day
SHENZHEN_CENTRE = (114.06, 22.60)


def test_province_dashboard_click_city_on_map_opens_city_dashboard(demo_server):
    with chromium_page(viewport=(1500, 1000), ignore=()) as (page, errors):
        sign_in(page, demo_server, "province", DEMO_PASSWORD)

        page.goto(f"{demo_server}/dashboard/440000/?date={BUSIEST_DAY}")
        page.wait_for_selector("[data-dashboard-map][data-ready] canvas")
        assert "广东省" in page.inner_text("h1")
        new_local = int(page.inner_text("[data-figure=new_confirmed_local] .stat-value").replace(",", ""))
        assert new_local > 0
        page.screenshot(path=ARTIFACTS / "dashboard-province.png", full_page=True)
        # where Shenzhen lies on the drawn map, from the chart itself — once the chart has laid the map out
        # (on a loaded machine the canvas can be there before the geo coordinates are: null, then retry)
        x, y = page.wait_for_function(
            """([lon, lat]) => {
                const el = document.querySelector('[data-dashboard-map]');
                const chart = window.echarts && window.echarts.getInstanceByDom(el);
                const point = chart && chart.convertToPixel({seriesIndex: 0}, [lon, lat]);
                if (!point || !isFinite(point[0]) || !isFinite(point[1])) return null;
                const box = el.getBoundingClientRect();
                return [box.left + point[0], box.top + point[1]];
            }""", arg=list(SHENZHEN_CENTRE)).json_value()
        page.mouse.click(x, y)
        page.wait_for_url("**/dashboard/440300/**")
        page.wait_for_selector("[data-dashboard-map][data-ready] canvas")

        assert "深圳市" in page.inner_text("h1")
        assert f"date={BUSIEST_DAY}" in page.url
        assert page.locator("table.dash-children tbody tr").count() == 9  # Shenzhen's districts
        page.screenshot(path=ARTIFACTS / "dashboard-shenzhen.png", full_page=True)
        assert [e for e in errors if "favicon" not in e] == []
