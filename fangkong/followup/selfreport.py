"""The personal self-report link: a signed, expiring token that opens one small phone form for one person
under management and one day, without signing in (issue 26).

- The token is Django's ``signing.dumps`` (a ``TimestampSigner``: HMAC with the secret key) of
  ``{"k": KIND, "s": subject id, "d": day}`` under this module's own salt: changing any character breaks
  the signature, and a value signed for anything else (a venue code, a paging cursor, another salt)
  does not verify here. The subject and the day come from the token only — never from the request —, so
  nothing but that person's form for that day is reachable with it.
- It expires: it is good on its day only (a link of yesterday opens nothing today, whatever it was used
  for) and never longer than ``MAX_AGE`` after it was signed.
- It is rate-limited with the platform's throttle cache (the cache django-axes counts failed sign-ins
  in, ``settings.AXES_CACHE``; fixed windows): ``ADDRESS_LIMIT`` requests per ``WINDOW`` from one client
  address, ``SUBJECT_LIMIT`` submissions per person and day.
- What it shows of the person: the first character of the name (so that a person sent the wrong link
  notices), the day of the period and the slots already reported. No number, no region, no other day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.services import client_ip

from .models import Subject

SALT = "fangkong.followup.self-report"
KIND = "followup-self-report"
MAX_AGE = dt.timedelta(hours=36)  # signed on its day at the earliest: the day's evening is covered
WINDOW = dt.timedelta(minutes=10)
ADDRESS_LIMIT = 30  # requests from one address per window (one household reports a few persons)
SUBJECT_LIMIT = 6  # submissions of one person and day (two slots, a few refusals)


class TokenRefused(Exception):
    """Why a token opens nothing: ``invalid`` (forged, altered, another kind of value), ``expired``, ``closed``
    (the person is no longer under management)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Opened:
    subject: Subject
    day: dt.date


def token_make(subject: Subject, day: dt.date) -> str:
    return signing.dumps({"k": KIND, "s": subject.pk, "d": day.isoformat()}, salt=SALT)


def link_path(subject: Subject, day: dt.date) -> str:
    return reverse("followup:self-report", kwargs={"token": token_make(subject, day)})


def token_open(token: str) -> Opened:
    """The person and day of ``token``; ``TokenRefused`` otherwise (module docstring)."""
    try:
        value = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired as exc:
        raise TokenRefused("expired") from exc
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise TokenRefused("invalid") from exc
    if not isinstance(value, dict) or value.get("k") != KIND or not isinstance(value.get("s"), int):
        raise TokenRefused("invalid")
    try:
        day = dt.date.fromisoformat(value.get("d") or "")
    except (TypeError, ValueError) as exc:
        raise TokenRefused("invalid") from exc
    if day != timezone.localdate():
        raise TokenRefused("expired")
    subject = Subject.objects.select_related("person").filter(pk=value["s"]).first()
    if subject is None or subject.status != Subject.Status.ACTIVE or not subject.covers(day):
        raise TokenRefused("closed")
    return Opened(subject=subject, day=day)


def _counted(key: str, limit: int, window: dt.timedelta) -> bool:
    """Count one more under ``key`` in the throttle cache; True once ``limit`` is passed in the window."""
    cache = caches[settings.AXES_CACHE]
    seconds = int(window.total_seconds())
    cache.add(key, 0, seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        count = 1
    return count > limit


def address_throttled(request) -> bool:
    return _counted(f"followup-self:ip:{client_ip(request) or '-'}", ADDRESS_LIMIT, WINDOW)


def subject_throttled(opened: Opened) -> bool:
    return _counted(f"followup-self:subject:{opened.subject.pk}:{opened.day.isoformat()}", SUBJECT_LIMIT,
                    dt.timedelta(days=1))


def name_hint(subject: Subject) -> str:
    """The first character of the name and a star per other one: enough for the person to know it is theirs."""
    name = subject.person.name or ""
    return name[:1] + "*" * max(len(name) - 1, 1)
