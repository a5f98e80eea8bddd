"""App config of the cross-region requests module (协查): everything the platform needs from it (``fangkong.modules``)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]  # "fangkong.crossregion"
PROBLEM_SOURCE = "crossregion"  # the code of the problems it raises in the three lists (``problems.py``)
WRITE = "crossregion.write"  # send, acknowledge and report on requests


class CrossregionConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "crossregion"
    verbose_name = "Cross-region investigation requests"

    navigation = (modules.NavEntry("crossregion", _("Cross-region requests"),
                                   _("Investigation requests between regions: sent, received, overdue."),
                                   "crossregion:outgoing"),)
    capabilities = (modules.CapabilityGrant(WRITE, _("Send, acknowledge and report on cross-region requests"),
                                            (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER,
                                             Role.EPIDEMIOLOGIST), category=Category.NAMED),)
    page_urls = ("crossregion/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 50  # after the cases (its requests name their cases)
    periodic_jobs = (modules.PeriodicJob("crossregion-escalate", "fangkong.crossregion.escalate",
                                         {"minute": "*/15"}),)
    dashboard_panels = (modules.DashboardPanel("crossregion", _("Cross-region requests"),
                                               "crossregion/_panel.html", f"{PACKAGE}.selectors.panel_context"),)
    figure_sources = ("InvestigationRequest", "RequestedPerson")
    scoped_tables = ("InvestigationRequest", "RequestedPerson", "PersonOutcome")
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
    problem_sources = (modules.ProblemSource(PROBLEM_SOURCE, _("Overdue cross-region request"),
                                             f"{PACKAGE}.problems.feed"),)
