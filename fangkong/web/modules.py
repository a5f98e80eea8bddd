"""The modules of DESIGN.md §1 as the navigation shows them, with whether each exists yet."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Module:
    slug: str
    title: Promise
    summary: Promise
    url_name: str | None = None  # None: not built yet, the navigation shows a marked placeholder


MODULES = (
    Module("dashboard", _("Command dashboard"), _("Situation of the province, its cities and counties."),
           "dashboard:home"),
    Module("regions", _("Regions"), _("The region tree: territorial responsibility of every city and county."),
           "web:region-home"),
    Module("persons", _("Person registry"), _("One protected record per person."), "web:person-list"),
    Module("cases", _("Cases and contacts"), _("Cases, contacts, clusters, transmission chains, risk areas."),
           "cases:case-list"),
    Module("surveillance", _("Sentinel surveillance"), _("Sentinel reports, early warning, signals and response."),
           "surveillance:alert-list"),
    Module("inbound", _("Inbound travellers"), _("Closed-loop management from entry to hand-over.")),
    Module("places", _("Key places"), _("Registry, checklists, inspections and rectification.")),
    Module("worklists", _("Problem, task and responsibility lists"), _("Owners, deadlines, escalation.")),
    Module("resources", _("Resources"), _("Quarantine rooms, beds, staff and supplies, planned ahead.")),
    Module("enterprises", _("Key enterprises"), _("Supply chains and difficulty tickets.")),
    Module("labs", _("Testing"), _("Samples from people, goods and environment; pooled testing.")),
    Module("bulletins", _("Bulletins"), _("Daily situation report, approval and the public page."),
           "bulletins:list"),
    Module("protocols", _("Protocols"), _("Versioned, effective-dated rules of each protocol edition."),
           "protocols:list"),
    Module("audit", _("Audit trail"), _("Who did what, when, from where."), "web:audit-list"),
)
MODULES_BY_SLUG = {m.slug: m for m in MODULES}
