"""Reads of the person registry, always scoped to the user's regions (by address region)."""

from __future__ import annotations

from django.db.models import QuerySet

from fangkong.accounts.access import get_in_scope_or_404, scoped
from fangkong.persons.models import Person

SCOPE_FIELD = "address_region__code"  # resolves to the foreign-key column, no join


def person_list(*, user, search: str = "") -> QuerySet[Person]:
    qs = scoped(user, Person.objects.select_related("address_region"), SCOPE_FIELD)
    if search:
        qs = qs.filter(name__icontains=search)
    return qs


def person_get(*, user, person_id) -> Person:
    return get_in_scope_or_404(user, Person.objects.select_related("address_region"), SCOPE_FIELD, pk=person_id)
