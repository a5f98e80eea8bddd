"""The Chinese interface is Chinese: a real browser signs in to the demo as several roles, opens every page
the navigation leads to and the pages those link to (one of each kind), and finds no English word outside
the allowed list — names, codes and units (``fangkong.testing.chinese``) — and no ASCII punctuation next
to Chinese characters. The charts' own words are read too (legends, series, axis names). Not read: text
marked ``lang="en"`` (the English version of a daily report, the "English" switch), ``<code>`` (the column
names a file must have, a configuration's JSON), data written by people and kept as written, marked
``translate="no"`` (user names, file names and reasons in the audit trail), and the API documentation (Swagger UI, for developers,
written in English like the OpenAPI schema it shows).

The words found are listed per page in the failure message; screenshots of the pages are kept in
``test-artifacts/crawl/``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from fangkong.testing.browser import ARTIFACTS, chromium_page, sign_in
from fangkong.testing.chinese import english_words, mixed_punctuation

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "fangkong-demo-2022"  # noqa: S105 - the documented password of the demo users
#: The roles crawled: the province commander (every module), a county commander, the sentinel reporter
#: and the administrator (the audit trail).
ROLES = ("province", "futian", "sentinel_futian", "admin")
#: Pages read per role at most (the crawl takes one page of each kind: /cases/123/ stands for all cases).
MAX_PAGES = 45
SKIPPED = re.compile(r"(\.pdf|\.json|\.csv|\.xlsx|/export|/api/|/accounts/logout|/day/|/i18n/|/regions/switch)")


def _kind(path: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(path).path)


def _page_text(page) -> str:
    """The page's text, hidden parts and option lists included, and the words drawn by its charts (legend,
    series, axis names, titles: ECharts draws them on a canvas)."""
    return page.evaluate("""() => {
        const copy = document.body.cloneNode(true);
        copy.querySelectorAll('[lang="en"], [translate="no"], script, style, template, code').forEach(e => e.remove());
        copy.querySelectorAll('td, th, li, p, div, option, dt, dd, label, h1, h2, h3, span, a, button')
            .forEach(e => e.append(' '));
        const words = [copy.textContent];
        document.querySelectorAll('[_echarts_instance_]').forEach(el => {
            const chart = window.echarts && window.echarts.getInstanceByDom(el);
            if (!chart) { return; }
            const option = chart.getOption();
            (option.legend || []).forEach(l => (l.data || []).forEach(d => words.push(d.name || d)));
            (option.series || []).forEach(s => {
                words.push(s.name || "");
                (s.categories || []).forEach(c => words.push(c.name || ""));
            });
            [...(option.xAxis || []), ...(option.yAxis || [])].forEach(a => words.push(a.name || ""));
            (option.title || []).forEach(t => words.push(t.text || ""));
        });
        return words.join(" ");
    }""")


def _crawl(page, server: str, role: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    page.goto(f"{server}/")
    queue = ["/", *page.eval_on_selector_all("nav.sidenav a", "els => els.map(e => e.getAttribute('href'))")]
    seen: set[str] = set()
    (ARTIFACTS / "crawl").mkdir(parents=True, exist_ok=True)
    while queue and len(seen) < MAX_PAGES:
        href = queue.pop(0)
        if not href or not href.startswith("/") or SKIPPED.search(href) or _kind(href) in seen:
            continue
        seen.add(_kind(href))
        response = page.goto(f"{server}{href}")
        page.wait_for_load_state("networkidle")
        assert response is not None and response.status < 500, (role, href)
        text = _page_text(page)
        problems = english_words(text) + [f"«{place}»" for place in mixed_punctuation(text)]
        if problems:
            found[href] = problems
        page.screenshot(path=ARTIFACTS / "crawl" / f"{role}{_kind(href).replace('/', '_')}.png")
        queue.extend(h for h in page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
                     if h and _kind(h) not in seen)
    return found


@pytest.mark.parametrize("role", ROLES)
def test_no_english_word_on_any_page_in_chinese(demo_server, role):
    with chromium_page(viewport=(1440, 900)) as (page, errors):
        sign_in(page, demo_server, role, DEMO_PASSWORD)
        found = _crawl(page, demo_server, role)
    assert found == {}, "English words or ASCII punctuation in the Chinese interface:\n" + "\n".join(
        f"  {href}: {' '.join(problems)}" for href, problems in sorted(found.items()))
    assert errors == [], "Errors in the browser:\n" + "\n".join(errors)
