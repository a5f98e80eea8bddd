"""Reads of protocol versions. Protocols are province-wide rules, not regional data: every signed-in
user with a membership may read them."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404

from fangkong.accounts.access import scope_prefixes
from fangkong.protocols.models import ProtocolVersion


class NoProtocolInForce(LookupError):
    """No protocol version was in force on the date asked for."""


def protocol_in_force(date: dt.date) -> ProtocolVersion:
    """The version in force on ``date``: the latest whose ``effective_from`` is not after it."""
    version = ProtocolVersion.objects.filter(effective_from__lte=date).order_by("-effective_from").first()
    if version is None:
        raise NoProtocolInForce(f"no protocol version in force on {date.isoformat()}")
    return version


def protocol_list(*, user) -> QuerySet[ProtocolVersion]:
    if not scope_prefixes(user):
        return ProtocolVersion.objects.none()
    return ProtocolVersion.objects.all()


def protocol_get(*, user, code: str) -> ProtocolVersion:
    version = protocol_list(user=user).filter(code=code).first()
    if version is None:
        raise Http404("not found")
    return version
