"""Report sections are declared by the modules (``ModuleConfig.report_sections``): the daily report freezes a
declared section's figures for its region and day, prints its paragraph in the report's language, reads the
same later when the module's figures have moved, and a key declared twice is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps

from fangkong import modules
from fangkong.accounts.roles import Role
from fangkong.bulletins import services
from fangkong.bulletins.report import official_wording, section_wording
from fangkong.testing.builders import make_user

pytestmark = pytest.mark.django_db
DAY = dt.date(2022, 3, 17)
#: What the demo module's records show now, per region code (the test moves it after a report is made).
SHOWN: dict[str, int] = {}
ASKED: list[tuple] = []


def demo_figures(user, region, day):
    ASKED.append((user.username, region.code, day))
    n = SHOWN.get(region.code)
    return None if n is None else {"sites": n}


def demo_wording(figures, language, scope):
    if language == "en":
        return f"{scope.capitalize()} had {figures['sites']} demo sites <b>open</b>."
    return f"{scope}有演示场所{figures['sites']}处<b>开放</b>。"


@pytest.fixture
def declared(monkeypatch):
    """The places module declares one more section (as a new module would)."""
    config = type(apps.get_app_config("places"))
    section = modules.ReportSection("kitdemo", f"{__name__}.demo_figures", f"{__name__}.demo_wording")
    monkeypatch.setattr(config, "report_sections", (*config.report_sections, section))
    SHOWN.clear()
    ASKED.clear()
    return section


def test_the_installed_modules_declare_their_sections_once():
    keys = [section.key for section in modules.report_sections()]
    assert "inbound" in keys and len(keys) == len(set(keys))


def test_a_declared_section_is_frozen_into_the_report_and_printed_in_its_language(declared):
    sz = make_user("sz_report", ("440300", Role.EPIDEMIOLOGIST))
    SHOWN["440300"] = 3
    zh = services.bulletin_generate(actor=sz, region_code="440300", day=DAY, language="zh-hans")
    en = services.bulletin_generate(actor=sz, region_code="440300", day=DAY, language="en")
    assert ("sz_report", "440300", DAY) in ASKED  # read for the drafter, the region and the day of the report
    assert zh.content["sections"]["kitdemo"] == {"sites": 3}
    assert "全市有演示场所3处" in zh.html and "The city had 3 demo sites" in en.html
    # the module's wording is text, never markup: the report escapes it like every paragraph
    assert "<b>开放</b>" not in zh.html and "&lt;b&gt;开放&lt;/b&gt;" in zh.html

    SHOWN["440300"] = 7  # the records move after the report was generated
    assert any("演示场所3处" in p for p in official_wording(zh.content, "zh-hans"))
    assert not any("演示场所7处" in p for p in official_wording(zh.content, "zh-hans"))


def test_a_region_the_section_has_nothing_for_gets_no_paragraph(declared):
    gz = make_user("gz_report", ("440100", Role.EPIDEMIOLOGIST))
    SHOWN["440300"] = 3
    bulletin = services.bulletin_generate(actor=gz, region_code="440100", day=DAY, language="zh-hans")
    assert "kitdemo" not in bulletin.content["sections"] and "演示场所" not in bulletin.html


def test_a_report_generated_before_the_section_existed_renders_without_it(declared):
    older = {"region": {"level": "prefecture", "name_zh": "深圳市", "name_en": "Shenzhen"}}  # no "sections" key
    assert section_wording(older, "zh-hans") == []
    assert section_wording({**older, "sections": {"kitdemo": {"sites": 2}}}, "en") == ["The city had 2 demo sites <b>open</b>."]


def test_a_key_declared_by_two_modules_is_refused(declared, monkeypatch):
    config = type(apps.get_app_config("keypopulations"))
    monkeypatch.setattr(config, "report_sections", (*config.report_sections, declared))
    with pytest.raises(ValueError, match="kitdemo"):
        modules.report_sections()
