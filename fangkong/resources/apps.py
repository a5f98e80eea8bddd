"""App config of the resources module (资源保障): everything the platform needs from it (``fangkong.modules``)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category, Reach
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]  # "fangkong.resources"
PROBLEM_SOURCE = "resources"  # the code of the problems it raises in the three lists
#: Sites, rooms, hospitals and their beds, stores, stock and requisitions (no person data).
MANAGE = "resources.manage"
#: Persons into and out of quarantine rooms, room states: the quarantine-site manager in its own sites only.
ASSIGN = "resources.assign"


class ResourcesConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "resources"
    verbose_name = "Resources"

    navigation = (modules.NavEntry("resources", _("Resources"),
                                   _("Quarantine rooms, beds, staff and supplies, planned ahead."),
                                   "resources:overview"),)
    capabilities = (
        modules.CapabilityGrant(MANAGE, _("Manage quarantine sites, beds, supplies and requisitions"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST),
                                category=Category.AGGREGATES),
        modules.CapabilityGrant(ASSIGN, _("Check persons in and out of quarantine rooms"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST,
                                 Role.QUARANTINE_MANAGER),
                                category=Category.NAMED),
    )
    page_urls = ("resources/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 70  # after cases (30) and inbound (50): its rooms are for their contacts and travellers
    periodic_jobs = (modules.PeriodicJob("resources-shortage-sweep", f"{PACKAGE}.shortage_sweep",
                                         {"hour": "6", "minute": "30"}),)
    figure_sources = ("Room", "Assignment", "BedCensus", "Stock", "Requisition")
    scoped_tables = ("QuarantineSite", "Room", "Assignment", "Hospital", "BedCensus", "Store", "Stock",
                     "StockMovement", "Requisition", "StaffTeam", "StaffRoster")
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
    served_reaches = (Reach.ASSIGNED_SITES,)  # the persons of the manager's sites: its rooms' assignments
    aggregate_figures = (modules.AggregateFigures("resources", f"{PACKAGE}.figures.choices",
                                                  f"{PACKAGE}.figures.count"),)  # beds open, occupied (DHIS2)
    problem_sources = (modules.ProblemSource(PROBLEM_SOURCE, _("Forecast shortage")),)
