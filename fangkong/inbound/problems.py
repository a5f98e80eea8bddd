"""What the inbound module raises in the problem list (``ModuleConfig.problem_sources``): an open break in a
closed loop (``LoopBreak``) becomes a serious problem, once, for the receiving region."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from fangkong.worklists.feeds import raise_each
from fangkong.worklists.models import Severity

from .apps import PROBLEM_SOURCE as SOURCE
from .models import LoopBreak


def feed(now: dt.datetime) -> int:
    """Raise a problem for every open break not raised yet; how many were raised."""
    return raise_each(
        SOURCE, LoopBreak.objects.filter(closed_at__isnull=True).order_by("id"), lambda brk: f"break:{brk.pk}",
        lambda brk: {
            "region": brk.receiver_region_id, "severity": Severity.SERIOUS,
            "title": f"闭环管理断点：{brk.get_kind_display()}",
            "evidence": f"断点 #{brk.pk}，入境人员 #{brk.traveller_id}，应于 "
                        f"{timezone.localtime(brk.due_at):%Y-%m-%d %H:%M} 完成。",
            "link": reverse("inbound:break-list"), "found_at": min(brk.detected_at, timezone.now())})
