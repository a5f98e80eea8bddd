"""The one way to write to the audit trail.

``audit_record`` appends one event to the hash chain (``fangkong.audit.chain``). ``audit_record_bounded``
appends it only while fewer than a limit of matching events lie within a window: for events that
clients nobody has vetted can trigger at will (failed sign-ins, refused access), so that they cannot grow
the trail without bound. The count is taken under the chain's lock, so concurrent writers cannot both
slip under the limit.

The request being served is remembered for the thread (``CurrentRequestMiddleware``), so events written
deep inside a selector still carry the client's address.

A clear view of personal data (a reveal, an export in clear) needs a stated reason: ``reason_clean``
checks it (the services call it before anything is decrypted), and the event keeps it in its own column.
Every exported file carries ``export_watermark``: who exported it and when, so a leaked copy can be traced.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.chain import (
    CHAIN_VERSION,
    GENESIS,
    REDACTED,
    STORED_FIELDS,
    canonical_ip,
    chain_lock,
    content_digest,
    event_digest,
)
from fangkong.audit.models import AuditEvent

_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "fangkong_current_request", default=None)


class CurrentRequestMiddleware:
    """Remember the request for ``audit_record`` calls that are not handed one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def current_request() -> HttpRequest | None:
    return _current_request.get()


def client_ip(request: HttpRequest | None) -> str | None:
    """The peer address Django saw; a reverse proxy in front must set REMOTE_ADDR correctly."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or None
    try:
        return canonical_ip(address)
    except ValueError:
        return None


REASON_MAX_CHARS = 200
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W\d_]{2,}")


def reason_clean(reason) -> str:
    """The reason given for a clear view, whitespace collapsed, when it is a short sentence: at least four
    Chinese characters ("流调电话核实") or three words ("call to arrange tests"), at most
    ``REASON_MAX_CHARS`` characters; ``ValidationError`` on ``reason`` otherwise (missing, blank, "x",
    "123456", "ok")."""
    text = " ".join(str(reason or "").split())
    if not text:
        raise ValidationError({"reason": [_("State why you need to see these data in clear.")]})
    if len(_CJK.findall(text)) < 4 and len(_WORD.findall(_CJK.sub(" ", text))) < 3:
        raise ValidationError({"reason": [_("Say in a short sentence why you need to see these data in clear "
                                            "(at least four Chinese characters or three words).")]})
    if len(text) > REASON_MAX_CHARS:
        raise ValidationError({"reason": [_("At most %(limit)d characters.") % {"limit": REASON_MAX_CHARS}]})
    return text


def export_watermark(*, user, exported_at: dt.datetime, filters: dict | None = None) -> str:
    """The line every exported file starts with: who exported it, when, which filters."""
    return _("Exported by %(user)s at %(time)s; filters: %(filters)s") % {
        "user": user.get_username(), "time": timezone.localtime(exported_at).isoformat(timespec="seconds"),
        "filters": json.dumps({k: str(v) for k, v in (filters or {}).items() if v}, ensure_ascii=False,
                              sort_keys=True)}


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
    reason: str = "",
) -> AuditEvent:
    """Append one audit event. ``obj`` (a model instance) fills type and id when given.

    ``reason`` is the user's stated reason (a reveal, an export, an override); it has its own column.
    """
    event = _event(actor=actor, action=action, obj=obj, object_type=object_type, object_id=object_id,
                   region_code=region_code, request=request, detail=detail, reason=reason)
    with transaction.atomic():
        chain_lock()
        return _append(event)


def audit_record_bounded(*, limits: list[tuple[int, dt.timedelta, dict]], **event_fields) -> AuditEvent | None:
    """Like ``audit_record``, unless for one of ``limits`` — (limit, window, match: field lookups) — ``limit``
    events matching ``match`` already lie within ``window``.

    The event that reaches a limit carries ``"limit_reached": true`` in its detail, so a reader knows
    that further ones in the window were not written. Returns ``None`` when nothing was written.
    """
    event = _event(**event_fields)
    with transaction.atomic():
        chain_lock()
        now = timezone.now()
        reached = False
        for limit, window, match in limits:
            recent = AuditEvent.objects.filter(occurred_at__gte=now - window, **match).count()
            if recent >= limit:
                return None
            reached = reached or recent == limit - 1
        if reached:
            event.detail = {**event.detail, "limit_reached": True}
        return _append(event)


def _event(*, actor, action, obj=None, object_type="", object_id="", region_code="", request=None,
           detail=None, reason="") -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else str((detail or {}).get("username", ""))[:150],
        action=action,
        object_type=object_type[:64],
        object_id=str(object_id)[:64],
        region_code=region_code or "",
        source_ip=client_ip(request if request is not None else current_request()),
        detail=detail or {},
        reason=(reason or "").strip(),
    )


def _append(event: AuditEvent) -> AuditEvent:
    """Chain ``event`` onto the newest event and insert it (the caller holds the chain lock)."""
    event.previous_hash = AuditEvent.objects.order_by("-id").values_list("event_hash", flat=True).first() or GENESIS
    event.occurred_at = timezone.now()
    event.chain_version = CHAIN_VERSION
    event.content_digest = content_digest(event.detail, event.reason)
    event.event_hash = event_digest({field: getattr(event, field) for field in STORED_FIELDS})
    event.save(force_insert=True)
    return event


def audit_refusal(*, actor, object_type: str = "", object_id: str = "", detail: dict | None = None,
                  request: HttpRequest | None = None) -> AuditEvent | None:
    """Record that a signed-in user was refused an object or an action, at most
    ``AUDIT_REFUSALS_PER_USER_PER_HOUR`` times per user per hour (anonymous clients are not recorded)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    from django.conf import settings

    action = AuditEvent.Action.ACCESS_REFUSED
    limit = (settings.AUDIT_REFUSALS_PER_USER_PER_HOUR, dt.timedelta(hours=1), {"action": action, "actor": actor})
    return audit_record_bounded(limits=[limit], actor=actor, action=action, object_type=object_type,
                                object_id=object_id, request=request, detail=detail)


def audit_redact(*, events_by_reference: dict[str, list[int]]) -> int:
    """Drop the ``detail`` and ``reason`` of version-2 events, keeping in their place
    ``{"redacted": <reference>}`` (the pseudonymous reference of the person they were about): the one change
    the append-only trigger allows (``fangkong.audit.chain``, version 2). Version-1 events are left as they
    are (their hash covers their detail). Returns the number of events redacted. Called by the retention
    purge (``fangkong.retention.purge``) in its batch's transaction; the purge's own events say it ran."""
    from django.db import connection

    done = 0
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        for reference, ids in events_by_reference.items():
            for start in range(0, len(ids), 500):
                chunk = list(ids[start:start + 500])
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"UPDATE audit_auditevent SET detail = %s{cast}, reason = '' "  # noqa: S608
                               f"WHERE chain_version >= 2 AND id IN ({marks})",
                               [json.dumps({REDACTED: reference}), *chunk])
                done += cursor.rowcount
    return done
