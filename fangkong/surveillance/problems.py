"""What sentinel surveillance raises in the problem list (``ModuleConfig.problem_sources``): an alert still
new past its region's acknowledgement target (``ResponseTarget``) becomes a serious problem, once, for the
alert's region."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from fangkong.worklists.feeds import already_raised
from fangkong.worklists.models import Severity
from fangkong.worklists.services import problem_raise

from .apps import PROBLEM_SOURCE as SOURCE
from .models import Alert, AlertStatus
from .selectors import response_target_for


def feed(now: dt.datetime) -> int:
    """Raise a problem for every alert not acknowledged within its region's target; how many were raised."""
    raised, done = 0, already_raised(SOURCE)
    targets: dict[str, float] = {}
    for alert in (Alert.objects.filter(status=AlertStatus.NEW, acknowledged_at__isnull=True, raised_at__lt=now)
                  .select_related("indicator").order_by("id")):
        if f"alert:{alert.pk}:acknowledge" in done:
            continue
        hours = targets.get(alert.region_id)
        if hours is None:
            hours = targets[alert.region_id] = response_target_for(alert.region_id)["acknowledge_hours"]
        if alert.raised_at + dt.timedelta(hours=hours) > now:
            continue
        _problem, created = problem_raise(
            actor=None, source=SOURCE, source_key=f"alert:{alert.pk}:acknowledge", region=alert.region_id,
            severity=Severity.SERIOUS, title=f"预警信号超时未响应：{alert.indicator}（{alert.first_day}起）",
            evidence=f"预警 #{alert.pk}，{alert.raised_at:%Y-%m-%d %H:%M} 发出，响应时限 {hours:g} 小时，仍未签收。",
            link=reverse("surveillance:alert-detail", kwargs={"alert_id": alert.pk}),
            found_at=min(alert.raised_at + dt.timedelta(hours=hours), timezone.now()))
        raised += created
    return raised
