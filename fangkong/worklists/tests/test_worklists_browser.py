"""The worklists pages in a real browser on the demo: the inbox, the task list, a task with its
escalations and a unit's daily digest fit a phone (390×844) and a wall screen (1920×1080) without scrolling sideways; the Futian
commander submits the task he owns with evidence, cannot verify it himself, and the Shenzhen commander
closes it (销号). Screenshots in ``test-artifacts/``."""

from __future__ import annotations

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "fangkong-demo-2022"  # noqa: S105 - the documented password of the demo users
SIDEWAYS = "() => document.scrollingElement.scrollWidth - innerWidth"


@pytest.mark.parametrize("viewport", [(390, 844), (1920, 1080)])
def test_the_lists_and_an_escalated_task_fit_the_screen(demo_server, viewport):
    with chromium_page(viewport=viewport) as (page, errors):
        sign_in(page, demo_server, "province", DEMO_PASSWORD)
        page.goto(f"{demo_server}/worklists/tasks/")
        assert page.locator("tr[data-task]").count() >= 20
        assert page.evaluate(SIDEWAYS) <= 0
        page.screenshot(path=str(ARTIFACTS / f"worklists-tasks-{viewport[0]}.png"), full_page=True)
        page.goto(f"{demo_server}/worklists/overdue/")
        page.locator("tr[data-task]", has=page.locator("[data-escalated]")).first.locator("a").first.click()
        page.wait_for_load_state("networkidle")
        assert page.locator("[data-escalation]").count() >= 1
        assert page.evaluate(SIDEWAYS) <= 0
        page.screenshot(path=str(ARTIFACTS / f"worklists-task-{viewport[0]}.png"), full_page=True)
        for path in ("/worklists/", "/worklists/problems/", "/worklists/responsibility/"):
            page.goto(f"{demo_server}{path}")
            assert page.evaluate(SIDEWAYS) <= 0, path
        page.locator("[data-responsibility] tr[data-unit] a").first.click()  # a unit's daily digest
        page.wait_for_load_state("networkidle")
        assert "/digest/" in page.url and page.locator("table[data-tasks]").count() == 5
        assert page.evaluate(SIDEWAYS) <= 0
        page.screenshot(path=str(ARTIFACTS / f"worklists-digest-{viewport[0]}.png"), full_page=True)
        assert errors == []


def test_the_owner_submits_and_another_commander_closes(demo_server):
    with chromium_page() as (page, errors):
        sign_in(page, demo_server, "futian", DEMO_PASSWORD)
        page.goto(f"{demo_server}/worklists/")
        row = page.locator("tr[data-task]", has_text="福田").filter(has_text="futian").first
        row.locator("a").first.click()
        page.wait_for_load_state("networkidle")
        url = page.url
        page.fill("#f-note", "已完成整改，附整改台账。")
        page.click("button[value=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator("[data-state=submitted]").count() == 1
        assert page.locator("button[value=close]").count() == 0  # the owner does not verify
    with chromium_page() as (page, errors):
        sign_in(page, demo_server, "shenzhen", DEMO_PASSWORD)
        page.goto(url)
        page.click("button[value=close]")
        page.wait_for_load_state("networkidle")
        assert page.locator("[data-state=closed]").count() == 1
        assert page.locator("[data-history]").inner_text().count("futian") >= 2
        assert errors == []
