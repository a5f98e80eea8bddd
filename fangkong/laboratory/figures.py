"""Figures of the laboratory module for aggregate exchange (``ModuleConfig.aggregate_figures``, read by
``fangkong.interop``'s DHIS2 export): the tubes resulted and the positive results in a region and period.

A result counts in the region of its sample (a pool's or a specimen's region) on the local day it was
resulted; read through ``selectors.result_list`` (the laboratories of the reader's regions), as aggregates.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.regions.codes import subtree_prefix

from .models import Outcome
from .selectors import result_list

FIGURES = {"laboratory.tests": _("Nucleic-acid tests resulted (tubes)"),
           "laboratory.positive": _("Positive nucleic-acid results (tubes)")}


def choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in FIGURES.items()]


def count(user, code: str, region: str, first: dt.date, last: dt.date) -> int:
    prefix = subtree_prefix(region)
    rows = result_list(user=user).filter(
        Q(specimen__region__code__startswith=prefix) | Q(pool__region__code__startswith=prefix),
        resulted_at__date__gte=first, resulted_at__date__lte=last)
    if code == "laboratory.positive":
        rows = rows.filter(outcome=Outcome.POSITIVE)
    return rows.count()
