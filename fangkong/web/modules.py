"""The navigation: the modules of DESIGN.md §1 in their order, each either built or a marked placeholder.

A built module declares its own entry (``navigation`` of its ``ModuleConfig``, ``fangkong.modules``);
``PLANNED`` keeps the order of DESIGN.md §1 and a placeholder for every module not built yet. A declared
entry takes the place of the placeholder with its slug; entries of modules not planned here follow, in
the order of ``INSTALLED_APPS``.
"""

from __future__ import annotations

from functools import cache

from django.utils.translation import gettext_lazy as _

from fangkong.modules import NavEntry, navigation_entries

Module = NavEntry  # the name the templates and views have always used

PLANNED = (
    NavEntry("dashboard", _("Command dashboard"), _("Situation of the province, its cities and counties.")),
    NavEntry("regions", _("Regions"), _("The region tree: territorial responsibility of every city and county.")),
    NavEntry("persons", _("Person registry"), _("One protected record per person.")),
    NavEntry("cases", _("Cases and contacts"), _("Cases, contacts, clusters, transmission chains, risk areas.")),
    NavEntry("surveillance", _("Sentinel surveillance"), _("Sentinel reports, early warning, signals and response.")),
    NavEntry("inbound", _("Inbound travellers"), _("Closed-loop management from entry to hand-over.")),
    NavEntry("places", _("Key places"), _("Registry, checklists, inspections and rectification.")),
    NavEntry("worklists", _("Problem, task and responsibility lists"), _("Owners, deadlines, escalation.")),
    NavEntry("resources", _("Resources"), _("Quarantine rooms, beds, staff and supplies, planned ahead.")),
    NavEntry("enterprises", _("Key enterprises"), _("Supply chains and difficulty tickets.")),
    NavEntry("labs", _("Testing"), _("Samples from people, goods and environment; pooled testing.")),
    NavEntry("bulletins", _("Bulletins"), _("Daily situation report, approval and the public page.")),
    NavEntry("protocols", _("Protocols"), _("Versioned, effective-dated rules of each protocol edition.")),
    NavEntry("audit", _("Audit trail"), _("Who did what, when, from where.")),
)


@cache
def nav_modules() -> tuple[NavEntry, ...]:
    """The navigation's entries: declared ones in their planned place, placeholders for the rest."""
    declared = {entry.slug: entry for entry in navigation_entries()}
    planned = [declared.pop(entry.slug, entry) for entry in PLANNED]
    return (*planned, *declared.values())


def module_by_slug(slug: str) -> NavEntry | None:
    return next((entry for entry in nav_modules() if entry.slug == slug), None)
