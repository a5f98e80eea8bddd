"""The places pages in a real browser on the demo: the Guangzhou inspector's coverage page and registry fit a
phone (390×844) and a wall screen (1920×1080) without sideways scrolling, show Guangzhou's counties and no
Shenzhen place. Screenshots in ``test-artifacts/``."""

from __future__ import annotations

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "fangkong-demo-2022"  # noqa: S105 - the documented password of the demo users


@pytest.mark.parametrize("viewport", [(390, 844), (1920, 1080)])
def test_the_inspectors_coverage_and_registry_fit_the_screen(demo_server, viewport):
    with chromium_page(viewport=viewport) as (page, errors):
        sign_in(page, demo_server, "inspector_gz", DEMO_PASSWORD)
        for path, name in (("/places/coverage/", "coverage"), ("/places/?overdue=1", "overdue")):
            page.goto(f"{demo_server}{path}")
            text = page.inner_text("main") if page.query_selector("main") else page.inner_text("body")
            assert "天河区" in text and "福田" not in text and "深圳" not in text, path
            widths = page.evaluate("() => [document.scrollingElement.scrollWidth, innerWidth]")
            assert widths[0] <= widths[1] + 1, (path, widths)
            page.screenshot(path=str(ARTIFACTS / f"places-{name}-{viewport[0]}x{viewport[1]}.png"), full_page=True)
        assert errors == []
