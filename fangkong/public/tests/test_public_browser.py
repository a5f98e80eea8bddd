"""The public site in a real browser on the demo (published by its loader): at phone, laptop and wall sizes
every page loads with no console error (CSP violations included), no request to another origin and no
sideways scrolling; its headings, language and alt text are there; the daily report's text is the approved
version's, as a signed-in commander reads it in the bulletins module. Screenshots in ``test-artifacts/``
and ``/tmp/shots-public/``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "fangkong-demo-2022"  # noqa: S105 - the documented password of the demo users
SIDEWAYS = "() => document.scrollingElement.scrollWidth - innerWidth"
PAGES = ("", "bulletins.html", "risk-areas.html", "testing-sites.html", "rules.html", "notices.html", "data.html")
SHOTS = Path("/tmp/shots-public")


@pytest.mark.parametrize("viewport", [(390, 844), (1280, 800), (1920, 1080)])
def test_every_public_page_loads_clean_from_this_origin_alone(demo_server, viewport):
    SHOTS.mkdir(exist_ok=True)
    requests: list[str] = []
    with chromium_page(viewport=viewport, ignore=()) as (page, errors):
        page.on("request", lambda r: requests.append(r.url))
        for prefix in ("", "en/"):
            for name in PAGES:
                response = page.goto(f"{demo_server}/public/{prefix}{name}")
                assert response.status == 200, name
                page.wait_for_load_state("networkidle")
                assert page.evaluate(SIDEWAYS) <= 0, name
                assert page.locator("html").get_attribute("lang") == ("en" if prefix else "zh-Hans")
                assert page.locator("h1").count() == 1
                assert page.evaluate("() => getComputedStyle(document.querySelector('.site-head')).backgroundColor")\
                    == "rgb(159, 31, 23)", "the stylesheet (with its SRI) did not apply"
                assert all(page.locator("img").nth(i).get_attribute("alt") for i in range(page.locator("img").count()))
                shot = f"public-{(prefix or 'zh/').rstrip('/')}-{name.split('.')[0] or 'index'}-{viewport[0]}.png"
                if name in ("", "bulletins.html", "risk-areas.html", "testing-sites.html") or viewport[0] == 390:
                    page.screenshot(path=str(SHOTS / shot), full_page=True)
                    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        # keyboard: the first Tab reaches the skip link
        page.goto(f"{demo_server}/public/")
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.className") == "skip"
    assert errors == []
    foreign = [url for url in requests if not url.startswith(demo_server)]
    assert foreign == []


def test_the_public_report_is_the_approved_version(demo_server):
    with chromium_page() as (page, errors):
        data = json.loads(page.request.get(f"{demo_server}/public/data/bulletins.json").body())
        zh = next(b for b in data["bulletins"] if b["language"] == "zh-hans")
        page.goto(f"{demo_server}/public/bulletins.html")
        public_text = page.locator(f"[data-bulletin='{zh['region']}-{zh['date']}-zh-hans'] .bulletin-text p") \
            .all_inner_texts()
        assert len(public_text) >= 3
        sign_in(page, demo_server, "province", DEMO_PASSWORD)
        page.goto(f"{demo_server}/bulletins/{zh['id']}/")
        assert page.locator("body").inner_text().count("批准") >= 1
        page.goto(f"{demo_server}/bulletins/{zh['id']}/report/")
        approved_text = page.locator("p.report-text").all_inner_texts()
        assert public_text == approved_text
        assert errors == []


def test_the_testing_sites_are_the_approved_ones_with_their_hours(demo_server):
    """Every approved testing site of the demo is on the page, with its hours as the record gives them, in
    both languages; the open/closed badge follows the edition's day; the spam lines appear nowhere."""
    from django.utils import translation

    from fangkong.public.render import hours_label
    from fangkong.public.tests.conftest import SPAM

    with chromium_page(viewport=(390, 844)) as (page, errors):
        data = json.loads(page.request.get(f"{demo_server}/public/data/testing-sites.json").body())
        assert len(data["testing_sites"]) >= 5
        for prefix, language in (("", "zh-hans"), ("en/", "en")):
            page.goto(f"{demo_server}/public/{prefix}testing-sites.html")
            text = page.locator("main").inner_text()
            assert not any(line in text for line in SPAM)
            for site in data["testing_sites"]:
                item = page.locator(f"[data-testing-site='{site['id']}']")
                with translation.override(language):
                    expected = hours_label(site["weekdays"], site["opens_at"], site["closes_at"])
                assert item.locator(".hours").inner_text() == expected
                assert item.locator("h3").inner_text() == (site["name_en"] if language == "en" else site["name_zh"])
            suspended = [s for s in data["testing_sites"] if s["status"] == "suspended"]
            assert suspended and page.locator(f"[data-testing-site='{suspended[0]['id']}'] .badge").inner_text() \
                == ("Suspended" if language == "en" else "暂停服务")
        page.screenshot(path=str(ARTIFACTS / "public-en-testing-sites-390-checked.png"), full_page=True)
        assert errors == []
