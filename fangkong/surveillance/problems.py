"""What sentinel surveillance raises in the problem list (``ModuleConfig.problem_sources``), two sources:

- ``feed``: an alert still new past its region's acknowledgement target (``ResponseTarget``) becomes a serious
  problem, once, for the alert's region;
- ``reports_feed``: a region whose active sentinel sites sent fewer reports than expected on a day now due
  (each indicator of each site every day, due at ``summaries.REPORT_DUE_HOUR`` o'clock the next day), or sent
  some late, becomes a moderate problem, once per region and day — read from the daily reporting summary.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from fangkong.regions.models import Region
from fangkong.worklists.feeds import raise_each
from fangkong.worklists.models import Severity

from .apps import PROBLEM_SOURCE as SOURCE
from .apps import REPORTS_PROBLEM_SOURCE as REPORTS_SOURCE
from .models import Alert, AlertStatus, DailySiteReporting, SentinelSite
from .selectors import response_target_for
from .summaries import report_due

#: The days due a run looks at (the last one due, and the days before it): a run missed is caught up.
REPORT_LOOKBACK_DAYS = 2


def feed(now: dt.datetime) -> int:
    """Raise a problem for every alert not acknowledged within its region's target; how many were raised."""
    targets: dict[str, float] = {}

    def problem(alert: Alert) -> dict | None:
        hours = targets.get(alert.region_id)
        if hours is None:
            hours = targets[alert.region_id] = response_target_for(alert.region_id)["acknowledge_hours"]
        if alert.raised_at + dt.timedelta(hours=hours) > now:
            return None  # not late yet
        return {"region": alert.region_id, "severity": Severity.SERIOUS,
                "title": f"预警信号超时未响应：{alert.indicator}（{alert.first_day}起）",
                "evidence": f"预警 #{alert.pk}，{alert.raised_at:%Y-%m-%d %H:%M} 发出，响应时限 {hours:g} 小时，仍未签收。",
                "link": reverse("surveillance:alert-detail", kwargs={"alert_id": alert.pk}),
                "found_at": min(alert.raised_at + dt.timedelta(hours=hours), timezone.now())}

    unanswered = (Alert.objects.filter(status=AlertStatus.NEW, acknowledged_at__isnull=True, raised_at__lt=now)
                  .select_related("indicator").order_by("id"))
    return raise_each(SOURCE, unanswered, lambda alert: f"alert:{alert.pk}:acknowledge", problem)


def _days_due(now: dt.datetime) -> list[dt.date]:
    """The last ``REPORT_LOOKBACK_DAYS`` days whose reports were due by ``now``, the latest first."""
    last = timezone.localtime(now).date() - dt.timedelta(days=1)
    if report_due(last) > now:
        last -= dt.timedelta(days=1)
    return [last - dt.timedelta(days=n) for n in range(REPORT_LOOKBACK_DAYS)]


def reports_feed(now: dt.datetime) -> int:
    """Raise a problem for every region whose active sites missed reports or sent some late on a day now due
    (``_days_due``), not raised yet; how many were raised. A day on which no report at all was received is
    left out: that is not a region's lateness but the network or its import down (the reporting page and the
    stalled import feed show it)."""
    days = _days_due(now)
    expected = dict(SentinelSite.objects.filter(active=True).order_by().values("region_id")
                    .annotate(n=Sum("n_indicators")).values_list("region_id", "n"))
    counted = {(region, day): (received, late) for region, day, received, late in
               DailySiteReporting.objects.filter(day__in=days, site__active=True).order_by()
               .values("region_id", "day").annotate(received=Sum("received"), late=Sum("late"))
               .values_list("region_id", "day", "received", "late")}
    reported_days = {day for _region, day in counted}
    short = []
    for day in sorted(reported_days):
        for region, n in sorted(expected.items()):
            received, late = counted.get((region, day), (0, 0))
            if n and (received < n or late):
                short.append((region, day, n, received, late))
    names = dict(Region.objects.filter(code__in={row[0] for row in short}).values_list("code", "name_zh"))

    def problem(row) -> dict:
        region, day, n, received, late = row
        return {"region": region, "severity": Severity.MODERATE,
                "title": f"哨点报告缺报迟报：{names.get(region, region)} {day:%m月%d日}",
                "evidence": f"{day:%Y-%m-%d} 应报 {n} 份，收到 {received} 份，缺报 {max(n - received, 0)} 份，"
                            f"迟报 {late} 份（次日 {report_due(day):%H:%M} 前报告）。",
                "link": reverse("surveillance:reporting") + f"?region={region}&first={day}&last={day}",
                "found_at": min(report_due(day), timezone.now())}

    return raise_each(REPORTS_SOURCE, short, lambda row: f"reports:{row[0]}:{row[1]}", problem)
