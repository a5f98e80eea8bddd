"""Screens a person looks at, in a real browser on the demo (issue 16, item 8): the big screen fits a 1920×1080
wall screen without scrolling and offers nothing to click; on a phone the sentinel reporter's form comes first
and the menu is folded; tables and graphs stay inside their panels from 1280 to 1920 px. Screenshots of each
are kept in ``test-artifacts/``."""

from __future__ import annotations

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "fangkong-demo-2022"  # noqa: S105 - the documented password of the demo users
BUSIEST_DAY = "2022-03-15"

#: Boxes of the viewport each chart and panel must lie in, and what the document scrolls.
VIEWPORT_CHECK = """() => {
  const inside = (el) => { const b = el.getBoundingClientRect();
    return {sel: el.getAttribute('data-panel') || el.className, top: b.top, left: b.left, bottom: b.bottom,
            right: b.right, height: b.height, ok: b.top >= 0 && b.left >= 0 && b.bottom <= innerHeight + 0.5
            && b.right <= innerWidth + 0.5 && b.height > 100}; };
  return {scrollHeight: document.scrollingElement.scrollHeight, scrollWidth: document.scrollingElement.scrollWidth,
          charts: [...document.querySelectorAll('[data-dashboard-map], [data-dashboard-curve], [data-dashboard-rt]')].map(inside),
          panels: [...document.querySelectorAll('.screen-main > .card, .screen-main .dash-grid > .card')].map(inside),
          text: document.body.innerText};
}"""

#: Every table and chart of the page: the box it shows in (itself, or the scrolling box that holds it) must
#: lie inside its panel (the card around it, else the main content), and the page must not scroll sideways.
PANEL_CHECK = """() => {
  const out = [];
  const clip = (el) => { for (let a = el.parentElement; a && !a.matches('.content'); a = a.parentElement) {
      const s = getComputedStyle(a); if (['auto', 'scroll', 'hidden'].includes(s.overflowX)) return a; } return el; };
  for (const el of document.querySelectorAll('.content table, .content [data-chain-graph] canvas, .content [_echarts_instance_] canvas')) {
    if (!el.offsetParent && el.tagName !== 'CANVAS') continue;
    const panel = el.closest('.card') || el.closest('.content');
    const box = clip(el).getBoundingClientRect(), p = panel.getBoundingClientRect();
    out.push({what: el.tagName + '.' + el.className, inside: box.left >= p.left - 0.5 && box.right <= p.right + 0.5
              && box.top >= p.top - 0.5 && box.bottom <= p.bottom + 0.5});
  }
  return {items: out, scrollWidth: document.scrollingElement.scrollWidth, width: innerWidth};
}"""

#: Pixel positions of the chain graph's nodes, against the size of its canvas (nodes must not be cut off).
GRAPH_NODES = """() => {
  const el = document.querySelector('[data-chain-graph]');
  const chart = window.echarts.getInstanceByDom(el);
  const data = chart.getModel().getSeriesByIndex(0).getData();
  const nodes = [];
  for (let i = 0; i < data.count(); i++) {
    const xy = data.getItemLayout(i); if (xy) nodes.push(chart.convertToPixel({seriesIndex: 0}, xy));
  }
  return {nodes, width: el.clientWidth, height: el.clientHeight};
}"""


