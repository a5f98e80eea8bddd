"""Reads of the daily situation reports, scoped to the user's regions (the differences between two versions:
``fangkong.bulletins.differences``)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from fangkong.accounts.need_to_know import Category, readable, readable_or_404
from fangkong.bulletins.models import Bulletin
from fangkong.regions.codes import is_valid_code, subtree_prefix

SCOPE_FIELD = "region__code"


def bulletin_list(*, user, region: str = "", day: dt.date | None = None, status: str = "") -> QuerySet[Bulletin]:
    qs = readable(user, Category.AGGREGATES, Bulletin.objects.select_related("region", "created_by"), SCOPE_FIELD).defer("html", "content")
    if region:
        qs = qs.filter(region__code__startswith=subtree_prefix(region) if is_valid_code(region) else "-")
    if day:
        qs = qs.filter(date=day)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-date", "region_id", "language", "-version")


def bulletin_get(*, user, bulletin_id) -> Bulletin:
    return readable_or_404(
        user, Category.AGGREGATES, Bulletin.objects.select_related("region", "created_by", "reviewed_by", "approved_by"),
        SCOPE_FIELD, pk=bulletin_id)


def bulletin_versions(*, bulletin: Bulletin) -> QuerySet[Bulletin]:
    """Every version of the same report (region, date, language), newest first (same scope as the one)."""
    return Bulletin.objects.filter(region_id=bulletin.region_id, date=bulletin.date,
                                   language=bulletin.language).defer("html", "content").order_by("-version")


def bulletin_previous(*, bulletin: Bulletin) -> Bulletin | None:
    return Bulletin.objects.filter(region_id=bulletin.region_id, date=bulletin.date, language=bulletin.language,
                                   version__lt=bulletin.version).order_by("-version").first()
