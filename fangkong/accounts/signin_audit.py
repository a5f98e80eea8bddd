"""Audit events at sign-in, failed sign-in, lock-out and sign-out, from Django's and django-axes's signals.

Failures and lock-outs are triggered by clients nobody has vetted, so they are written bounded
(``audit_record_bounded``): for an existing account at most one failure event and one lock-out event per
cool-off period (the lock-out event carries the count of failures); for names that do not exist, one
failure event per name and one lock-out event per address per cool-off, and at most
``AUDIT_UNKNOWN_SIGNIN_EVENTS_PER_HOUR`` such events in all per hour. The trail thus grows by at most
2 × accounts × (60 / cool-off minutes) + that cap events per hour, however hard it is hammered; the
counting itself lives in django-axes's cache.
"""

from __future__ import annotations

import datetime as dt

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record, audit_record_bounded, client_ip

HOUR = dt.timedelta(hours=1)


@receiver(user_logged_in, dispatch_uid="fangkong-audit-sign-in")
def _signed_in(sender, request, user, **kwargs):
    audit_record(actor=user, action=AuditEvent.Action.SIGN_IN, obj=user, request=request)


def _account(username: str):
    return get_user_model().objects.filter(username=username).only("pk").first() if username else None


def _unknown_names_cap() -> tuple[int, dt.timedelta, dict]:
    return (settings.AUDIT_UNKNOWN_SIGNIN_EVENTS_PER_HOUR, HOUR,
            {"action__in": [AuditEvent.Action.SIGN_IN_FAILED, AuditEvent.Action.SIGN_IN_LOCKED], "object_type": ""})


@receiver(user_login_failed, dispatch_uid="fangkong-audit-sign-in-failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    account = _account(username)
    action, cooloff = AuditEvent.Action.SIGN_IN_FAILED, settings.AXES_COOLOFF_TIME
    if account is not None:
        limits = [(1, cooloff, {"action": action, "object_type": "accounts.user", "object_id": str(account.pk)})]
    else:
        limits = [(1, cooloff, {"action": action, "object_type": "", "actor_username": username}), _unknown_names_cap()]
    audit_record_bounded(limits=limits, actor=None, action=action, obj=account, request=request,
                         detail={"username": username})


@receiver(user_locked_out, dispatch_uid="fangkong-audit-locked-out")
def _locked_out(sender, request, username=None, ip_address=None, **kwargs):
    username = str(username or "")[:150]
    account = _account(username)
    action, cooloff = AuditEvent.Action.SIGN_IN_LOCKED, settings.AXES_COOLOFF_TIME
    if account is not None:
        limits = [(1, cooloff, {"action": action, "object_type": "accounts.user", "object_id": str(account.pk)})]
    else:
        limits = [(1, cooloff, {"action": action, "object_type": "", "source_ip": client_ip(request)}),
                  _unknown_names_cap()]
    audit_record_bounded(limits=limits, actor=None, action=action, obj=account, request=request, detail={
        "username": username, "failures": getattr(request, "axes_failures_since_start", None),
        "limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": int(cooloff.total_seconds() // 60)})


@receiver(user_logged_out, dispatch_uid="fangkong-audit-sign-out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action=AuditEvent.Action.SIGN_OUT, obj=user, request=request)
