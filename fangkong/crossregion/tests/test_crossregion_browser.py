"""The cross-region requests in a real browser on the demo: the Shenzhen commander's sent requests and a
request with its persons fit a phone (390×844) and a wall screen (1920×1080) without the page scrolling
sideways, and show the outcomes as they happened (one person forwarded twice, to quarantine in Dongguan).
Screenshots in ``test-artifacts/``."""

from __future__ import annotations

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "fangkong-demo-2022"  # noqa: S105 - the documented password of the demo users
SIDEWAYS = "() => document.scrollingElement.scrollWidth - innerWidth"


@pytest.mark.parametrize("viewport", [(390, 844), (1920, 1080)])
def test_the_senders_list_and_a_request_fit_the_screen(demo_server, viewport):
    with chromium_page(viewport=viewport) as (page, errors):
        sign_in(page, demo_server, "shenzhen", DEMO_PASSWORD)
        page.goto(f"{demo_server}/crossregion/")
        rows = page.locator("[data-requests=out] tr[data-request]")
        assert rows.count() >= 4
        assert page.evaluate(SIDEWAYS) <= 0
        page.screenshot(path=str(ARTIFACTS / f"crossregion-sent-{viewport[0]}.png"), full_page=True)
        page.locator("[data-requests=out] tr", has_text="XC-441300").locator("a").first.click()  # Huizhou's forward
        page.wait_for_load_state("networkidle")
        page.locator(".facts a").first.click()  # forwarded from: Shenzhen's request, forwarded twice
        page.wait_for_load_state("networkidle")
        assert page.locator("[data-outcome=forwarded]").count() == 1
        assert page.locator("[data-persons]").inner_text().count("→") == 2  # the chain to its end
        assert page.evaluate(SIDEWAYS) <= 0
        page.screenshot(path=str(ARTIFACTS / f"crossregion-request-{viewport[0]}.png"), full_page=True)
        assert errors == []
