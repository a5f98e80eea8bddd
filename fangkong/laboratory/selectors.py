"""Reads of the laboratory module, always scoped to the user's regions."""

from __future__ import annotations

from django.db.models import QuerySet

from fangkong.accounts.access import get_in_scope_or_404, scoped

from .models import Entry

SCOPE = "region__code"


def entry_list(*, user) -> QuerySet[Entry]:
    return scoped(user, Entry.objects.select_related("region"), SCOPE)


def entry_get(*, user, entry_id: int) -> Entry:
    return get_in_scope_or_404(user, Entry.objects.select_related("region"), SCOPE, pk=entry_id)
