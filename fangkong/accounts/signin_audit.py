"""Audit events at sign-in, failed sign-in and sign-out, from Django's authentication signals."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="fangkong-audit-sign-in")
def _signed_in(sender, request, user, **kwargs):
    audit_record(actor=user, action=AuditEvent.Action.SIGN_IN, obj=user, request=request)


@receiver(user_login_failed, dispatch_uid="fangkong-audit-sign-in-failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    audit_record(
        actor=None, action=AuditEvent.Action.SIGN_IN_FAILED, request=request,
        detail={"username": str(credentials.get("username", ""))[:150]},
    )


@receiver(user_logged_out, dispatch_uid="fangkong-audit-sign-out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action=AuditEvent.Action.SIGN_OUT, obj=user, request=request)
