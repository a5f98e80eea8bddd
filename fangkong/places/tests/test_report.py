"""The key places' paragraph of the daily report (``report.py``, declared in ``report_sections``): counts of
the region's places in the drafter's scope, frozen with the report, printed in both languages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.bulletins import services as bulletins
from fangkong.regions.models import Region
from fangkong.testing.builders import make_user

from .. import report, services
from ..models import Place
from .builders import make_place, pass_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def guangzhou(gz_inspector, sz_inspector):
    today = timezone.localdate()
    failed = make_place(gz_inspector, region="440106", name="天河问题市场")
    services.inspection_record(actor=gz_inspector, place=failed.pk, inspected_on=today,
                               results={**pass_all(failed), "G1": "fail"}, close_place=True)
    passed = make_place(gz_inspector, region="440104", name="越秀合格市场")
    services.inspection_record(actor=gz_inspector, place=passed.pk, inspected_on=today - dt.timedelta(days=1),
                               results=pass_all(passed))
    late = make_place(gz_inspector, region="440104", name="越秀逾期市场")
    Place.objects.filter(pk=late.pk).update(next_due_on=today - dt.timedelta(days=2))  # as time passing would
    make_place(sz_inspector, region="440304", name="福田市场")
    return today


def test_the_figures_of_a_city_in_the_drafters_scope(guangzhou, gz_inspector):
    city = Region.objects.get(code="440100")
    assert report.figures(gz_inspector, city, guangzhou) == {
        "places": 3, "covered": 2, "overdue": 1, "closed": 1, "inspections": 1, "inspections_failed": 1,
        "orders_open": 1, "orders_overdue": 0}
    yesterday = report.figures(gz_inspector, city, guangzhou - dt.timedelta(days=1))
    assert (yesterday["inspections"], yesterday["inspections_failed"]) == (1, 0)
    # the Guangzhou inspector drafting for the province counts no Shenzhen place
    assert report.figures(gz_inspector, Region.objects.get(code="440000"), guangzhou)["places"] == 3
    foshan = make_user("places_fs_inspector", ("440600", Role.INSPECTOR))
    assert report.figures(foshan, Region.objects.get(code="440600"), guangzhou) is None


def test_the_report_prints_the_paragraph_in_both_languages_and_keeps_its_figures(guangzhou, province_commander):
    zh = bulletins.bulletin_generate(actor=province_commander, region_code="440100", day=guangzhou, language="zh-hans")
    en = bulletins.bulletin_generate(actor=province_commander, region_code="440100", day=guangzhou, language="en")
    assert zh.content["sections"]["places"]["places"] == 3
    assert "在册重点场所和重点单位3个，按频次完成督导检查2个（覆盖率67%），检查逾期1个，暂停营业1个" in zh.html
    assert "3 on the register, 2 inspected within their frequency (67%)" in en.html
    Place.objects.update(status=Place.Status.OPEN)  # later changes do not rewrite the report
    zh.refresh_from_db()
    assert zh.content["sections"]["places"]["closed"] == 1
