"""The inbound paragraph of the daily report (``report.py``): arrivals at the region's ports that day, and
the loop's breaks found, closed and open at 24:00 of that day — read back from records set at fixed times
around the day's two midnights, in the drafter's scope, frozen with the report."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.bulletins import services as bulletins

from .. import report
from ..documents import document_parse
from ..models import IdKind, LoopBreak, Traveller
from ..services import manifest_import, travellers_arrive

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


def arrivals(actor, *, port, day, names, destination="441900"):
    rows = [{"name": n, "document": document_parse(IdKind.PASSPORT, f"E{abs(hash(n)) % 10**8:08d}"),
             "destination": destination} for n in names]
    manifest = manifest_import(actor=actor, port=port, carrier="vehicle", carrier_no=f"粤Z{len(names)}{port[:2]}",
                               arrival_date=day, rows=rows).manifest
    return list(manifest.travellers.all())


def breaks(traveller, *spans):
    """Breaks of ``traveller`` (Futian sends, Dongguan receives), each (found, closed or None)."""
    for i, (found, closed) in enumerate(spans):
        LoopBreak.objects.create(kind=list(LoopBreak.Kind.values)[i], traveller=traveller, sender_region_id="440304",
                                 receiver_region_id="441900", due_at=found - dt.timedelta(hours=1),
                                 detected_at=found, closed_at=closed)


def test_arrivals_and_breaks_of_the_day_counted_around_both_midnights(users):
    day = timezone.localdate() - dt.timedelta(days=2)
    at_huanggang = arrivals(users["futian"], port="huanggang", day=day, names=["甲", "乙", "丙"])
    travellers_arrive(actor=users["futian"], travellers=at_huanggang[:2], at=at(day, 0, 0))  # the first moment
    travellers_arrive(actor=users["futian"], travellers=at_huanggang[2:], at=at(day - dt.timedelta(days=1), 23, 59))
    breaks(at_huanggang[0],
           (at(day, 10), None),                                   # found that day, still open
           (at(day, 23, 59), at(day + dt.timedelta(days=1), 0)),  # found that day, closed at the next midnight
           (at(day - dt.timedelta(days=1), 8), at(day, 9)),       # found the day before, closed that day
           (at(day - dt.timedelta(days=3), 8), None),             # found days before, still open
           (at(day + dt.timedelta(days=1), 0), None))             # found at the next midnight: not that day's

    figures = report.figures(users["sz"], users["sz"].memberships.get().region, day)

    assert figures == {"ports": 6, "arrivals": 2, "breaks_found": 2, "breaks_closed": 1, "breaks_open": 3}
    # Dongguan receives the hand-offs: the same breaks are its own; it has no port of entry
    dongguan = report.figures(users["dongguan"], users["dongguan"].memberships.get().region, day)
    assert dongguan == {"ports": 0, "arrivals": 0, "breaks_found": 2, "breaks_closed": 1, "breaks_open": 3}
    # Guangzhou (Baiyun airport) had no arrival and no break: nothing of Shenzhen's counted
    assert report.figures(users["guangzhou"], users["guangzhou"].memberships.get().region, day) == \
        {"ports": 2, "arrivals": 0, "breaks_found": 0, "breaks_closed": 0, "breaks_open": 0}


def test_a_region_without_port_or_break_has_no_paragraph(users):
    foshan = users["sz"].memberships.get().region.__class__.objects.get(code="440600")
    assert report.figures(users["province"], foshan, timezone.localdate()) is None


def test_the_report_prints_the_paragraph_and_keeps_it_when_the_breaks_close_later(users):
    day = timezone.localdate() - dt.timedelta(days=1)
    travellers = arrivals(users["futian"], port="huanggang", day=day, names=["丁"])
    travellers_arrive(actor=users["futian"], travellers=travellers, at=at(day, 9))
    breaks(travellers[0], (at(day, 11), None))
    zh = bulletins.bulletin_generate(actor=users["sz"], region_code="440300", day=day, language="zh-hans")
    en = bulletins.bulletin_generate(actor=users["sz"], region_code="440300", day=day, language="en")

    assert zh.content["sections"]["inbound"] == {"ports": 6, "arrivals": 1, "breaks_found": 1, "breaks_closed": 0,
                                                 "breaks_open": 1}
    assert "全市各入境口岸当日入境人员1人；入境人员闭环管理当日新发现断点1个、闭环处置0个，24时仍有1个断点未闭环。" in zh.html
    assert ("1 inbound travellers arrived at the ports of entry of the city. In the inbound closed loop 1 breaks "
            "were found and 0 closed; 1 remained open at 24:00.") in en.html

    LoopBreak.objects.update(closed_at=timezone.now())  # closed after the report was generated
    zh.refresh_from_db()
    assert zh.content["sections"]["inbound"]["breaks_open"] == 1
    assert Traveller.objects.count() == 1
