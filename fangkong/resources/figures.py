"""Figures of the resources module for aggregate exchange (``ModuleConfig.aggregate_figures``, read by
``fangkong.interop``'s DHIS2 export): the designated hospitals' open and occupied beds in a region.

Beds are an amount held on a day: the figure of a period is that of its last day's census (a hospital with no
census that day counts nothing). Read through ``selectors.hospital_list`` (the reader's regions).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from fangkong.regions.codes import subtree_prefix

from .models import BedCensus
from .selectors import hospital_list

FIGURES = {"resources.beds": _("Open beds of designated hospitals (last day)"),
           "resources.beds_occupied": _("Occupied beds of designated hospitals (last day)")}


def choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in FIGURES.items()]


def count(user, code: str, region: str, first: dt.date, last: dt.date) -> int:
    census = BedCensus.objects.filter(hospital__in=hospital_list(user=user).values("pk"), date=last,
                                      region__code__startswith=subtree_prefix(region))
    field = "occupied" if code == "resources.beds_occupied" else "beds"
    return census.aggregate(total=Sum(field))["total"] or 0
