"""The key places' paragraph of the official daily report (``report_sections`` in ``apps.py``).

The figures of a region (its subtree), read in the drafter's scope and frozen with the report: the places on
the register, those inspected within their frequency and those overdue for inspection, the places closed
temporarily, the unfinished rectification orders and those past their deadline — **as at drafting** (the
register keeps each place's current state, not its history) — and the inspections done on the report's day
with those that found something to rectify (by their date: a report for an earlier day counts them as they
were). Counts only.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from fangkong.regions.codes import subtree_prefix

from .models import Inspection, Place
from .selectors import inspection_list, place_list, rectification_list


def figures(user, region, day: dt.date) -> dict | None:
    """The region's key places on ``day``; None when it has none the drafter may read."""
    prefix = subtree_prefix(region.code)
    places = place_list(user=user).filter(region__code__startswith=prefix).order_by().aggregate(
        places=Count("id"), covered=Count("id", filter=Q(last_inspected_on__isnull=False, next_due_on__gte=day)),
        overdue=Count("id", filter=Q(next_due_on__lt=day)), closed=Count("id", filter=Q(status=Place.Status.CLOSED)))
    if not places["places"]:
        return None
    inspections = inspection_list(user=user).filter(region__code__startswith=prefix, inspected_on=day).order_by() \
        .aggregate(done=Count("id"), failed=Count("id", filter=Q(outcome=Inspection.Outcome.FAILED)))
    orders = rectification_list(user=user, unfinished=True).filter(region__code__startswith=prefix).order_by() \
        .aggregate(open=Count("id"), late=Count("id", filter=Q(deadline__lt=day)))
    return {"places": places["places"], "covered": places["covered"], "overdue": places["overdue"],
            "closed": places["closed"], "inspections": inspections["done"], "inspections_failed": inspections["failed"],
            "orders_open": orders["open"], "orders_overdue": orders["late"]}


def wording(figures: dict, language: str, scope: str) -> str:
    """The paragraph in the official form of ``language``."""
    share = round(100 * figures["covered"] / figures["places"]) if figures["places"] else 0
    if language == "en":
        return (f"Key places and units of {scope}: {figures['places']} on the register, {figures['covered']} "
                f"inspected within their frequency ({share}%), {figures['overdue']} overdue for inspection, "
                f"{figures['closed']} temporarily closed; {figures['inspections']} inspections that day, "
                f"{figures['inspections_failed']} with findings to rectify; {figures['orders_open']} rectification "
                f"orders unfinished, {figures['orders_overdue']} of them past their deadline.")
    return (f"{scope}在册重点场所和重点单位{figures['places']}个，按频次完成督导检查{figures['covered']}个"
            f"（覆盖率{share}%），检查逾期{figures['overdue']}个，暂停营业{figures['closed']}个；"
            f"当日检查{figures['inspections']}次，发现问题需整改{figures['inspections_failed']}次；"
            f"整改未完成{figures['orders_open']}项，其中逾期{figures['orders_overdue']}项。")
