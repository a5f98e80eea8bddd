"""The problems the enterprises module raises in the three lists (``ModuleConfig.problem_sources``): a support
ticket not answered by its time limit, once per ticket (``worklists.feeds.raise_each``). The problem is
raised in the responsible department's region, with a task for that region's command, which the three lists
escalate when it is late in turn; the evidence names the ticket by its number, never a person."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.worklists.feeds import raise_each
from fangkong.worklists.models import Severity

from .apps import PROBLEM_SOURCE
from .models import OPEN_TICKET_STATES, Ticket


def feed(now: dt.datetime) -> int:
    """Raise every open ticket past its time limit; returns how many were raised."""
    late = (Ticket.objects.filter(state__in=OPEN_TICKET_STATES, due_at__lt=now)
            .select_related("enterprise", "unit").order_by("due_at", "id"))

    def problem(ticket: Ticket) -> dict:
        key_enterprise = ticket.enterprise.supply_guarantee or ticket.enterprise.key_chain
        return {"region": ticket.unit.region_id,
                "severity": Severity.SERIOUS if key_enterprise else Severity.MODERATE,
                "title": _("Support ticket %(number)s of %(enterprise)s not answered in time")
                % {"number": ticket.pk, "enterprise": ticket.enterprise.name},
                "evidence": _("%(kind)s, routed to %(unit)s, due %(due)s.")
                % {"kind": ticket.get_kind_display(), "unit": ticket.unit.name,
                   "due": ticket.due_at.strftime("%Y-%m-%d %H:%M")},
                "link": reverse("enterprises:ticket-detail", kwargs={"ticket_id": ticket.pk}),
                "found_at": ticket.due_at}

    return raise_each(PROBLEM_SOURCE, late, key=lambda ticket: f"ticket:{ticket.pk}", problem=problem)
