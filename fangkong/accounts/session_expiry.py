"""Idle session expiry: a signed-in session ends ``SESSION_IDLE_SECONDS`` after its last request (default 8 h).

Django stores a session's expiry when it saves the session (``SESSION_COOKIE_AGE`` = the idle time from
then). Saving on every request would write the session row on every request; instead this middleware
marks the session for saving when ``SESSION_RENEW_SECONDS`` (at most 5 minutes) have passed since the
last renewal, so a session ends between ``idle − renew`` and ``idle`` seconds after the last request.
Sign-in stamps the session, so the requests right after it write nothing more.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

RENEWED_AT = "_fangkong_renewed_at"


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY) is not None:
            now = int(time.time())
            if now - int(session.get(RENEWED_AT, 0)) >= settings.SESSION_RENEW_SECONDS:
                session[RENEWED_AT] = now  # modified: saved with a fresh expiry, the cookie sent again
        return self.get_response(request)


@receiver(user_logged_in, dispatch_uid="fangkong-session-renewed-at-sign-in")
def _stamp_at_sign_in(sender, request, user, **kwargs):
    if request is not None and getattr(request, "session", None) is not None:
        request.session[RENEWED_AT] = int(time.time())
