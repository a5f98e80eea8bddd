"""The API's paging: ``fangkong.paging`` (keyset, signed cursors) behind DRF's pagination hooks.

Every list answers ``{"count", "count_capped", "next", "previous", "results"}`` — ``count`` capped at 1,000
(``count_capped`` says when there are more) — or, paged uncounted (``UncountedPagination``: the alerts),
``{"next", "previous", "results"}``. ``?limit=`` sets the rows per page (1–200, default 50); ``next`` and
``previous`` are the URLs of the pages around (``?cursor=``). The parameters are checked with the view's
others (``fangkong.request_params``) and documented there, so the pagination adds none to the schema.

The order of a list is the view's: ``orderings`` (name → keys; ``?ordering=`` chooses, ``default_ordering``
otherwise) when it offers several, else its queryset's ``order_by`` (plain field names), the id breaking
ties.
"""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from fangkong import paging
from fangkong.request_params import DEFAULT_PAGE_SIZE


def _order_of(queryset, view, params) -> tuple[tuple[str, ...], str]:
    orderings = getattr(view, "orderings", None)
    if orderings:
        name = params.get("ordering") or view.default_ordering
        return orderings[name], name
    order = tuple(queryset.query.order_by) or tuple(queryset.model._meta.ordering) or ("-pk",)
    if not all(isinstance(spec, str) and "__" not in spec for spec in order):
        raise TypeError(f"{type(view).__name__}: order its list by field names or declare `orderings`")
    return order, ",".join(order)


class KeysetPagination(BasePagination):
    counted = True

    def paginate_queryset(self, queryset, request, view=None):
        params = getattr(request, "params", {})
        order, name = _order_of(queryset, view, params)
        self.request = request
        self.page = paging.page_of(queryset, order=order, ordering=name, size=params.get("limit") or DEFAULT_PAGE_SIZE,
                                   cursor=params.get("cursor"), counted=self.counted)
        return self.page.rows

    def _link(self, cursor: str) -> str | None:
        if not cursor:
            return None
        query = self.request.query_params.copy()
        query["cursor"] = cursor
        return self.request.build_absolute_uri(self.request.path) + "?" + query.urlencode()

    def get_paginated_response(self, data):
        body = {"next": self._link(self.page.next_cursor), "previous": self._link(self.page.previous_cursor),
                "results": data}
        if self.counted:
            body = {"count": self.page.count, "count_capped": self.page.count_capped, **body}
        return Response(body)

    def get_paginated_response_schema(self, schema):
        links = {
            "next": {"type": "string", "nullable": True, "format": "uri"},
            "previous": {"type": "string", "nullable": True, "format": "uri"},
            "results": schema,
        }
        if not self.counted:
            return {"type": "object", "required": ["next", "previous", "results"], "properties": links}
        return {"type": "object", "required": ["count", "count_capped", "next", "previous", "results"],
                "properties": {
                    "count": {"type": "integer", "minimum": 0, "maximum": paging.COUNT_CAP,
                              "description": f"rows in the list, at most {paging.COUNT_CAP}"},
                    "count_capped": {"type": "boolean", "description": "more rows than the count says"},
                    **links}}

    def get_schema_operation_parameters(self, view):
        return []  # ``limit`` and ``cursor`` are declared with the view's parameters


class UncountedPagination(KeysetPagination):
    """For a list whose exact count costs more than reading a page (hundreds of thousands of alerts)."""

    counted = False


def paged_response(serializer: type, *, name: str):
    """The schema of one page of ``serializer`` rows as ``KeysetPagination`` answers it — for a list-like
    extra action (``@action(detail=False)``), which the schema generator does not page by itself."""
    return inline_serializer(name=name, fields={
        "count": serializers.IntegerField(min_value=0), "count_capped": serializers.BooleanField(),
        "next": serializers.URLField(allow_null=True), "previous": serializers.URLField(allow_null=True),
        "results": serializer(many=True)})
