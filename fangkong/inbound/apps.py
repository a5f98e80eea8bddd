"""App config of the inbound closed-loop module (外防输入): everything the platform needs from it
(``fangkong.modules``)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]  # "fangkong.inbound"
PROBLEM_SOURCE = "inbound"  # the code of the problems it raises in the three lists (``problems.py``)
MANAGE = "inbound.manage"  # import manifests, confirm arrivals, hand over, acknowledge, record steps, close breaks
#: The break sweep runs every quarter of an hour: a break is found within 15 minutes of its deadline.
SWEEP_MINUTES = 15


class InboundConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "inbound"
    verbose_name = "Inbound travellers"

    navigation = (modules.NavEntry("inbound", _("Inbound travellers"),
                                   _("Closed loop from the port to release: arrivals, hand-offs, breaks."),
                                   "inbound:arrivals"),)
    capabilities = (modules.CapabilityGrant(MANAGE, _("Manage inbound travellers' closed loop"),
                                            (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER,
                                             Role.EPIDEMIOLOGIST), category=Category.NAMED),)
    page_urls = ("inbound/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 50  # after the cases (30); the kit test wants a new module's loader last at 50
    periodic_jobs = (modules.PeriodicJob("inbound-breaks-sweep", f"{PACKAGE}.breaks_sweep",
                                         {"minute": f"*/{SWEEP_MINUTES}"}),)
    dashboard_panels = (modules.DashboardPanel("inbound", _("Inbound closed loop"), "inbound/_panel.html",
                                               f"{PACKAGE}.selectors.panel_context"),)
    figure_sources = ("Traveller", "LoopBreak")
    scoped_tables = ("Manifest", "Traveller", "LoopStep", "TransferBatch", "Handoff", "LoopBreak")
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
    problem_sources = (modules.ProblemSource(PROBLEM_SOURCE, _("Broken inbound hand-off"),
                                             f"{PACKAGE}.problems.feed"),)
    # its travellers in central quarantine and home health monitoring are followed up daily (``followup.py``)
    followup_sources = (f"{PACKAGE}.followup.TravellerSource",)
    report_sections = (modules.ReportSection("inbound", f"{PACKAGE}.report.figures", f"{PACKAGE}.report.wording"),)
