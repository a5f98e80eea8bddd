"""Figures of sentinel surveillance for aggregate exchange (``ModuleConfig.aggregate_figures``, read by
``fangkong.interop``'s DHIS2 export): one figure per indicator — the sum of the counts reported by the sentinel
sites of a region over a period (``surveillance.<indicator code>``), read through ``selectors.report_list``
as aggregates. An indicator added is a figure at once.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fangkong.regions.codes import subtree_prefix

from .selectors import indicator_list, report_list

PREFIX = "surveillance."


def choices() -> list[tuple[str, str]]:
    chinese = (get_language() or "").startswith("zh")
    return [(f"{PREFIX}{i.code}", _("Sentinel: %(indicator)s") % {"indicator": i.name_zh if chinese else i.name_en})
            for i in indicator_list()]


def count(user, code: str, region: str, first: dt.date, last: dt.date) -> int:
    rows = report_list(user=user, indicator=code.removeprefix(PREFIX), first=first, last=last) \
        .filter(region__code__startswith=subtree_prefix(region))
    return rows.aggregate(total=Sum("count"))["total"] or 0
