"""Reads of the public module's records for signed-in staff, scoped to their regions (the public pages read
no database: ``store.SiteReader``)."""

from __future__ import annotations

from django.db.models import QuerySet

from fangkong.accounts.need_to_know import Category, readable, readable_or_404

from .models import Notice, Publication, TestingSite

SCOPE_FIELD = "region__code"


def notice_list(*, user) -> QuerySet[Notice]:
    return readable(user, Category.AGGREGATES, Notice.objects.select_related("region", "created_by", "approved_by"),
                    SCOPE_FIELD)


def notice_get(*, user, notice_id) -> Notice:
    return readable_or_404(user, Category.AGGREGATES, Notice.objects.select_related("region"), SCOPE_FIELD,
                           pk=notice_id)


def publication_list(*, user) -> QuerySet[Publication]:
    return readable(user, Category.AGGREGATES, Publication.objects.select_related("prepared_by", "published_by")
                    .defer("snapshot"), SCOPE_FIELD)


def publication_get(*, user, publication_id) -> Publication:
    return readable_or_404(user, Category.AGGREGATES, Publication.objects.select_related("prepared_by", "published_by"),
                           SCOPE_FIELD, pk=publication_id)


def testing_site_list(*, user) -> QuerySet[TestingSite]:
    return readable(user, Category.AGGREGATES,
                    TestingSite.objects.select_related("region", "created_by", "approved_by"), SCOPE_FIELD)


def testing_site_get(*, user, site_id) -> TestingSite:
    return readable_or_404(user, Category.AGGREGATES,
                           TestingSite.objects.select_related("region", "created_by", "approved_by"), SCOPE_FIELD,
                           pk=site_id)
