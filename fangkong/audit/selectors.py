"""Reads of the audit trail: system administrators only, within their regions' events and their own."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from fangkong.accounts.access import can, scope_prefixes
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent


def audit_event_list(*, user, action: str = "", username: str = "", object_type: str = "") -> QuerySet[AuditEvent]:
    if not can(user, Capability.AUDIT_BROWSE):
        return AuditEvent.objects.none()
    prefixes = scope_prefixes(user)
    # Events without a region (sign-in, imports) are visible to province-wide administrators only.
    condition = Q()
    for prefix in prefixes:
        condition |= Q(region_code__startswith=prefix)
    if any(len(p) == 2 for p in prefixes):
        condition |= Q(region_code="")
    qs = AuditEvent.objects.filter(condition)
    if action:
        qs = qs.filter(action=action)
    if username:
        qs = qs.filter(actor_username=username)
    if object_type:
        qs = qs.filter(object_type=object_type)
    return qs
