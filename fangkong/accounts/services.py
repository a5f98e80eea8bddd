"""Writes to accounts: creating users with their region memberships."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.regions.models import Region


@transaction.atomic
def user_create(
    *, username: str, password: str, memberships: Iterable[tuple[str, str]], display_name: str = "",
    actor=None, validate_password: bool = True,
) -> User:
    """Create a user holding the given (region code, role) memberships."""
    memberships = list(memberships)
    errors: dict[str, list[str]] = {}
    for code, role in memberships:
        if role not in Role.values:
            errors.setdefault("role", []).append(f"unknown role {role!r}")
        if not Region.objects.filter(code=code).exists():
            errors.setdefault("region", []).append(f"unknown region {code!r}")
    if User.objects.filter(username=username).exists():
        errors.setdefault("username", []).append("a user with this name exists")
    user = User(username=username, display_name=display_name)
    if validate_password:
        from django.contrib.auth.password_validation import validate_password as check

        try:
            check(password, user)
        except ValidationError as exc:
            errors.setdefault("password", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    for code, role in memberships:
        Membership.objects.create(user=user, region_id=code, role=role)
    audit_record(
        actor=actor, action=AuditEvent.Action.CREATE, obj=user,
        region_code=memberships[0][0] if memberships else "",
        detail={"memberships": [list(m) for m in memberships]},
    )
    return user


# --- two-factor sign-in (fangkong.accounts.two_factor) ---------------------------------------------------


@transaction.atomic
def two_factor_enrol(*, user, device, code: str, request=None) -> list[str] | None:
    """Confirm ``device`` (the user's unconfirmed TOTP device) with a code from the app: the user is then
    enrolled, verified for this session, and gets new recovery codes (returned, to be shown once).
    None when the code is wrong (throttled by the device, like any code)."""
    from django_otp import login as otp_login

    from fangkong.accounts import two_factor

    if device.user_id != user.pk or device.confirmed or not device.verify_token(code):
        return None
    TOTPDevice = type(device)
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = two_factor.recovery_codes_make(user)
    if request is not None:
        otp_login(request, device)
        request.session.pop(two_factor.FAILURES_KEY, None)
    two_factor.step_done(user)
    audit_record(actor=user, action=AuditEvent.Action.CREATE, obj=user, request=request,
                 detail={"two_factor": "enrolled", "recovery_codes": len(codes)})
    return codes


@transaction.atomic
def two_factor_remove(*, user, actor, request=None) -> bool:
    """Remove the user's authenticator and recovery codes (the user, or an administrator's command for a
    lost phone); audited. False when the user had none."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from fangkong.accounts import two_factor

    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    two_factor.step_done(user)
    if removed:
        audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=user, request=request,
                     detail={"two_factor": "removed"})
    return bool(removed)


@transaction.atomic
def two_factor_recovery_codes_renew(*, user, request=None) -> list[str]:
    """New recovery codes for an enrolled user (the old ones stop working); audited without the codes."""
    from fangkong.accounts import two_factor

    codes = two_factor.recovery_codes_make(user)
    audit_record(actor=user, action=AuditEvent.Action.UPDATE, obj=user, request=request,
                 detail={"two_factor": "recovery_codes_renewed", "recovery_codes": len(codes)})
    return codes


def second_factor_verify(*, request, code: str) -> str:
    """Check the code the signed-in user of ``request`` typed (a TOTP code or a recovery code): ``"ok"`` (the
    session is verified), ``"wrong"``, ``"throttled"`` (the device refuses codes for a while: nothing was
    checked) or ``"signed_out"`` (``FAILURES_PER_SESSION`` wrong codes: the session ends). Failures are
    audited, bounded per user per sign-in cool-off."""
    import datetime as dt

    from django.conf import settings
    from django.contrib.auth import logout
    from django_otp import login as otp_login

    from fangkong.accounts import two_factor
    from fangkong.audit.services import audit_record_bounded

    user = request.user
    kind_code = two_factor.code_normalise(code)
    if kind_code is not None and kind_code[0] == "recovery":
        device, token = two_factor.recovery_device(user), two_factor.recovery_code_digest(kind_code[1])
    else:
        device, token = two_factor.totp_device(user), kind_code[1] if kind_code else ""
    if device is None:
        return "wrong"
    allowed, _why = device.verify_is_allowed()
    if not allowed:
        return "throttled"
    with transaction.atomic():
        device = type(device).objects.select_for_update().get(pk=device.pk)
        verified = bool(token) and device.verify_token(token)
        if not token:
            device.throttle_increment()
    if verified:
        otp_login(request, device)
        request.session.pop(two_factor.FAILURES_KEY, None)
        two_factor.step_done(user)
        detail = {"two_factor": "verified", "with": kind_code[0]}
        if kind_code[0] == "recovery":
            detail["recovery_codes_left"] = two_factor.recovery_codes_left(user)
        audit_record(actor=user, action=AuditEvent.Action.SIGN_IN, obj=user, request=request, detail=detail)
        return "ok"
    failures = int(request.session.get(two_factor.FAILURES_KEY, 0)) + 1
    request.session[two_factor.FAILURES_KEY] = failures
    cooloff = settings.AXES_COOLOFF_TIME or dt.timedelta(minutes=30)
    audit_record_bounded(
        limits=[(1, cooloff, {"action": AuditEvent.Action.SIGN_IN_FAILED, "object_type": "accounts.user",
                              "object_id": str(user.pk), "detail__two_factor": "wrong_code"})],
        actor=user, action=AuditEvent.Action.SIGN_IN_FAILED, obj=user, request=request,
        detail={"two_factor": "wrong_code", "username": user.get_username(),
                "device_failures": device.throttling_failure_count})
    if failures >= two_factor.FAILURES_PER_SESSION:
        logout(request)
        return "signed_out"
    return "wrong"
