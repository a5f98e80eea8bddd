"""App config of cases, contacts, exposures, clusters, chains and risk areas (the module declaration)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role

PROBLEM_SOURCE = "stalled_import"  # an import job that lost its process, in the three lists (``problems.py``)


class CasesConfig(modules.ModuleConfig):
    name = "fangkong.cases"
    label = "cases"
    verbose_name = "Cases and contacts"

    navigation = (modules.NavEntry("cases", _("Cases and contacts"),
                                   _("Cases, contacts, clusters, transmission chains, risk areas."), "cases:case-list"),)
    capabilities = (
        modules.CapabilityGrant("case.write", _("Register and edit cases, contacts, exposures and clusters"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST), category=Category.NAMED),
        modules.CapabilityGrant("contact.manage", _("Record contacts' quarantine and release"),
                                # the quarantine-site manager: once persons are assigned to its sites
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST), category=Category.NAMED),
        modules.CapabilityGrant("risk_area.designate", _("Designate and lift risk areas"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER), category=Category.AGGREGATES),
    )
    page_urls = ("cases/", "fangkong.cases.urls")
    api_urls = "fangkong.cases.api_urls"
    demo_loader = "fangkong.cases.demo.demo_load"
    demo_order = 30
    periodic_jobs = (modules.PeriodicJob("cases-import-jobs-purge", "fangkong.cases.import_jobs_purge", {"minute": 17}),)
    figure_sources = ("Case", "Contact", "DailyTracing")
    scoped_tables = ("Case", "Contact", "Cluster", "RiskArea")
    scope_records = "fangkong.cases.tests.scope.other_city_records"
    problem_sources = (modules.ProblemSource(PROBLEM_SOURCE, _("Stalled import"), "fangkong.cases.problems.feed"),)
