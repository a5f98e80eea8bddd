"""The enterprises' paragraph of the official daily report (``report_sections`` in ``apps.py``): in a region
(its subtree) on one day, read in the drafter's scope (aggregates), the key enterprises by their operating
status that day (企业复工复产) and the support tickets still open. Counts only, frozen with the report."""

from __future__ import annotations

import datetime as dt

from fangkong.accounts.need_to_know import Category, prefixes_q, read_prefixes
from fangkong.regions.codes import subtree_prefix

from .models import OPEN_TICKET_STATES, Enterprise, OperatingState, OperatingStatus, Ticket


def figures(user, region, day: dt.date) -> dict | None:
    """Enterprises, and how many operated in each state on ``day``; None when the region has no enterprise."""
    readable = Enterprise.objects.filter(prefixes_q("region__code", read_prefixes(user, Category.AGGREGATES)),
                                         region__code__startswith=subtree_prefix(region.code))
    total = readable.count()
    if not total:
        return None
    states = dict.fromkeys(OperatingState.values, 0)
    for status in OperatingStatus.objects.filter(day=day, enterprise__in=readable).values_list("status", flat=True):
        states[status] += 1
    open_tickets = Ticket.objects.filter(enterprise__in=readable, state__in=OPEN_TICKET_STATES).count()
    return {"enterprises": total, "states": states, "reported": sum(states.values()), "open_tickets": open_tickets}


def wording(figures: dict, language: str, scope: str) -> str:
    """The paragraph in the official form of ``language``."""
    s = figures["states"]
    if language == "en":
        return (f"Key enterprises in {scope}: {figures['enterprises']}, of which {figures['reported']} reported "
                f"their status — {s['operating']} operating normally, {s['closed_loop']} in closed-loop production, "
                f"{s['partial']} partly operating, {s['stopped']} stopped; {figures['open_tickets']} support "
                f"tickets open.")
    return (f"{scope}重点企业{figures['enterprises']}家，当日报告生产经营状态{figures['reported']}家：正常生产"
            f"{s['operating']}家、闭环生产{s['closed_loop']}家、部分停产{s['partial']}家、停产{s['stopped']}家；"
            f"企业诉求工单尚未办结{figures['open_tickets']}件。")
