"""Reads of the interop module, always scoped: the queue by the region whose data each message carries (read
as aggregates: the page shows states, attempts and answers, never a payload's persons), destinations by the
region of the administrator who configured them (reference data: no credential is ever read here)."""

from __future__ import annotations

from django.db.models import QuerySet

from fangkong.accounts.need_to_know import Category, readable, readable_or_404

from .models import Destination, OutboundMessage

MESSAGE_SCOPE = "region__code"
DESTINATION_SCOPE = "region__code"


def message_list(*, user, state: str = "") -> QuerySet[OutboundMessage]:
    rows = OutboundMessage.objects.select_related("destination", "region").defer("payload")
    if state:
        rows = rows.filter(state=state)
    return readable(user, Category.AGGREGATES, rows, MESSAGE_SCOPE)


def message_get(*, user, message_id: int) -> OutboundMessage:
    return readable_or_404(user, Category.AGGREGATES, OutboundMessage.objects.select_related("destination", "region"),
                           MESSAGE_SCOPE, pk=message_id)


def destination_list(*, user) -> QuerySet[Destination]:
    return readable(user, Category.REFERENCE, Destination.objects.select_related("region").defer("secret_sealed"),
                    DESTINATION_SCOPE)


def destination_get(*, user, destination_id: int) -> Destination:
    return readable_or_404(user, Category.REFERENCE, Destination.objects.select_related("region"),
                           DESTINATION_SCOPE, pk=destination_id)
