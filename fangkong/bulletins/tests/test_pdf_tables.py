"""The report's tables in the PDF: the total row right after the last region, the head repeated on the
next page, no row split between pages, no column head broken inside a word — wherever the page break falls.

The text is read back from the PDF (pypdfium2, in a separate process: pdfium keeps global state), page by
page. The page break is moved through the table by putting blank space of different heights before it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from django.template.loader import render_to_string

from fangkong.bulletins import report, services
from fangkong.bulletins.tests.test_bulletins import ARTIFACTS, busiest

pytestmark = pytest.mark.django_db

PAGE_TEXTS = r"""
import json, sys
import pypdfium2 as pdfium
doc = pdfium.PdfDocument(sys.argv[1])
print(json.dumps([page.get_textpage().get_text_range() for page in doc]))
doc[int(sys.argv[3])].render(scale=1.2).to_pil().save(sys.argv[2])
"""
#: The lines of the Chinese report's first table head (``report_zh-hans.html``), each kept whole.
HEAD_LINES = ("新增本土", "确诊病例", "无症状感染者", "境外输入", "感染者", "近7日每10万人", "本土感染者",
              "（95%可信区间）", "未关闭", "预警信号")


def _page_texts(pdf: bytes, name: str, page: int) -> list[str]:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run([sys.executable, "-c", PAGE_TEXTS, str(path), str(ARTIFACTS / f"{name}-page{page + 1}.png"),
                          str(page)], check=True, capture_output=True, text=True).stdout
    return [re.sub(r"\s+", " ", text) for text in json.loads(out)]


@pytest.mark.parametrize("space_mm", [0, 60, 105])
def test_total_row_follows_the_last_city_and_the_head_repeats(demo_wave, province_commander, space_mm):
    scenario, _codes = demo_wave
    day, _index = busiest(scenario)
    bulletin = services.bulletin_generate(actor=province_commander, region_code="440000", day=day,
                                          language="zh-hans")
    cities = [c["name_zh"] for c in bulletin.content["children"]]
    document = render_to_string("bulletins/report_document.html", {"bulletin": bulletin, "for_browser": False})
    document = document.replace("</header>", f'</header><div style="height: {space_mm}mm"></div>', 1)

    pages = _page_texts(report.render_pdf(document), f"bulletin-table-{space_mm}mm", 0 if space_mm == 0 else 1)

    # table 1 alone (from its title to the next table), page by page
    marked = " ".join(f"<<{i}>> {text}" for i, text in enumerate(pages))
    table = marked[marked.index("表1"):marked.index("表2") if "表2" in marked else marked.index("图1")]
    parts = re.split(r"<<(\d+)>>", table)
    on_pages = {int(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}
    on_pages[len(re.findall(r"<<\d+>>", marked[:marked.index("表1")])) - 1] = parts[0]
    with_rows = [page for page, part in on_pages.items() if "合计" in part or any(f" {c} " in part for c in cities)]
    assert len(with_rows) >= 2, "the table should run over a page break in this test"
    text = re.sub(r"<<\d+>>", " ", table)
    text = re.sub(r"\s+", " ", text)
    # every city once, in order, then the total once, with nothing but the last city's figures between
    positions = [text.index(f" {city} ") for city in cities]
    assert positions == sorted(positions)
    assert all(text.count(f" {city} ") == 1 for city in cities)
    assert text.count("合计") == 1
    between = text[positions[-1] + len(cities[-1]) + 2:text.index("合计")]
    assert re.fullmatch(r"[\d.,—（）\s]*", between), between
    # the head on every page the table is on, each of its lines whole
    for page in with_rows:
        for line in HEAD_LINES:
            assert line in on_pages[page], (page, line)
    # no row split: each city's name and its last figure on one page
    for city, row in zip(cities, bulletin.content["children"], strict=True):
        part = next(part for part in on_pages.values() if f" {city} " in part)
        tail = part[part.index(f" {city} ") + 1:]
        assert re.match(rf"{city} [\d.,—（）\s]*? {row['open_signals']}( |$)", tail), (city, tail[:80])
