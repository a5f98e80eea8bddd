"""What cross-region requests raise in the problem list (``ModuleConfig.problem_sources``): a request the
escalation job flagged as overdue (``escalated_at``) and not reported back becomes a serious problem, once,
for the receiving region."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from fangkong.worklists.feeds import raise_each
from fangkong.worklists.models import Severity

from .apps import PROBLEM_SOURCE as SOURCE
from .models import InvestigationRequest, RequestStatus


def feed(now: dt.datetime) -> int:
    """Raise a problem for every overdue request not reported back and not raised yet; how many were raised."""
    overdue = (InvestigationRequest.objects.filter(escalated_at__isnull=False).exclude(status=RequestStatus.REPORTED)
               .order_by("id"))
    return raise_each(SOURCE, overdue, lambda req: f"request:{req.pk}", lambda req: {
        "region": req.receiver_region_id, "severity": Severity.SERIOUS, "title": f"协查函超时未办结：{req.request_no}",
        "evidence": f"协查函 {req.request_no}，{req.get_status_display()}。",
        "link": reverse("crossregion:detail", kwargs={"request_id": req.pk}),
        "found_at": min(req.escalated_at, timezone.now())})
