"""The resources pages in a real browser on the demo: the Shenzhen commander sees the forecast shortage the demo
wave produces; the quarantine-site manager opens its one site (occupancy, arrivals and departures of the day,
who is in) and checks a person out; the pages fit a phone (390 px) without sideways scrolling and read on a
desk. Screenshots in ``test-artifacts/`` (390x844, 1280x800, 1920x1080)."""

from __future__ import annotations

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "fangkong-demo-2022"  # noqa: S105 - the documented password of the demo users
SIZES = ((390, 844), (1280, 800), (1920, 1080))


def test_the_commander_sees_the_shortage_and_the_manager_works_its_site(demo_server):
    for width, height in SIZES:
        with chromium_page(viewport=(width, height)) as (page, errors):
            sign_in(page, demo_server, "shenzhen", DEMO_PASSWORD)
            page.goto(f"{demo_server}/resources/")
            assert page.locator("[data-shortage-warning]").count() == 1
            assert "深圳市" in page.locator("[data-table=forecast]").inner_text()
            page.screenshot(path=str(ARTIFACTS / f"resources-overview-{width}.png"), full_page=True)
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width
            assert errors == []
        with chromium_page(viewport=(width, height)) as (page, errors):
            sign_in(page, demo_server, "quarantine_sz", DEMO_PASSWORD)
            page.goto(f"{demo_server}/resources/")
            links = page.locator("[data-panel=sites] tbody a")
            assert links.count() == 1  # its own site only
            links.first.click()
            page.wait_for_load_state()
            assert page.locator("[data-occupancy]").inner_text().endswith("%")
            present = page.locator("[data-list=present] [data-assignment]")
            assert present.count() > 0
            page.screenshot(path=str(ARTIFACTS / f"resources-site-{width}.png"), full_page=True)
            assert page.evaluate("document.scrollingElement.scrollWidth") <= width
            if width == 390:
                before = present.count()
                present.first.locator("form").first.locator("button").click()
                page.wait_for_load_state()
                assert page.locator("[data-list=present] [data-assignment]").count() == before - 1
            assert errors == []
