"""A real browser (Debian's Chromium, driven by Playwright) signs in, switches language, opens a region.

The server is a real ``fangkong serve`` on its own database; screenshots are kept in
``test-artifacts/`` as evidence of what the pages look like.
"""

from __future__ import annotations

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in
from fangkong.testing.server import PASSWORD, running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("fangkong-home"),
                        [("sz_commander", "440300", "local_commander")]) as url:
        yield url


@pytest.fixture
def browser_page():
    with chromium_page(viewport=(1400, 900), ignore=()) as (page, errors):
        yield page, errors


def test_sign_in_switch_language_open_region(server, browser_page):
    page, errors = browser_page
    sign_in(page, server, "sz_commander", PASSWORD)
    page.wait_for_selector("text=您的辖区")
    page.screenshot(path=ARTIFACTS / "home-zh.png", full_page=True)

    page.click("button[name=language][value=en]")
    page.wait_for_selector("text=Your area")
    assert "您的辖区" not in page.content()

    page.click("nav.sidenav >> text=Regions")
    page.wait_for_selector("h1:has-text('Shenzhen')")
    page.wait_for_selector("[data-region-map] canvas")  # ECharts drew the map from vendored assets
    assert page.locator("table.table tbody tr").count() == 9
    page.screenshot(path=ARTIFACTS / "region-shenzhen-en.png", full_page=True)

    page.click("table.table >> text=Futian District")
    page.wait_for_selector("h1:has-text('Futian District')")
    assert [e for e in errors if "favicon" not in e] == []