def test_big_screen_fits_1920_by_1080_without_scrolling_or_click_hints(demo_server):
    with chromium_page(viewport=(1920, 1080)) as (page, errors):
        sign_in(page, demo_server, "province", DEMO_PASSWORD)
        page.goto(f"{demo_server}/dashboard/440000/?date={BUSIEST_DAY}&screen=big")
        page.wait_for_selector("[data-dashboard-map][data-ready] canvas")
        page.wait_for_selector("[data-dashboard-curve] canvas")
        page.screenshot(path=ARTIFACTS / "big-screen-1920x1080.png")
        seen = page.evaluate(VIEWPORT_CHECK)

        assert seen["scrollHeight"] <= 1080 and seen["scrollWidth"] <= 1920
        assert len(seen["charts"]) == 3 and all(c["ok"] for c in seen["charts"]), seen["charts"]
        assert len(seen["panels"]) == 4 and all(p["ok"] for p in seen["panels"]), seen["panels"]
        assert "点击" not in seen["text"]  # nobody clicks a wall screen
        # the subdivisions table: every prefecture and the total row on the screen, no scrolling in its panel
        rows = page.evaluate("""() => { const panel = document.querySelector('[data-panel=subdivisions]');
            return {rows: panel.querySelectorAll('tbody tr').length, fits: panel.scrollHeight <= panel.clientHeight
                    && panel.scrollWidth <= panel.clientWidth}; }""")
        assert rows == {"rows": 21, "fits": True}
        assert errors == []


def test_phone_shows_the_reporters_form_first_and_folds_the_menu(demo_server):
    with chromium_page(viewport=(390, 844)) as (page, errors):
        sign_in(page, demo_server, "sentinel_futian", DEMO_PASSWORD)
        page.goto(f"{demo_server}/surveillance/report/")
        page.screenshot(path=ARTIFACTS / "phone-report-390x844.png")
        first = page.evaluate("""() => {
            const visible = [...document.querySelectorAll('main.content > *, main.content .task-first > *')]
              .filter((el) => el.offsetParent && !el.classList.contains('task-first'))
              .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
            const form = document.querySelector('form.report-form');
            return {order: visible.map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')),
                    formBottom: form.querySelector('button[type=submit]').getBoundingClientRect().bottom,
                    navShown: !!document.querySelector('.sidenav').offsetParent, width: document.scrollingElement.scrollWidth};
        }""")

        assert first["order"][:2] == ["h1", "form.report-form"], first["order"]  # the heading, then the form
        assert first["formBottom"] <= 844  # the whole form, its button included, on the first screen
        assert first["navShown"] is False and first["width"] <= 390
        page.click("label[for=nav-toggle]")  # the menu opens without script
        # the reporter's own entries (need to know: the dashboard's region-wide figures are not among them)
        assert page.is_visible(".sidenav") and page.is_visible(".sidenav a[href='/surveillance/']")
        page.screenshot(path=ARTIFACTS / "phone-menu-open-390x844.png", full_page=True)
        assert errors == []


@pytest.mark.parametrize("width", [1280, 1920])
def test_tables_and_graphs_stay_inside_their_panels(demo_server, width):
    with chromium_page(viewport=(width, 1000)) as (page, errors):
        sign_in(page, demo_server, "province", DEMO_PASSWORD)
        pages = {"dashboard": f"/dashboard/440000/?date={BUSIEST_DAY}",
                 "earlies": "/surveillance/earlies/?first=2022-02-14&last=2022-03-15"}
        page.goto(f"{demo_server}/cases/clusters/")
        clusters = page.eval_on_selector_all("a[href*='/cases/clusters/']", "els => els.map(e => e.getAttribute('href'))")
        pages["cluster"] = next(href for href in clusters if href.rstrip("/").split("/")[-1].isdigit())
        for name, path in pages.items():
            page.goto(f"{demo_server}{path}")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(500)
            page.screenshot(path=ARTIFACTS / f"panels-{name}-{width}.png", full_page=True)
            seen = page.evaluate(PANEL_CHECK)
            assert seen["scrollWidth"] <= seen["width"], name
            assert seen["items"] and all(i["inside"] for i in seen["items"]), (name, seen["items"])
            if name == "cluster":
                page.wait_for_selector("[data-chain-graph][data-ready] canvas")
                graph = page.evaluate(GRAPH_NODES)
                assert graph["nodes"], "the chain graph has nodes"
                assert all(0 <= x <= graph["width"] and 0 <= y <= graph["height"] - 30  # above the legend
                           for x, y in graph["nodes"]), graph
        assert errors == []
