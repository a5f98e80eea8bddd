"""Reads of the person registry: named data, so only where the user's role may read named line lists
(``fangkong.accounts.need_to_know``), by address region."""

from __future__ import annotations

from django.db.models import QuerySet

from fangkong.accounts.need_to_know import Category, readable, readable_or_404
from fangkong.persons.models import Person

SCOPE_FIELD = "address_region__code"  # resolves to the foreign-key column, no join


def person_list(*, user, search: str = "") -> QuerySet[Person]:
    qs = readable(user, Category.NAMED, Person.objects.select_related("address_region"), SCOPE_FIELD)
    if search:
        qs = qs.filter(name__icontains=search)
    return qs


def person_get(*, user, person_id) -> Person:
    return readable_or_404(user, Category.NAMED, Person.objects.select_related("address_region"), SCOPE_FIELD,
                           pk=person_id)
