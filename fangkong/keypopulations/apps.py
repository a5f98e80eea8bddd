"""App config of the key-populations module (重点人群): groups under periodic testing, their rosters, test
results and compliance — everything the platform needs from it (``fangkong.modules``)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category, Reach
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]
MANAGE = "keypopulations.manage"  # create groups, set their frequency, keep their rosters (named data)
TEST_RECORD = "keypopulations.result_record"  # enter and import test results of rostered persons
#: keep the rosters of the groups of one's own employers (an enterprise contact: ``EmployerAccess``)
ROSTER_OWN = "keypopulations.roster_own"
PROBLEM_SOURCE = "keypop"  # the problems of the three lists this module raises (``problems.py``)
WORKPLACE_SOURCE = "keypop_workplace"  # a positive member's workplaces, for the co-visit search and inspection
#: Every morning: the day's overdue persons counted from the stored compliance and raised as problems (nothing
#: recomputed: the compliance is kept by the services as tests, memberships and frequencies change).
OVERDUE_RUN = {"hour": 6, "minute": 20}
TRACING = (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST)


class KeyPopulationsConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "keypopulations"
    verbose_name = "Key populations"

    navigation = (modules.NavEntry("keypopulations", _("Key populations"),
                                   _("Key populations under periodic testing: groups, rosters, tests, who is overdue."),
                                   "keypopulations:group-list"),
                  # an enterprise contact's entry (the only page of the module it opens with the group pages)
                  modules.NavEntry("keypopulations-employer", _("Our staff under periodic testing"),
                                   _("Which of our staff are due or overdue for their periodic test."),
                                   "keypopulations:employer"))
    capabilities = (
        modules.CapabilityGrant(MANAGE, _("Create key-population groups and keep their rosters"), TRACING,
                                category=Category.NAMED),
        modules.CapabilityGrant(TEST_RECORD, _("Enter and import test results of key populations"), TRACING,
                                category=Category.NAMED),
        modules.CapabilityGrant(ROSTER_OWN, _("Keep the rosters of one's own enterprises' key-population groups"),
                                (Role.ENTERPRISE_CONTACT,), category=Category.NAMED),
    )
    #: the persons on the rosters of the employers an account acts for (``selectors.named_groups_q``)
    served_reaches = (Reach.OWN_ENTERPRISES,)
    page_urls = ("keypopulations/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 60  # after places (50): groups of the demo's ports, cold stores and quarantine hotels
    periodic_jobs = (modules.PeriodicJob("keypopulations-overdue", "fangkong.keypopulations.overdue_run",
                                         OVERDUE_RUN),)
    dashboard_panels = (modules.DashboardPanel("keypopulations", _("Key populations under periodic testing"),
                                               "keypopulations/_panel.html", f"{PACKAGE}.selectors.panel_context"),)
    import_kinds = tuple(
        modules.ImportKind(code, label, f"{PACKAGE}.imports.{allowed}", f"{PACKAGE}.imports.{run}",
                           page="keypopulations:import")
        for code, label, allowed, run in (
            ("keypop_groups", _("Key-population groups"), "manage_allowed", "groups_run"),
            ("keypop_roster", _("Key-population roster"), "manage_allowed", "roster_run"),
            ("keypop_results", _("Key-population test results"), "results_allowed", "results_run"),
        ))
    problem_sources = (modules.ProblemSource(PROBLEM_SOURCE, _("Key-population members overdue for their test"),
                                             f"{PACKAGE}.problems.feed"),
                       modules.ProblemSource(WORKPLACE_SOURCE,
                                             _("Workplaces of a key-population member who tested positive"),
                                             f"{PACKAGE}.problems.workplaces_feed"))
    report_sections = (modules.ReportSection("keypopulations", f"{PACKAGE}.report.figures",
                                             f"{PACKAGE}.report.wording"),)
    figure_sources = ("KeyTest", "RosterEntry", "Compliance")
    scoped_tables = ("KeyGroup", "GroupFrequency", "RosterEntry", "KeyTest", "WorkplaceFlag")
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
