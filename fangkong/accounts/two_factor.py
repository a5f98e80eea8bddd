"""Two-factor sign-in (TOTP, django-otp) for commanders and system administrators.

- **Who**: ``TWO_FACTOR_ROLES`` may enrol an authenticator app (``accounts:two-factor-enrol``), optionally;
  with ``settings.TWO_FACTOR_REQUIRED`` (``FANGKONG_TWO_FACTOR_REQUIRED=1``) they must, and are sent to
  enrolment right after the password. Other roles have no second factor.
- **When it is due**: a user with a confirmed TOTP device, or one whose role must enrol. Until the code is
  given in the session (django-otp's ``OTPMiddleware``: ``request.user.is_verified()``), ``SecondFactorMiddleware``
  serves nothing but the one step due (the code, or enrolment) and the public pages (sign-out, language):
  every other page redirects there, every API call answers 403 ``second_factor_required``. API tokens
  carry no second factor: ``TokenAuthentication`` refuses the token of a user for whom it is due (such a
  user calls the API with the verified session).
- **Wrong codes** are bounded twice: django-otp throttles each device (after n failures the next code is
  refused for 2^(n-1) seconds, kept on the device across sessions, reset by a right code), and after
  ``FAILURES_PER_SESSION`` wrong codes the session is signed out (the password again). Failures are
  audited at most once per device per sign-in cool-off (``audit_record_bounded``).
- **Recovery codes**: ``RECOVERY_CODES`` single-use codes (an ``otp_static`` device) made at enrolment,
  shown once, stored as keyed hashes (``recovery_code_digest``), never in clear.
- Enrolment, removal and new recovery codes are audited on the user (``detail.two_factor``).
"""

from __future__ import annotations

import os
import re

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from rest_framework import authentication, exceptions

from fangkong.accounts.access import PUBLIC, access_policy_of, memberships_of
from fangkong.accounts.models import SealedTOTPDevice
from fangkong.accounts.roles import Role

TWO_FACTOR_ROLES = frozenset({Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.SYSTEM_ADMINISTRATOR})
FAILURES_PER_SESSION = 5
RECOVERY_CODES = 10
FAILURES_KEY = "_fangkong_second_factor_failures"
VERIFY, ENROL = "verify", "enrol"
_DUE_ATTR = "_fangkong_second_factor_due"

TOTP_CODE = re.compile(r"\d{6}")
RECOVERY_CODE = re.compile(r"[a-z2-7]{8}")


def may_enrol(user) -> bool:
    """Whether the user's role is one that may use two-factor sign-in."""
    return any(role in TWO_FACTOR_ROLES for _code, role in memberships_of(user))


def must_enrol(user) -> bool:
    return settings.TWO_FACTOR_REQUIRED and may_enrol(user)


def totp_device(user, *, confirmed: bool = True) -> SealedTOTPDevice | None:
    return SealedTOTPDevice.objects.devices_for_user(user, confirmed=confirmed).order_by("pk").first()


def totp_device_create(user) -> SealedTOTPDevice:
    """A new, unconfirmed device with a fresh 20-byte secret, stored sealed."""
    return SealedTOTPDevice.objects.create(user=user, name="authenticator", confirmed=False,
                                           key=SealedTOTPDevice.key_seal(os.urandom(20)))


def enrolled(user) -> bool:
    return SealedTOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def step_due(request) -> str | None:
    """The second-factor step the signed-in user of ``request`` still owes: ``VERIFY``, ``ENROL`` or None."""
    user = request.user
    if not user.is_authenticated:
        return None
    due = getattr(user, _DUE_ATTR, "")
    if due == "":
        if enrolled(user):
            due = None if user.is_verified() else VERIFY
        else:
            due = ENROL if must_enrol(user) else None
        setattr(user, _DUE_ATTR, due)
    return due


def step_done(user) -> None:
    """Forget the cached step of this request (after enrolment, removal or a right code)."""
    if hasattr(user, _DUE_ATTR):
        delattr(user, _DUE_ATTR)


def second_factor_step(step: str):
    """Mark a view as the page of one second-factor step: served while that step is due."""

    def decorate(view):
        view.fangkong_second_factor_step = step
        return view

    return decorate


def _step_of(view_func) -> str | None:
    for candidate in (view_func, getattr(view_func, "view_class", None), getattr(view_func, "cls", None)):
        step = getattr(candidate, "fangkong_second_factor_step", None)
        if step:
            return step
    return None


class SecondFactorMiddleware:
    """Until the second factor due is given, serve only its step and the public pages (module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        due = step_due(request)
        if due is None or access_policy_of(view_func) == PUBLIC or _step_of(view_func) == due:
            return None
        if request.path.startswith("/api/"):
            message = (_("Give the code of your authenticator app first (sign in on the web page).") if due == VERIFY
                       else _("Your role must use two-factor sign-in: enrol an authenticator app first."))
            return JsonResponse({"error": {"code": "second_factor_required", "message": message, "fields": {}}},
                                status=403)
        target = "accounts:two-factor-verify" if due == VERIFY else "accounts:two-factor-enrol"
        if request.method == "GET":
            return redirect_to_login(request.get_full_path(), target)
        return redirect(target)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, refusing the token of a user who owes a second factor: a token cannot
    carry one. Such a user calls the API with a session verified on the web page."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if enrolled(user) or must_enrol(user):
            raise exceptions.AuthenticationFailed(
                _("Two-factor users cannot use an API token: sign in on the web page and use that session."))
        return user, token


# --- recovery codes -----------------------------------------------------------------------------------------


def recovery_code_digest(code: str) -> str:
    """What is stored of a recovery code: a keyed hash (the secret key), 16 hex digits: StaticToken's column."""
    return salted_hmac("fangkong.accounts.recovery-code", code.strip().lower().replace("-", ""),
                       algorithm="sha256").hexdigest()[:16]


def recovery_codes_make(user) -> list[str]:
    """New recovery codes for ``user`` (the old ones dropped); returned once, stored only as digests."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=recovery_code_digest(c)) for c in codes)
    return [f"{c[:4]}-{c[4:]}" for c in codes]


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def recovery_device(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).first()


def code_normalise(code: str) -> tuple[str, str] | None:
    """``("totp", digits)`` or ``("recovery", code)`` for what a user typed, or None when it is neither."""
    compact = re.sub(r"[\s-]", "", code or "").lower()
    if TOTP_CODE.fullmatch(compact):
        return "totp", compact
    if RECOVERY_CODE.fullmatch(compact):
        return "recovery", compact
    return None
