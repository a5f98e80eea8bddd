"""The worklists' paragraph of the daily report (``report.py``): tasks unfinished at 24:00, overdue and
escalated, closed that day and on time — per child region and in all, read back from tasks set at fixed times
around the day's two midnights, in the drafter's scope."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from fangkong import modules
from fangkong.regions.models import Region

from .. import report
from ..models import Escalation, SlaClass, State, Task, Unit

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 7)


def at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, 0, tzinfo=CST)


def task(region: str, created: dt.datetime, deadline: dt.datetime, **extra) -> Task:
    unit, _made = Unit.objects.get_or_create(region_id=region, name=f"单位{region}")
    return Task.objects.create(title="t", region_id=region, owner_unit=unit, sla_class=SlaClass.URGENT,
                               created_at=created, deadline=deadline, second_deadline=deadline + dt.timedelta(days=1),
                               **extra)


def test_the_report_counts_each_child_region_as_it_stood_at_midnight(province_commander, guangzhou_epi):
    assert "worklists" in {section.key for section in modules.report_sections()}
    late = task("440304", at(5, 9), at(6, 9))  # Futian, overdue since the 6th, escalated on the 6th
    Escalation.objects.create(task=late, level=1, reason="deadline", to_region_id="440300", at=at(6, 9))
    task("440304", at(7, 10), at(9, 10))  # Futian, created that day, not yet due
    task("440304", at(7, 10), at(7, 20), state=State.CLOSED, submitted_at=at(7, 18),
         closed_at=at(7, 19))  # closed that day, on time
    task("440303", at(5, 9), at(6, 9), state=State.CLOSED, submitted_at=at(7, 11),
         closed_at=at(7, 12))  # Luohu: closed that day, late
    task("440303", at(5, 9), at(9, 9), state=State.CLOSED, submitted_at=at(8, 8),
         closed_at=at(8, 9))  # closed the day after: unfinished at 24:00
    task("440303", at(5, 9), at(9, 9), state=State.CANCELLED, state_changed_at=at(6, 9))  # cancelled before
    task("440303", at(8, 1), at(9, 9))  # created after midnight
    Escalation.objects.create(task=task("440303", at(5, 9), at(6, 12)), level=1, reason="deadline",
                              to_region_id="440300", at=at(8, 2))  # escalated after midnight: not yet
    task("440106", at(5, 9), at(6, 9))  # Guangzhou: another city
    shenzhen = Region.objects.get(code="440300")
    figures = report.figures(province_commander, shenzhen, DAY)
    by_code = {c["code"]: c for c in figures["children"]}
    assert set(by_code) == {"440303", "440304"}
    assert {k: by_code["440304"][k] for k in report.FIELDS} == {
        "open": 2, "overdue": 1, "escalated": 1, "closed": 1, "closed_on_time": 1}
    assert {k: by_code["440303"][k] for k in report.FIELDS} == {
        "open": 2, "overdue": 1, "escalated": 0, "closed": 1, "closed_on_time": 0}
    assert {k: figures[k] for k in report.FIELDS} == {
        "open": 4, "overdue": 2, "escalated": 1, "closed": 2, "closed_on_time": 1}
    zh = report.wording(figures, "zh-hans", "深圳市")
    assert zh.startswith("深圳市任务清单：24时未办结任务4项，其中逾期2项、升级督办1项；当日销号2项，其中按时办结1项。")
    assert "福田区未办结2项" in zh
    assert "4 tasks unfinished at 24:00" in report.wording(figures, "en", "Shenzhen")
    # another city's drafter reads nothing of Shenzhen; a day with nothing to say says nothing
    assert report.figures(guangzhou_epi, shenzhen, DAY) is None
    assert report.figures(province_commander, shenzhen, dt.date(2026, 11, 1)) is None
