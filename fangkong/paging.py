"""The one way a list is paged, on pages and in the API: keyset ("seek") paging with signed cursors.

OFFSET paging reads and throws away every row before the page, and an exact ``COUNT(*)`` reads every row in
scope: both grow with the list. Here a page is read *after* (or *before*) the sort key of a row the user
saw — ``WHERE (reported_at, id) < (…, …) ORDER BY reported_at DESC, id DESC LIMIT 51`` — which an index on
the sort key answers by reading just the page, however deep. The count stops at ``COUNT_CAP`` ("1,000+");
a list whose count alone costs too much (the alerts of a province) is paged **uncounted**
(``counted=False``): no count at all, only whether there is a next page.

- Every ordering ends with a unique column (``id``, added when the ordering lacks it), so the order is
  total and a cursor is one position; rows inserted or removed elsewhere never shift a page (stable under
  the filters: a cursor only says where to start, the filters are applied as usual).
- Nullable columns (the onset date) sort last in both directions (``NULLS LAST``, the same on PostgreSQL
  and SQLite), and the seek condition knows it. A key may be an annotation (a cluster's case count).
- A cursor is an opaque URL-safe token the server signs (``django.core.signing``, salted for paging): the
  list and ordering it was made for, its direction and the key values of the row. One that was not made
  here, or was made for another list or ordering, is refused with 400 naming ``cursor``
  (``fangkong.request_params``); its values are parsed strictly by the kind of each key.
- Page sizes are capped (``fangkong.request_params.MAX_PAGE_SIZE``): the API's ``limit`` and the pages'
  fixed sizes alike.

``fangkong.api.pagination`` serves this in the API (``?limit=&cursor=``; ``next``/``previous`` links);
pages render ``web/_pager.html`` with the page's cursors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import reduce
from operator import and_, or_

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from fangkong.request_params import CURSOR_SALT, INT64_MAX, ParameterError, cursor_payload

COUNT_CAP = 1000
KINDS = ("datetime", "date", "int", "str")


@dataclass(frozen=True)
class Key:
    name: str  # the model field (``report_region_id`` for a foreign key's column) or an annotation
    descending: bool
    nullable: bool
    kind: str  # one of KINDS


@dataclass
class Page:
    rows: list
    next_cursor: str = ""
    previous_cursor: str = ""
    count: int | None = None  # at most COUNT_CAP; None when the list is paged uncounted
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

    @property
    def counted(self) -> bool:
        return self.count is not None


def _kind(model_field) -> str:
    if isinstance(model_field, models.DateTimeField):
        return "datetime"
    if isinstance(model_field, models.DateField):
        return "date"
    if isinstance(model_field, models.IntegerField | models.AutoField):
        return "int"
    return "str"


def with_tiebreak(order: tuple[str, ...], pk: str = "id") -> tuple[str, ...]:
    """``order`` ending with the primary key ``pk`` (in the direction of its first key) unless it has it."""
    if any(spec.lstrip("-") in (pk, "pk") for spec in order):
        return order
    return (*order, f"-{pk}" if order and order[0].startswith("-") else pk)


def keys_of(queryset_or_model, order: tuple[str, ...]) -> list[Key]:
    model = getattr(queryset_or_model, "model", queryset_or_model)
    annotations = getattr(getattr(queryset_or_model, "query", None), "annotations", {})
    keys = []
    for spec in order:
        name = spec.lstrip("-")
        if name == "pk":
            name = model._meta.pk.name
        if name in annotations:
            output = annotations[name].output_field
            keys.append(Key(name, spec.startswith("-"), bool(output.null), _kind(output)))
            continue
        model_field = model._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
        if isinstance(model_field, models.ForeignKey):
            kind = _kind(model_field.target_field)
            name = model_field.attname
        else:
            kind = _kind(model_field)
        keys.append(Key(name, spec.startswith("-"), bool(model_field.null), kind))
    return keys


def _label(queryset: QuerySet, ordering: str) -> str:
    return f"{queryset.model._meta.label_lower}:{ordering}"


def _encode(label: str, values: list, *, backwards: bool) -> str:
    raw = [v.isoformat() if hasattr(v, "isoformat") else v for v in values]
    return signing.dumps([label, int(backwards), raw], salt=CURSOR_SALT, compress=False)


def _decode(payload: list, label: str, keys: list[Key]) -> tuple[list, bool]:
    """(key values, backwards) of a verified cursor, strictly by kind; ``ParameterError`` otherwise."""
    if not (isinstance(payload, list) and len(payload) == 3 and payload[1] in (0, 1)
            and isinstance(payload[2], list)):
        raise ParameterError({"cursor": [_("This cursor is not valid.")]})
    name, backwards, raw = payload
    if name != label or len(raw) != len(keys):
        raise ParameterError({"cursor": [_("This cursor belongs to another list or ordering: start from the "
                                           "first page.")]})
    try:
        return [_value(key, value) for key, value in zip(keys, raw, strict=True)], bool(backwards)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ParameterError({"cursor": [_("This cursor is not valid.")]}) from exc


def _value(key: Key, value):
    if value is None:
        if not key.nullable:
            raise ValueError("null in a key that cannot be null")
        return None
    if key.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > INT64_MAX:
            raise ValueError(value)
        return value
    if not isinstance(value, str) or len(value) > 1000:
        raise ValueError(value)
    if key.kind == "datetime":
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(value)
        return moment
    if key.kind == "date":
        return dt.date.fromisoformat(value)
    return value


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
    return queryset.order_by(*_order(keys_of(queryset, with_tiebreak(order, queryset.model._meta.pk.name))))


def _values(row, keys: list[Key]) -> list:
    return [getattr(row, key.name) for key in keys]


def capped_count(queryset: QuerySet, cap: int | None = None) -> tuple[int, bool]:
    """(rows, capped): the number of rows up to ``cap`` (``COUNT_CAP``); ``capped`` when there are more."""
    cap = COUNT_CAP if cap is None else cap
    n = queryset.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap


def page_of(queryset: QuerySet, *, order: tuple[str, ...], size: int, ordering: str = "",
            cursor: list | str | None = None, counted: bool = True) -> Page:
    """The page of ``queryset`` in ``order`` (named ``ordering`` in its cursors) that ``cursor`` (a cursor's
    verified payload — ``request_params.Cursor`` — or its token) opens — the first page without one — with the cursors of the pages around
    it; counted up to ``COUNT_CAP`` unless ``counted`` is false."""
    order = with_tiebreak(order, queryset.model._meta.pk.name)
    keys = keys_of(queryset, order)
    label = _label(queryset, ordering or ",".join(order))
    if isinstance(cursor, str):
        try:
            cursor = cursor_payload(cursor) if cursor else None
        except ValidationError as exc:
            raise ParameterError({"cursor": exc.messages}) from exc
    count, capped = capped_count(queryset) if counted else (None, False)
    values, backwards = _decode(cursor, label, keys) if cursor is not None else (None, False)

    def encode(row, *, back: bool = False) -> str:
        return _encode(label, _values(row, keys), backwards=back)

    if values is not None and backwards:
        rows = list(queryset.filter(_seek(keys, values, forward=False))
                    .order_by(*_order(keys, reverse=True))[: size + 1])
        if len(rows) > size:
            rows = rows[:size][::-1]
            return Page(rows, next_cursor=encode(rows[-1]), previous_cursor=encode(rows[0], back=True),
                        count=count, count_capped=capped, keys=keys)
        values = None  # fewer than a page before it: that is the first page
    base = queryset.order_by(*_order(keys))
    if values is not None:
        rows = list(base.filter(_seek(keys, values, forward=True))[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return Page(rows, next_cursor=encode(rows[-1]) if more else "",
                    previous_cursor=encode(rows[0], back=True) if rows else "",
                    count=count, count_capped=capped, keys=keys)
    rows = list(base[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, next_cursor=encode(rows[-1]) if more else "", count=count, count_capped=capped, keys=keys)
