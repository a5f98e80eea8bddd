"""What the interop module raises in the problem list (``ModuleConfig.problem_sources``): a message a
receiving system refused (a final 4xx answer) becomes a problem, once, for the region whose data it carried;
so does a message still undelivered after ``STUCK_ATTEMPTS`` attempts (the receiver has been down for hours),
and a DHIS2 data value set whose import summary does not reconcile with what was sent (``dhis2.reconcile``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from fangkong.worklists.feeds import already_raised
from fangkong.worklists.models import Severity
from fangkong.worklists.services import problem_raise

from .apps import PROBLEM_SOURCE as SOURCE
from .models import MessageState, OutboundMessage

STUCK_ATTEMPTS = 10


def _refused(m: OutboundMessage) -> tuple[str, str]:
    return (f"数据交换报文被接收方拒收：{m.destination.name}",
            f"报文 #{m.pk}（{m.get_kind_display()}），HTTP {m.last_status}。")


def _stuck(m: OutboundMessage) -> tuple[str, str]:
    return (f"数据交换报文多次发送未成功：{m.destination.name}",
            f"报文 #{m.pk}，已尝试 {m.attempts} 次，最近一次 HTTP {m.last_status or '无应答'}。")


def _unreconciled(m: OutboundMessage) -> tuple[str, str]:
    counted = sum(m.reconciliation.get(k, 0) for k in ("imported", "updated", "ignored", "deleted"))
    return (f"DHIS2 导入摘要与所发数据不符：{m.destination.name}",
            f"报文 #{m.pk}：发送 {m.reconciliation.get('sent')} 个数据值，接收方计入 {counted} 个，"
            f"冲突 {len(m.reconciliation.get('conflicts', []))} 个。")


def feed(now: dt.datetime) -> int:
    """Raise a problem for every refused, stuck or unreconciled message not raised yet; how many were raised."""
    raised, done = 0, already_raised(SOURCE)
    kinds = (
        ("refused", _refused, Q(state=MessageState.REFUSED)),
        ("stuck", _stuck, Q(state=MessageState.RETRYING, attempts__gte=STUCK_ATTEMPTS)),
        ("unreconciled", _unreconciled, Q(state=MessageState.DELIVERED, reconciliation__ok=False)),
    )
    for prefix, describe, condition in kinds:
        for message in OutboundMessage.objects.filter(condition).select_related("destination").order_by("id"):
            key = f"{prefix}:{message.pk}"
            if key in done:
                continue
            title, evidence = describe(message)
            _problem, created = problem_raise(
                actor=None, source=SOURCE, source_key=key, region=message.region_id, severity=Severity.SERIOUS,
                title=title, evidence=evidence,
                link=reverse("interop:message-detail", kwargs={"message_id": message.pk}),
                found_at=min(message.last_attempt_at or now, timezone.now()))
            raised += created
    return raised
