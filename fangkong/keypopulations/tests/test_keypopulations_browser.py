"""The key-populations pages in a real browser on the demo: Futian's commander sees Futian's groups only
(no Guangzhou, no other Shenzhen county), a group's roster with masked citizen IDs, the overdue list of the
demo day; the pages fit a phone (390×844) and a wall screen (1920×1080) without sideways scrolling. The
inspector (aggregates only) sees the groups' counts but no roster. Screenshots in ``test-artifacts/``."""

from __future__ import annotations

import re

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "fangkong-demo-2022"  # noqa: S105 - the documented password of the demo users


@pytest.mark.parametrize("viewport", [(390, 844), (1920, 1080)])
def test_a_county_commander_sees_its_groups_roster_and_overdue(demo_server, viewport):
    with chromium_page(viewport=viewport) as (page, errors):
        sign_in(page, demo_server, "futian", DEMO_PASSWORD)
        page.goto(f"{demo_server}/keypopulations/")
        text = page.inner_text("main") if page.query_selector("main") else page.inner_text("body")
        assert "福田" in text and "天河" not in text and "罗湖" not in text
        first = page.query_selector("table a[href^='/keypopulations/']")
        group_path = first.get_attribute("href")
        for path, name in (("/keypopulations/", "groups"), (group_path, "group"),
                           ("/keypopulations/overdue/", "overdue")):
            page.goto(f"{demo_server}{path}")
            text = page.inner_text("body")
            if name != "groups":
                assert re.search(r"\d{6}\*{12}", text), path  # masked citizen IDs only
                assert not re.search(r"\d{17}[\dX]", text), path
            widths = page.evaluate("() => [document.scrollingElement.scrollWidth, innerWidth]")
            assert widths[0] <= widths[1] + 1, (path, widths)
            page.screenshot(path=str(ARTIFACTS / f"keypop-{name}-{viewport[0]}x{viewport[1]}.png"), full_page=True)
        assert "逾期" in page.inner_text("body")
        assert errors == []


def test_the_inspector_sees_counts_but_no_roster(demo_server):
    with chromium_page() as (page, errors):
        sign_in(page, demo_server, "inspector_gz", DEMO_PASSWORD)
        page.goto(f"{demo_server}/keypopulations/")
        text = page.inner_text("body")
        assert "天河" in text and "福田" not in text
        assert page.query_selector("table a[href^='/keypopulations/']") is None
        assert page.goto(f"{demo_server}/keypopulations/overdue/").status == 403
        assert errors == [] or all("403" in e for e in errors)
