"""What the other modules feed into the problem list (the periodic job ``worklists-feed``): each late thing
they record becomes a problem, once (``services.problem_raise`` is idempotent by source and key), with a task
for the command of the region that has to act.

- sentinel surveillance: an alert still new past its region's acknowledgement target (``ResponseTarget``);
- inbound travellers: an open break in a closed loop (``LoopBreak``), for the receiving region;
- cross-region requests: a request the job flagged as overdue (``escalated_at``) and not reported back, for
  the receiving region.

Evidence names the record by its number and links to it; no person's identifiers are copied.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone, translation

from .models import Problem, Severity, Source
from .services import problem_raise


def _raised(source: str) -> set[str]:
    """The keys already raised from ``source`` (read once a run, so that a run costs one query per new problem)."""
    return set(Problem.objects.filter(source=source).values_list("source_key", flat=True))


def _alerts(now: dt.datetime) -> int:
    from fangkong.surveillance.models import Alert, AlertStatus
    from fangkong.surveillance.selectors import response_target_for

    raised, done = 0, _raised(Source.SURVEILLANCE)
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
            actor=None, source=Source.SURVEILLANCE, source_key=f"alert:{alert.pk}:acknowledge", region=alert.region_id,
            severity=Severity.SERIOUS, title=f"预警信号超时未响应：{alert.indicator}（{alert.first_day}起）",
            evidence=f"预警 #{alert.pk}，{alert.raised_at:%Y-%m-%d %H:%M} 发出，响应时限 {hours:g} 小时，仍未签收。",
            link=reverse("surveillance:alert-detail", kwargs={"alert_id": alert.pk}),
            found_at=min(alert.raised_at + dt.timedelta(hours=hours), timezone.now()))
        raised += created
    return raised


def _breaks(now: dt.datetime) -> int:
    from fangkong.inbound.models import LoopBreak

    raised, done = 0, _raised(Source.INBOUND)
    for brk in LoopBreak.objects.filter(closed_at__isnull=True).order_by("id"):
        if f"break:{brk.pk}" in done:
            continue
        _problem, created = problem_raise(
            actor=None, source=Source.INBOUND, source_key=f"break:{brk.pk}", region=brk.receiver_region_id,
            severity=Severity.SERIOUS, title=f"闭环管理断点：{brk.get_kind_display()}",
            evidence=f"断点 #{brk.pk}，入境人员 #{brk.traveller_id}，应于 {timezone.localtime(brk.due_at):%Y-%m-%d %H:%M} 完成。",
            link=reverse("inbound:break-list"), found_at=min(brk.detected_at, timezone.now()))
        raised += created
    return raised


def _requests(now: dt.datetime) -> int:
    from fangkong.crossregion.models import InvestigationRequest, RequestStatus

    raised, done = 0, _raised(Source.CROSSREGION)
    for req in (InvestigationRequest.objects.filter(escalated_at__isnull=False)
                .exclude(status=RequestStatus.REPORTED).order_by("id")):
        if f"request:{req.pk}" in done:
            continue
        _problem, created = problem_raise(
            actor=None, source=Source.CROSSREGION, source_key=f"request:{req.pk}", region=req.receiver_region_id,
            severity=Severity.SERIOUS, title=f"协查函超时未办结：{req.request_no}",
            evidence=f"协查函 {req.request_no}，{req.get_status_display()}。",
            link=reverse("crossregion:detail", kwargs={"request_id": req.pk}), found_at=min(req.escalated_at, timezone.now()))
        raised += created
    return raised


def feed(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Raise the problems the other modules' records show (already raised ones are left as they are)."""
    now = now or timezone.now()
    with translation.override("zh-hans"):  # the titles are kept as written: in Chinese, whoever runs the job
        return {"surveillance": _alerts(now), "inbound": _breaks(now), "crossregion": _requests(now)}
