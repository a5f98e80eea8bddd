"""The key populations' paragraph of the daily report (``report.py``): members and overdue per population on
the day, in the drafter's scope, counts only, frozen with the report."""

import datetime as dt

import pytest

from fangkong.bulletins import services as bulletins
from fangkong.regions.models import Region
from fangkong.testing.builders import citizen_id as any_citizen_id

from .. import report
from ..services import group_create, member_add, result_record

pytestmark = pytest.mark.django_db
D = dt.date
DAY = D(2022, 4, 12)


def test_the_report_says_members_and_overdue_per_population_and_keeps_them(shenzhen_epi, guangzhou_epi):
    group = group_create(actor=shenzhen_epi, name="福田冷库员工", population="cold_chain", region="440304",
                         frequency_days=2, effective_from=D(2022, 4, 1))
    ids = [any_citizen_id("440304", born=D(1990, 1, 1) + dt.timedelta(days=i)) for i in range(2)]
    for i, cid in enumerate(ids):
        member_add(actor=shenzhen_epi, group=group.pk, start=D(2022, 4, 1), name=f"员工{i}", citizen_id=cid,
                   address_region="440304")
    result_record(actor=shenzhen_epi, group=group.pk, citizen_id=ids[0], sampled_on=D(2022, 4, 11), result="negative")

    shenzhen = Region.objects.get(code="440300")
    expected = {"populations": [{"population": "cold_chain", "members": 2, "overdue": 1}], "members": 2, "overdue": 1}
    assert report.figures(shenzhen_epi, shenzhen, DAY) == expected
    assert report.figures(guangzhou_epi, Region.objects.get(code="440100"), DAY) is None  # no group there
    assert report.figures(guangzhou_epi, shenzhen, DAY) is None  # another city's groups: not in its scope

    zh = bulletins.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=DAY, language="zh-hans")
    en = bulletins.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=DAY, language="en")
    assert zh.content["sections"]["keypopulations"] == expected
    assert "重点人群定期核酸检测：在册2人，当日逾期未检1人（按时检测率50.0%）。其中进口冷链食品及进口货物从业人员2人、逾期1人。" in zh.html
    assert "2 on the rosters, 1 overdue for their test on the day (50.0% tested on time)" in en.html
    assert "员工0" not in zh.html and ids[0][:6] + "*" not in zh.html  # counts only

    result_record(actor=shenzhen_epi, group=group.pk, citizen_id=ids[1], sampled_on=D(2022, 4, 12), result="negative")
    zh.refresh_from_db()
    assert zh.content["sections"]["keypopulations"]["overdue"] == 1  # frozen with the report


def test_a_report_for_yesterday_counts_yesterdays_overdue_not_todays(shenzhen_epi):
    """The clock fixed on the 12th (the morning job as of that day); the report of the 11th counts who was
    overdue on the 11th — one tested on the 9th, tested again on the 12th — not the compliance of the 12th."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from ..models import Compliance
    from ..services import overdue_run

    group = group_create(actor=shenzhen_epi, name="福田口岸", population="port_frontline", region="440304",
                         frequency_days=1, effective_from=D(2022, 4, 1))
    late, on_time = (any_citizen_id("440304", born=D(1991, 1, 1) + dt.timedelta(days=i)) for i in range(2))
    for i, cid in enumerate((late, on_time)):
        member_add(actor=shenzhen_epi, group=group.pk, start=D(2022, 4, 1), name=f"口岸{i}", citizen_id=cid,
                   address_region="440304")
    for cid, day in ((late, D(2022, 4, 9)), (late, D(2022, 4, 12)), (on_time, D(2022, 4, 11))):
        result_record(actor=shenzhen_epi, group=group.pk, citizen_id=cid, sampled_on=day, result="negative")
    overdue_run(now=datetime(2022, 4, 12, 6, 20, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert not Compliance.objects.filter(next_due_on__lt=D(2022, 4, 11)).exists()  # today's: nobody was late

    shenzhen = Region.objects.get(code="440300")
    yesterday = report.figures(shenzhen_epi, shenzhen, D(2022, 4, 11))
    assert (yesterday["members"], yesterday["overdue"]) == (2, 1)
    today = report.figures(shenzhen_epi, shenzhen, D(2022, 4, 12))
    assert (today["members"], today["overdue"]) == (2, 0)
    zh = bulletins.bulletin_generate(actor=shenzhen_epi, region_code="440300", day=D(2022, 4, 11), language="zh-hans")
    assert zh.content["sections"]["keypopulations"]["overdue"] == 1
    assert "当日逾期未检1人" in zh.html
