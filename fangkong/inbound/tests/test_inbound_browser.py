"""The inbound pages in a real browser on the demo: the Shenzhen commander finds the demo's broken hand-offs
in the break list and closes one; the arrival screen and the inbox fit a phone (390 px) without sideways
scrolling. Screenshots in ``test-artifacts/``."""

from __future__ import annotations

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "fangkong-demo-2022"  # noqa: S105 - the documented password of the demo users


def test_the_commander_finds_and_closes_a_break_and_the_pages_fit_a_phone(demo_server):
    with chromium_page(viewport=(390, 844)) as (page, errors):
        sign_in(page, demo_server, "shenzhen", DEMO_PASSWORD)
        for path, name in (("/inbound/ports/huanggang/", "arrivals"), ("/inbound/inbox/", "inbox"),
                           ("/inbound/breaks/", "breaks")):
            page.goto(f"{demo_server}{path}")
            page.screenshot(path=str(ARTIFACTS / f"inbound-{name}-390.png"), full_page=True)
            assert page.evaluate("document.scrollingElement.scrollWidth") <= 390, path
        rows = page.locator("[data-break]")
        count = rows.count()
        assert count > 0
        rows.first.locator("input[name=resolution]").fill("已联系接收点，人员已报到")
        rows.first.locator("button").click()
        page.wait_for_load_state()
        assert page.locator("[data-break]").count() == count - 1
        assert errors == []
