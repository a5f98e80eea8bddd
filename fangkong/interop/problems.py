"""What the interop module raises in the problem list (``ModuleConfig.problem_sources``): a message a
receiving system refused (a final 4xx answer) becomes a problem, once, for the region whose data it carried;
so does a message still undelivered after ``STUCK_ATTEMPTS`` attempts (the receiver has been down for hours),
and a DHIS2 data value set whose import summary does not reconcile with what was sent (``dhis2.reconcile``)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from fangkong.worklists.feeds import already_raised
from fangkong.worklists.models import Severity
from fangkong.worklists.services import problem_raise

from .apps import PROBLEM_SOURCE as SOURCE
from .models import MessageState, OutboundMessage

STUCK_ATTEMPTS = 10


def feed(now: dt.datetime) -> int:
    """Raise a problem for every refused or stuck message not raised yet; how many were raised."""
    raised, done = 0, already_raised(SOURCE)
    refused = OutboundMessage.objects.filter(state=MessageState.REFUSED).select_related("destination")
    stuck = OutboundMessage.objects.filter(state=MessageState.RETRYING, attempts__gte=STUCK_ATTEMPTS) \
        .select_related("destination")
    for message in refused.order_by("id"):
        key = f"refused:{message.pk}"
        if key in done:
            continue
        _problem, created = problem_raise(
            actor=None, source=SOURCE, source_key=key, region=message.region_id, severity=Severity.SERIOUS,
            title=f"数据交换报文被接收方拒收：{message.destination.name}",
            evidence=f"报文 #{message.pk}（{message.get_kind_display()}），HTTP {message.last_status}。",
            link=reverse("interop:message-detail", kwargs={"message_id": message.pk}),
            found_at=min(message.last_attempt_at or now, timezone.now()))
        raised += created
    for message in stuck.order_by("id"):
        key = f"stuck:{message.pk}"
        if key in done:
            continue
        _problem, created = problem_raise(
            actor=None, source=SOURCE, source_key=key, region=message.region_id, severity=Severity.SERIOUS,
            title=f"数据交换报文多次发送未成功：{message.destination.name}",
            evidence=f"报文 #{message.pk}，已尝试 {message.attempts} 次，最近一次 HTTP {message.last_status or '无应答'}。",
            link=reverse("interop:message-detail", kwargs={"message_id": message.pk}),
            found_at=min(message.last_attempt_at or now, timezone.now()))
        raised += created
    unreconciled = OutboundMessage.objects.filter(state=MessageState.DELIVERED, reconciliation__ok=False) \
        .select_related("destination")
    for message in unreconciled.order_by("id"):
        key = f"unreconciled:{message.pk}"
        if key in done:
            continue
        _problem, created = problem_raise(
            actor=None, source=SOURCE, source_key=key, region=message.region_id, severity=Severity.SERIOUS,
            title=f"DHIS2 导入摘要与所发数据不符：{message.destination.name}",
            evidence=f"报文 #{message.pk}：发送 {message.reconciliation.get('sent')} 个数据值，"
                     f"接收方计入 {sum(message.reconciliation.get(k, 0) for k in ('imported', 'updated', 'ignored', 'deleted'))} 个，"
                     f"冲突 {len(message.reconciliation.get('conflicts', []))} 个。",
            link=reverse("interop:message-detail", kwargs={"message_id": message.pk}),
            found_at=min(message.delivered_at or now, timezone.now()))
        raised += created
    return raised
