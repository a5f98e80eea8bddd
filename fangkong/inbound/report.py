"""The inbound closed loop's paragraph of the official daily report (``report_sections`` in ``apps.py``).

The figures of a region (its subtree) on one day, read in the drafter's scope and frozen with the report:
travellers who arrived at the region's ports that day, and the breaks of the closed loop — found that day,
closed that day, and open at 24:00 (found by then and not closed by then, so a report for an earlier day
reads as it did that night). Counts only.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from fangkong.accounts.access import scoped
from fangkong.regions.codes import subtree_prefix

from .loop import day_end
from .models import LoopBreak, Traveller
from .selectors import TWO_SIDES, port_list


def figures(user, region, day: dt.date) -> dict | None:
    """Arrivals at the region's ports on ``day`` and loop breaks of the region (either side of a hand-off):
    found, closed and open at the end of the day; None when the region has no port and no break."""
    prefix, tz = subtree_prefix(region.code), timezone.get_current_timezone()
    start, end = day_end(day - dt.timedelta(days=1), tz), day_end(day, tz)
    ports = list(port_list(user=user).filter(region__code__startswith=prefix).values_list("pk", flat=True))
    arrivals = Traveller.objects.filter(port__in=ports, arrived_at__gte=start, arrived_at__lt=end).count() \
        if ports else 0
    breaks = scoped(user, LoopBreak.objects.all(), TWO_SIDES) \
        .filter(Q(sender_region__code__startswith=prefix) | Q(receiver_region__code__startswith=prefix)) \
        .aggregate(found=Count("id", filter=Q(detected_at__gte=start, detected_at__lt=end)),
                   closed=Count("id", filter=Q(closed_at__gte=start, closed_at__lt=end)),
                   open=Count("id", filter=Q(detected_at__lt=end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=end))))
    if not ports and not any(breaks.values()):
        return None
    return {"ports": len(ports), "arrivals": arrivals, "breaks_found": breaks["found"],
            "breaks_closed": breaks["closed"], "breaks_open": breaks["open"]}


def wording(figures: dict, language: str, scope: str) -> str:
    """The paragraph in the official form of ``language``."""
    arrivals, found, closed, still = (figures["arrivals"], figures["breaks_found"], figures["breaks_closed"],
                                      figures["breaks_open"])
    if language == "en":
        arrived = f"{arrivals} inbound travellers arrived at the ports of entry of {scope}. " if figures["ports"] else ""
        return (f"{arrived}In the inbound closed loop {found} breaks were found and {closed} closed; "
                f"{still} remained open at 24:00.")
    arrived = f"{scope}各入境口岸当日入境人员{arrivals}人；" if figures["ports"] else ""
    return f"{arrived}入境人员闭环管理当日新发现断点{found}个、闭环处置{closed}个，24时仍有{still}个断点未闭环。"
