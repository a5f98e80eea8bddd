"""Pages of two-factor sign-in: the code step after the password, enrolment, and the user's own settings.

Thin: the checks and writes are ``fangkong.accounts.services`` (``second_factor_verify``, ``two_factor_enrol``,
``two_factor_remove``, ``two_factor_recovery_codes_renew``); ``fangkong.accounts.two_factor`` says when a
step is due.
"""

from __future__ import annotations

import base64
import io

import segno
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from fangkong.accounts import services, two_factor
from fangkong.accounts.access import region_scoped
from fangkong.accounts.models import SealedTOTPDevice
from fangkong.accounts.need_to_know import Category, shows
from fangkong.request_params import Query, Text, query_params


class NextQuery(Query):
    next = Text(max_length=2000, help_text="the page to go to once the code is given")


def _next_url(request) -> str:
    target = request.POST.get("next") or request.params.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return "/"


def _qr_svg(data: str) -> str:
    """The enrolment's QR code as inline SVG, drawn here (segno): nothing is fetched from anywhere."""
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True,
                                     title=_("QR code for your authenticator app"))
    return out.getvalue().decode("utf-8")


#: Context of the pages shown before the second factor: the shell as on the sign-in page (no navigation, no
#: region switcher, no user name): nothing of the account is shown to someone who only has the password.
BEFORE_SECOND_FACTOR = {"user": AnonymousUser()}


def _secret_groups(device: SealedTOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@region_scoped
@shows(Category.REFERENCE)
@two_factor.second_factor_step(two_factor.VERIFY)
@query_params(NextQuery)
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The code step after the password, for an enrolled user."""
    if two_factor.step_due(request) != two_factor.VERIFY:
        return redirect(_next_url(request))
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        if two_factor.code_normalise(code) is None:
            error = _("Type the six digits your authenticator app shows, or one of your recovery codes.")
        else:
            outcome = services.second_factor_verify(request=request, code=code)
            if outcome == "ok":
                return redirect(_next_url(request))
            if outcome == "signed_out":
                messages.error(request, _("Too many wrong codes: you were signed out. Sign in again."))
                return redirect("web:login")
            error = (_("Too many wrong codes: wait a moment before the next try.") if outcome == "throttled"
                     else _("This code is wrong or has expired."))
    return render(request, "accounts/two_factor_verify.html",
                  {**BEFORE_SECOND_FACTOR, "error": error, "next": _next_url(request)}, status=400 if error else 200)


@region_scoped
@shows(Category.REFERENCE)
@two_factor.second_factor_step(two_factor.ENROL)
@query_params(NextQuery)
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request):
    """Enrolment: scan the QR code, confirm with a code; the recovery codes are shown once."""
    user = request.user
    if not two_factor.may_enrol(user):
        raise PermissionDenied(_("Your role does not use two-factor sign-in."))
    if two_factor.enrolled(user):
        return redirect("accounts:two-factor")
    device = two_factor.totp_device(user, confirmed=False) or two_factor.totp_device_create(user)
    error = ""
    if request.method == "POST":
        code = two_factor.code_normalise(request.POST.get("code", ""))
        if code is None or code[0] != "totp":
            error = _("Type the six digits your authenticator app shows.")
        else:
            codes = services.two_factor_enrol(user=user, device=device, code=code[1], request=request)
            if codes is not None:
                return render(request, "accounts/two_factor_codes.html", {"codes": codes, "next": _next_url(request)})
            error = _("This code is wrong or has expired.")
    due = two_factor.step_due(request) == two_factor.ENROL
    return render(request, "accounts/two_factor_enrol.html", {
        **(BEFORE_SECOND_FACTOR if due else {}),
        "qr_svg": mark_safe(_qr_svg(device.config_url)),  # noqa: S308 - drawn by segno from our own data
        "secret": _secret_groups(device), "error": error, "required": two_factor.must_enrol(user),
        "next": _next_url(request),
    }, status=400 if error else 200)


@region_scoped
@shows(Category.REFERENCE)
@require_http_methods(["GET", "POST"])
def two_factor_settings(request):
    """The user's two-factor settings: status, new recovery codes, removal (with the password)."""
    user = request.user
    if request.method == "POST":
        if not two_factor.enrolled(user):
            return redirect("accounts:two-factor")
        if request.POST.get("action") == "recovery_codes":
            codes = services.two_factor_recovery_codes_renew(user=user, request=request)
            return render(request, "accounts/two_factor_codes.html", {"codes": codes, "next": "/"})
        if request.POST.get("action") == "remove":
            password = request.POST.get("password", "")
            if not password or authenticate(request, username=user.get_username(), password=password) is None:
                return render(request, "accounts/two_factor_settings.html", {
                    **_settings_context(user),
                    "password_error": _("The password is wrong: two-factor sign-in was not removed.")}, status=400)
            services.two_factor_remove(user=user, actor=user, request=request)
            messages.success(request, _("Two-factor sign-in removed."))
            return redirect("accounts:two-factor")
    return render(request, "accounts/two_factor_settings.html", _settings_context(user))


def _settings_context(user) -> dict:
    device = two_factor.totp_device(user)
    return {"may_enrol": two_factor.may_enrol(user), "required": two_factor.must_enrol(user), "device": device,
            "recovery_codes_left": two_factor.recovery_codes_left(user) if device else 0}
