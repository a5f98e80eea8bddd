"""The coverage tally (``models.CoverageTally``): per county, category and due day, how many places are
inspected, never inspected, and how many rectification orders are unfinished — so that the coverage page
and API sum a few thousand rows instead of reading every place in scope.

Each place counts once, under (its county, its category, inspected or never, its ``next_due_on``); each
unfinished order once, under (its place's county and category, ``order``, its deadline). The services that
change one of those (registering and importing places, recording an inspection, moving an order on) call
``move`` with the key before and after, in their transaction: an increment of one row (``UPDATE … SET count
= count + 1``, the row lock serialises concurrent writers). Nothing is stored about "today": covered and
overdue are read by comparing the due day with the reader's day, so the figures follow the clock.

``rebuild`` recounts everything from the register (the migration that introduced the tally, the demo after
moving its dates, a bulk load that bypassed the services); ``coverage_counts`` reads it."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from .models import CoverageTally, Place, Rectification

Kind = CoverageTally.Kind
PLACE_KINDS = (Kind.INSPECTED, Kind.NEVER)


class Key(NamedTuple):
    county: str
    category: str
    kind: str
    due_on: dt.date


def place_key(place: Place) -> Key:
    kind = Kind.INSPECTED if place.last_inspected_on is not None else Kind.NEVER
    return Key(place.county_id, place.category, kind, place.next_due_on)


def order_key(order: Rectification, place: Place) -> Key | None:
    """The order's key, or None when it is finished (submitted or verified: not counted)."""
    if order.state not in Rectification.UNFINISHED:
        return None
    return Key(place.county_id, place.category, Kind.ORDER, order.deadline)


def shift(key: Key, delta: int) -> None:
    """Add ``delta`` to the tally row of ``key`` (created at ``delta`` when missing)."""
    if not delta:
        return
    row = CoverageTally.objects.filter(county_id=key.county, category=key.category, kind=key.kind,
                                       due_on=key.due_on)
    if row.update(count=F("count") + delta):
        return
    try:
        with transaction.atomic():
            CoverageTally.objects.create(county_id=key.county, category=key.category, kind=key.kind,
                                         due_on=key.due_on, count=delta)
    except IntegrityError:  # another transaction created it meanwhile
        row.update(count=F("count") + delta)


def move(before: Key | None, after: Key | None) -> None:
    """One place or order went from ``before`` to ``after`` (None: not counted)."""
    if before == after:
        return
    if before is not None:
        shift(before, -1)
    if after is not None:
        shift(after, 1)


def add_places(places) -> None:
    """Count newly created places (a bulk import)."""
    for key, n in Counter(place_key(p) for p in places).items():
        shift(key, n)


def rebuild() -> int:
    """Recount the whole tally from the places and orders; the number of rows written."""
    rows = [CoverageTally(county_id=r["county_id"], category=r["category"], due_on=r["next_due_on"], count=r[kind],
                          kind=kind)
            for r in Place.objects.order_by().values("county_id", "category", "next_due_on").annotate(
                **{Kind.INSPECTED: Count("id", filter=Q(last_inspected_on__isnull=False)),
                   Kind.NEVER: Count("id", filter=Q(last_inspected_on__isnull=True))})
            for kind in PLACE_KINDS if r[kind]]
    rows += [CoverageTally(county_id=r["place__county_id"], category=r["place__category"], kind=Kind.ORDER,
                           due_on=r["deadline"], count=r["n"])
             for r in Rectification.objects.order_by().filter(state__in=Rectification.UNFINISHED)
             .values("place__county_id", "place__category", "deadline").annotate(n=Count("id"))]
    with transaction.atomic():
        CoverageTally.objects.all().delete()
        CoverageTally.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def coverage_counts(tally: QuerySet, group: str, today: dt.date) -> QuerySet:
    """Per ``group`` (``county_id``): places, covered (inspected, due today or later), overdue (due before
    today), unfinished orders and those past their deadline — groups without a place left out."""

    def total(condition: Q):
        return Coalesce(Sum("count", filter=condition), 0)

    return (tally.order_by().values(group).annotate(
        places=total(Q(kind__in=PLACE_KINDS)),
        covered=total(Q(kind=Kind.INSPECTED, due_on__gte=today)),
        overdue=total(Q(kind__in=PLACE_KINDS, due_on__lt=today)),
        open=total(Q(kind=Kind.ORDER)),
        late=total(Q(kind=Kind.ORDER, due_on__lt=today)))
        .filter(places__gt=0).order_by(group))
