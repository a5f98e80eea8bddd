"""What sentinel surveillance raises in the problem list (``problems.py``): missing or late reports of a region
on a day now due, once per region and day, and nothing for a day nobody reported on."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from fangkong.worklists.feeds import feed
from fangkong.worklists.models import Problem

from ..apps import REPORTS_PROBLEM_SOURCE
from ..models import SentinelReport
from ..problems import reports_feed
from ..summaries import reporting_summary_refresh
from .conftest import make_site

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 7)  # a Monday: its reports are due on Tuesday at noon


def report(site, indicator, received: dt.datetime, day: dt.date = DAY) -> None:
    SentinelReport.objects.create(site=site, indicator=indicator, date=day, count=5, region_id=site.region_id,
                                  reported_at=received)
    reporting_summary_refresh([(site.pk, day)])


def test_missing_and_late_reports_become_one_problem_per_region_and_day(indicators):
    fever = indicators["fever_clinic_visits"]
    futian = make_site("FT1", "440304", indicators, codes=("fever_clinic_visits", "ili_consultations"))
    luohu = make_site("LH1", "440303", indicators)
    tianhe = make_site("TH1", "440106", indicators)
    on_time = dt.datetime(2026, 12, 8, 9, 0, tzinfo=CST)
    report(futian, fever, on_time)  # Futian: one of its two reports missing
    report(luohu, fever, dt.datetime(2026, 12, 8, 15, 0, tzinfo=CST))  # Luohu: late (after noon)
    report(tianhe, fever, on_time)  # Tianhe: complete and on time
    before_due = dt.datetime(2026, 12, 8, 11, 0, tzinfo=CST)
    assert reports_feed(before_due) == 0  # Monday's reports are not due yet (and Sunday nobody reported)
    after_due = dt.datetime(2026, 12, 8, 13, 0, tzinfo=CST)
    assert reports_feed(after_due) == 2
    assert reports_feed(after_due) == 0  # once
    assert feed(now=after_due)[REPORTS_PROBLEM_SOURCE] == 0  # the ten-minute job calls it, and raises nothing again
    problems = {p.region_id: p for p in Problem.objects.filter(source=REPORTS_PROBLEM_SOURCE)}
    assert set(problems) == {"440304", "440303"}
    assert problems["440304"].source_key == "reports:440304:2026-12-07"
    assert "应报 2 份，收到 1 份，缺报 1 份，迟报 0 份" in problems["440304"].evidence
    assert "迟报 1 份" in problems["440303"].evidence
    assert problems["440304"].tasks.get().owner_unit.region_id == "440304"
    # Tuesday: nobody reported at all — not a region's lateness, nothing raised for it
    assert reports_feed(dt.datetime(2026, 12, 9, 13, 0, tzinfo=CST)) == 0
    assert Problem.objects.filter(source=REPORTS_PROBLEM_SOURCE).count() == 2
    futian.active = False
    futian.save()  # an inactive site is expected to send nothing
    report(tianhe, fever, dt.datetime(2026, 12, 10, 9, 0, tzinfo=CST), day=dt.date(2026, 12, 9))
    assert reports_feed(dt.datetime(2026, 12, 10, 13, 0, tzinfo=CST)) == 1  # Luohu silent on Tuesday
    assert Problem.objects.filter(source=REPORTS_PROBLEM_SOURCE, region_id="440304").count() == 1


def test_an_alert_unanswered_past_its_target_becomes_one_problem(indicators):
    from django.utils import timezone

    from ..apps import PROBLEM_SOURCE
    from ..models import Alert
    from ..problems import feed as alerts_feed
    from ..selectors import response_target_for

    hours = response_target_for("440304")["acknowledge_hours"]
    now = timezone.now()
    fever = indicators["fever_clinic_visits"]

    def alert(raised_hours_ago: float) -> Alert:
        return Alert.objects.create(level="county", region_id="440304", unit_key="region:440304", indicator=fever,
                                    method="ears_c2", first_day=DAY, last_day=DAY, peak_observed=42,
                                    raised_at=now - dt.timedelta(hours=raised_hours_ago))

    late, fresh = alert(hours + 1), alert(hours - 1)
    assert alerts_feed(now) == 1 and alerts_feed(now) == 0
    problem = Problem.objects.get(source=PROBLEM_SOURCE)
    assert (problem.source_key, problem.region_id) == (f"alert:{late.pk}:acknowledge", "440304")
    assert alerts_feed(now + dt.timedelta(hours=2)) == 1  # the fresh one is late now
    assert Problem.objects.get(source=PROBLEM_SOURCE, source_key=f"alert:{fresh.pk}:acknowledge")
