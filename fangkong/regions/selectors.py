"""Reads of the region tree, scoped: a user sees the regions of their memberships and everything below."""

from __future__ import annotations

from django.db.models import QuerySet

from fangkong.accounts.access import get_in_scope_or_404, in_scope, memberships_of, scope_prefixes, scoped
from fangkong.regions.models import Region


def region_list(*, user, parent: str = "", level: str = "") -> QuerySet[Region]:
    qs = scoped(user, Region.objects.defer("geometry"), "code")
    if parent:
        qs = qs.filter(parent_id=parent)
    if level:
        qs = qs.filter(level=level)
    return qs


def region_get(*, user, code: str) -> Region:
    return get_in_scope_or_404(user, Region.objects.all(), "code", code=code)


def scope_roots(*, user) -> list[Region]:
    """The top regions of the user's scope: membership regions not nested in another one."""
    prefixes = set(scope_prefixes(user))
    codes = {code for code, _role in memberships_of(user)}
    return [r for r in Region.objects.filter(code__in=codes).defer("geometry") if r.prefix in prefixes]


def ancestors_in_scope(*, user, region: Region) -> list[Region]:
    """The breadcrumb from the user's scope root down to ``region`` (never above the scope)."""
    chain, node = [], region
    while node is not None and in_scope(user, node.code):
        chain.append(node)
        node = node.parent
    return list(reversed(chain))
