"""The one way to write to the audit trail."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from fangkong.audit.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    """The peer address Django saw; a reverse proxy in front must set REMOTE_ADDR correctly."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    region_code: str = "",
    request: HttpRequest | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one audit event. ``obj`` (a model instance) fills type and id when given."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else (detail or {}).get("username", ""),
        action=action,
        object_type=object_type,
        object_id=object_id,
        region_code=region_code,
        source_ip=client_ip(request),
        detail=detail or {},
    )
