"""App config of the laboratory module (核酸检测): everything the platform needs from it (``fangkong.modules``)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category, Reach
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]  # "fangkong.laboratory"
PROBLEM_SOURCE = "laboratory"  # the code of the problems it raises in the three lists
#: Laboratories and mass-screening rounds (no person data).
MANAGE = "laboratory.manage"
#: Specimens, pools and their members, results: a laboratory's staff for its own laboratory.
TEST = "laboratory.test"
RESULT_FILE = "lab_results"  # the import job's kind of a laboratory's result file (``imports.py``)
RESULT_FILE_BYTES = 256 * 1024 * 1024  # a city's round: 1,750,000 tubes are about 120 MB of CSV


class LaboratoryConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "laboratory"
    verbose_name = "Laboratory"

    navigation = (modules.NavEntry("labs", _("Laboratory testing"),
                                   _("Nucleic-acid tests of persons, goods and the environment; pooled testing and "
                                     "mass-screening rounds."), "laboratory:overview"),)
    capabilities = (
        modules.CapabilityGrant(MANAGE, _("Record laboratories and open mass-screening rounds"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST),
                                category=Category.AGGREGATES),
        modules.CapabilityGrant(TEST, _("Record specimens, pools and test results"),
                                (Role.EPIDEMIOLOGIST, Role.LABORATORY), category=Category.NAMED),
    )
    page_urls = ("laboratory/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 80  # after cases (30) and places: its positives become cases, its sites are places
    figure_sources = ("ScreeningRound", "Pool", "Result")
    scoped_tables = ("Laboratory", "GoodsLot", "ScreeningRound", "Pool", "PoolMember", "Specimen", "Result",
                     "LotStop", "Investigation")
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
    person_sections = (f"{PACKAGE}.views.person_section",)  # a temporary control on the person's page
    # and on the person's contact and inbound records
    record_sections = (modules.RecordSection(("cases.Contact", "inbound.Traveller"), f"{PACKAGE}.views.record_section"),)
    aggregate_figures = (modules.AggregateFigures("laboratory", f"{PACKAGE}.figures.choices",
                                                  f"{PACKAGE}.figures.count"),)  # tests, positives (DHIS2)
    served_reaches = (Reach.OWN_SAMPLES,)  # the persons of a laboratory's own pools and specimens
    dashboard_panels = (modules.DashboardPanel("laboratory", _("Mass screening and pooled testing"),
                                               "laboratory/_panel.html", f"{PACKAGE}.selectors.panel_context"),)
    problem_sources = (modules.ProblemSource(PROBLEM_SOURCE, _("Pool members to re-sample singly"),
                                             f"{PACKAGE}.problems.feed"),)
    #: open rounds' test kits and samplers for each of their days, in the resources forecast of their city
    resource_demands = (modules.DemandSource("lab_rounds", _("Mass-screening round"), f"{PACKAGE}.demands.demands"),)
    import_kinds = (modules.ImportKind(RESULT_FILE, _("Laboratory result file"), f"{PACKAGE}.imports.results_allowed",
                                       f"{PACKAGE}.imports.results_run", max_bytes=RESULT_FILE_BYTES,
                                       targeted=True, page="laboratory:result-import"),)  # the laboratory whose file it is
