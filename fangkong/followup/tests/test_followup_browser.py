"""The worker's day list in a real browser on the demo, on a phone (390×844) and a wall screen (1920×1080):
the first person's check form is on the first screen, nothing scrolls sideways, and a check recorded in
one step from the list is confirmed and leaves the person with the other slot open. Screenshots are kept
in ``test-artifacts/``."""

from __future__ import annotations

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "fangkong-demo-2022"  # noqa: S105 - the documented password of the demo users
DEMO_DAY = "2022-04-15"  # the demo's last day with cases: its follow-up day (fangkong.followup.demo)


@pytest.mark.parametrize("viewport", [(390, 844), (1920, 1080)])
def test_the_day_list_records_a_check_in_one_step(demo_server, viewport):
    with chromium_page(viewport=viewport) as (page, errors):
        sign_in(page, demo_server, "shenzhen", DEMO_PASSWORD)
        page.goto(f"{demo_server}/followup/?day={DEMO_DAY}&open=1")
        page.screenshot(path=ARTIFACTS / f"followup-due-{viewport[0]}x{viewport[1]}.png")
        card = page.locator("[data-subject]").first
        subject = card.get_attribute("data-subject")
        box = card.locator("button[type=submit]").bounding_box()
        assert box is not None and box["y"] + box["height"] <= viewport[1]  # the first form is on the first screen
        assert page.evaluate("document.scrollingElement.scrollWidth") <= viewport[0]
        card.locator("input[name=temperature]").fill("36.7")
        card.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        assert "已记录" in page.locator(".messages").inner_text()
        page.goto(f"{demo_server}/followup/subjects/{subject}/")
        assert "36.7" in page.content()
        assert errors == []
