"""The worklists' paragraph of the official daily report (``report_sections`` in ``apps.py``).

The figures of a region on one day, per child region and in all, read in the drafter's scope and frozen with
the report: tasks unfinished at 24:00 (created by then, neither closed nor cancelled by then — a task waiting
for its close-out to be verified is unfinished), of them overdue (deadline passed by 24:00) and escalated (at
least once by 24:00), and the tasks closed (销号) that day, of them on time (submitted by their deadline).
Read back from the times a task keeps, so a report for an earlier day reads as it did that night. Counts only.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from fangkong.regions.codes import subtree_prefix
from fangkong.regions.models import Region

from .models import Escalation, State
from .selectors import task_list

FIELDS = ("open", "overdue", "escalated", "closed", "closed_on_time")


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(day, dt.time(), tzinfo=tz),
            dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz))


def figures(user, region, day: dt.date) -> dict | None:
    """Per child region of ``region`` and in all (its whole subtree, the region's own tasks included): tasks
    unfinished at 24:00 of ``day``, overdue, escalated; closed that day and closed on time. None when the
    subtree had no task unfinished that night and none closed that day."""
    start, end = _day_bounds(day)
    unfinished = (Q(created_at__lt=end) & ~Q(closed_at__lt=end)
                  & ~Q(state=State.CANCELLED, state_changed_at__lt=end))
    escalated = Exists(Escalation.objects.filter(task=OuterRef("pk"), at__lt=end))
    closed = Q(closed_at__gte=start, closed_at__lt=end)
    rows = (task_list(user=user).filter(region__code__startswith=subtree_prefix(region.code))
            .filter(unfinished | closed).order_by().annotate(was_escalated=escalated).values("region_id")
            .annotate(open=Count("id", filter=unfinished),
                      overdue=Count("id", filter=unfinished & Q(deadline__lt=end)),
                      escalated=Count("id", filter=unfinished & Q(was_escalated=True)),
                      closed=Count("id", filter=closed),
                      closed_on_time=Count("id", filter=closed & Q(submitted_at__lte=F("deadline")))))
    children = list(Region.objects.filter(parent_id=region.code).defer("geometry").order_by("code"))
    per_child = {child.code: dict.fromkeys(FIELDS, 0) for child in children}
    total = dict.fromkeys(FIELDS, 0)
    for row in rows:
        child = next((c for c in children if row["region_id"].startswith(c.prefix)), None)
        for field in FIELDS:
            total[field] += row[field]
            if child is not None:
                per_child[child.code][field] += row[field]
    if not total["open"] and not total["closed"]:
        return None
    return {**total, "children": [{"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en, **per_child[c.code]}
                                  for c in children if per_child[c.code]["open"] or per_child[c.code]["closed"]]}


def wording(figures: dict, language: str, scope: str) -> str:
    """The paragraph in the official form of ``language``."""
    f = figures
    if language == "en":
        text = (f"Task list of {scope}: {f['open']} tasks unfinished at 24:00, of which {f['overdue']} overdue and "
                f"{f['escalated']} escalated; {f['closed']} closed during the day, {f['closed_on_time']} of them "
                f"on time.")
        parts = [f"{c['name_en']} {c['open']} unfinished ({c['overdue']} overdue, {c['escalated']} escalated), "
                 f"{c['closed_on_time']} of {c['closed']} closed on time" for c in f["children"]]
        return text + (f" By region: {'; '.join(parts)}." if parts else "")
    text = (f"{scope}任务清单：24时未办结任务{f['open']}项，其中逾期{f['overdue']}项、升级督办{f['escalated']}项；"
            f"当日销号{f['closed']}项，其中按时办结{f['closed_on_time']}项。")
    parts = [f"{c['name_zh']}未办结{c['open']}项（逾期{c['overdue']}项、升级督办{c['escalated']}项），"
             f"当日销号{c['closed']}项、按时{c['closed_on_time']}项" for c in f["children"]]
    return text + (f"分地区：{'；'.join(parts)}。" if parts else "")
