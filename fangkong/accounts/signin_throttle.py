"""What a locked-out sign-in gets: the sign-in page saying so, HTTP 429 (django-axes calls ``locked_out``).

The counting and the lock-out are django-axes's (settings: ``AXES_*``, from ``FANGKONG_SIGNIN_*``); the
audit events of failures and lock-outs are written, bounded, in ``fangkong.accounts.signin_audit``.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.shortcuts import render


def cooloff_minutes() -> int:
    return max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def locked_out(request, original_response=None, credentials=None):
    return render(request, "registration/login.html", {
        "locked_out": True, "cooloff_minutes": cooloff_minutes(),
        "next": request.POST.get("next", "") or request.GET.get("next", ""),
    }, status=429)
