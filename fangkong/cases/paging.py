"""Keyset ("seek") pagination of the case and contact line lists, with a capped count.

OFFSET paging reads and throws away every row before the page, and an exact ``COUNT(*)`` reads every row in
scope: both grow with the list. Here a page is read *after* (or *before*) the sort key of a row the user
saw — ``WHERE (reported_at, id) < (…, …) ORDER BY reported_at DESC, id DESC LIMIT 51`` — which an index on
the sort key answers by reading just the page, however deep; and the count stops at ``COUNT_CAP``
("1,000+").

- Every ordering ends with a unique column (``id``), so the order is total and a cursor is one position;
  rows inserted or removed elsewhere never shift a page (stable under the filters: a cursor only says
  where to start, the filters are applied as usual).
- Nullable columns (the onset date) sort last in both directions (``NULLS LAST``, the same on PostgreSQL
  and SQLite), and the seek condition knows it.
- A cursor is an opaque URL-safe token (the ordering name and the key values); one made for another
  ordering, or that does not parse, is ignored: the list starts from its first page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass, field
from functools import reduce
from operator import and_, or_

from django.db import models
from django.db.models import F, Q, QuerySet

COUNT_CAP = 1000


@dataclass(frozen=True)
class Key:
    name: str  # the model field (``report_region_id`` for a foreign key's column)
    descending: bool
    nullable: bool
    kind: str  # datetime, date, int, str


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str = ""
    previous_cursor: str = ""
    count: int = 0  # at most COUNT_CAP
    count_capped: bool = False  # more rows than COUNT_CAP
    keys: list[Key] = field(default_factory=list, repr=False)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_cursor)


def keys_of(model, order: tuple[str, ...]) -> list[Key]:
    keys = []
    for spec in order:
        name = spec.lstrip("-")
        model_field = model._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
        if isinstance(model_field, models.ForeignKey):
            target = model_field.target_field
            kind = "int" if isinstance(target, models.IntegerField | models.AutoField) else "str"
            name = model_field.attname
        elif isinstance(model_field, models.DateTimeField):
            kind = "datetime"
        elif isinstance(model_field, models.DateField):
            kind = "date"
        elif isinstance(model_field, models.IntegerField | models.AutoField):
            kind = "int"
        else:
            kind = "str"
        keys.append(Key(name, spec.startswith("-"), bool(model_field.null), kind))
    return keys


def _encode(ordering: str, values: list) -> str:
    raw = json.dumps([ordering, [v.isoformat() if hasattr(v, "isoformat") else v for v in values]],
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(token: str, ordering: str, keys: list[Key]) -> list | None:
    try:
        name, raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if name != ordering or len(raw) != len(keys):
            return None
        values = []
        for key, value in zip(keys, raw, strict=True):
            if value is None:
                if not key.nullable:
                    return None
                values.append(None)
            elif key.kind == "datetime":
                values.append(dt.datetime.fromisoformat(value))
            elif key.kind == "date":
                values.append(dt.date.fromisoformat(value))
            elif key.kind == "int":
                values.append(int(value))
            else:
                values.append(str(value))
        return values
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None


def _beyond(key: Key, value, *, forward: bool) -> Q | None:
    """Rows strictly after (``forward``) or before ``value`` on this key alone, nulls sorting last."""
    if value is None:  # nothing sorts after a null; every non-null sorts before it
        return None if forward else Q(**{f"{key.name}__isnull": False})
    greater = key.descending != forward  # moving forward on a descending key means smaller values
    q = Q(**{f"{key.name}__{'gt' if greater else 'lt'}": value})
    if forward and key.nullable:
        q |= Q(**{f"{key.name}__isnull": True})
    return q


def _equal(key: Key, value) -> Q:
    return Q(**{f"{key.name}__isnull": True}) if value is None else Q(**{key.name: value})


def _seek(keys: list[Key], values: list, *, forward: bool) -> Q:
    """Lexicographic "after/before the cursor": OR over k of (keys before k equal AND key k beyond)."""
    terms = []
    for k, key in enumerate(keys):
        beyond = _beyond(key, values[k], forward=forward)
        if beyond is None:
            continue
        terms.append(reduce(and_, [_equal(keys[j], values[j]) for j in range(k)], beyond))
    if not terms:
        return Q(pk__in=[])
    seek = reduce(or_, terms)
    first, value = keys[0], values[0]
    if value is not None and not first.nullable:  # a plain range on the leading column helps the index
        bound = "lte" if first.descending == forward else "gte"
        seek &= Q(**{f"{first.name}__{bound}": value})
    return seek


def _order(keys: list[Key], *, reverse: bool = False) -> list:
    """ORDER BY of the keys (nullable ones nulls last), or of the reversed order (nulls first) to read a page
    backwards. A column that cannot be null is ordered plainly, so that an index on it serves the order
    (PostgreSQL will not read an index backwards for ``DESC NULLS LAST``)."""
    exprs = []
    for key in keys:
        column = F(key.name)
        descending = key.descending != reverse
        if not key.nullable:
            exprs.append(column.desc() if descending else column.asc())
        elif descending:
            exprs.append(column.desc(nulls_first=True) if reverse else column.desc(nulls_last=True))
        else:
            exprs.append(column.asc(nulls_first=True) if reverse else column.asc(nulls_last=True))
    return exprs


def ordered(queryset: QuerySet, order: tuple[str, ...]) -> QuerySet:
    """``queryset`` in ``order`` as the pages show it (nullable columns last, the same on every database)."""
    return queryset.order_by(*_order(keys_of(queryset.model, order)))


def _values(row, keys: list[Key]) -> list:
    return [getattr(row, key.name) for key in keys]


def capped_count(queryset: QuerySet, cap: int | None = None) -> tuple[int, bool]:
    """(rows, capped): the number of rows up to ``cap`` (``COUNT_CAP``); ``capped`` when there are more."""
    cap = COUNT_CAP if cap is None else cap
    n = queryset.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap


def keyset_page(queryset: QuerySet, *, order: tuple[str, ...], ordering: str, size: int, after: str = "",
                before: str = "") -> KeysetPage:
    """The page of ``queryset`` in ``order`` starting after the ``after`` cursor (or ending before the
    ``before`` cursor; with neither, the first page), with the cursors of the pages around it."""
    keys = keys_of(queryset.model, order)
    count, capped = capped_count(queryset)
    base = queryset.order_by(*_order(keys))
    before_values = _decode(before, ordering, keys) if before else None
    after_values = _decode(after, ordering, keys) if after and before_values is None else None
    if before_values is not None:
        rows = list(queryset.filter(_seek(keys, before_values, forward=False))
                    .order_by(*_order(keys, reverse=True))[: size + 1])
        if len(rows) > size:
            rows = rows[:size][::-1]
            return KeysetPage(rows, next_cursor=_encode(ordering, _values(rows[-1], keys)),
                              previous_cursor=_encode(ordering, _values(rows[0], keys)), count=count,
                              count_capped=capped, keys=keys)
        after_values = None  # fewer than a page before it: that is the first page
    if after_values is not None:
        rows = list(base.filter(_seek(keys, after_values, forward=True))[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return KeysetPage(rows, next_cursor=_encode(ordering, _values(rows[-1], keys)) if more else "",
                          previous_cursor=_encode(ordering, _values(rows[0], keys)) if rows else "",
                          count=count, count_capped=capped, keys=keys)
    rows = list(base[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(rows, next_cursor=_encode(ordering, _values(rows[-1], keys)) if more else "", count=count,
                      count_capped=capped, keys=keys)
