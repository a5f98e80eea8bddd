"""App config of the follow-up module: everything the platform needs from it (``fangkong.modules``)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category, Reach
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]  # "fangkong.followup"
PROBLEM_SOURCE = "followup"  # the code of the problems it raises in the three lists (``problems.py``)
# record checks and tests of the persons under management one may read: in one's region (commanders,
# epidemiologists), in one's quarantine sites (managers), at home in one's area (community workers)
RECORD = "followup.record"


class FollowupConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "followup"
    verbose_name = "Follow-up"

    navigation = (modules.NavEntry("followup", _("Daily follow-up"),
                                   _("Today's health checks and tests of the persons under management."),
                                   "followup:due"),)
    capabilities = (modules.CapabilityGrant(RECORD, _("Record daily health checks and tests of persons under management"),
                                            (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER,
                                             Role.EPIDEMIOLOGIST, Role.QUARANTINE_MANAGER, Role.COMMUNITY_WORKER),
                                            category=Category.NAMED),)
    # The persons under home monitoring of a community worker's area (``selectors.reach_q``).
    served_reaches = (Reach.HOME_MONITORED,)
    page_urls = ("followup/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 55  # after the cases module's contacts (30) and the inbound travellers in quarantine (50)
    periodic_jobs = (
        modules.PeriodicJob("followup-sync", f"{PACKAGE}.subjects_sync", {"minute": "*/15"}),
        modules.PeriodicJob("followup-sweep", f"{PACKAGE}.followups_sweep", {"hour": 0, "minute": 5}),
    )
    dashboard_panels = (modules.DashboardPanel("followup", _("Daily follow-up"), "followup/_panel.html",
                                               f"{PACKAGE}.selectors.panel_context"),)
    figure_sources = ("Subject", "HealthCheck", "ScheduledTest")
    scoped_tables = ("Subject", "HealthCheck", "ScheduledTest")
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
    # Who is under management (``fangkong.followup.sources``): the contacts of the cases module. Another
    # module adds its own kind by declaring ``followup_sources`` on its own config.
    followup_sources = (f"{PACKAGE}.sources.ContactSource",)
    # A day's checks from a file (``imports.py``), run by the platform's import jobs; a million rows fit.
    import_kinds = (modules.ImportKind("followup_checks", _("Daily health checks"), f"{PACKAGE}.imports.checks_allowed",
                                       f"{PACKAGE}.imports.checks_run", max_bytes=200 * 1024 * 1024,
                                       page="followup:import"),)
    # A laboratory's result of a person under management reaches the test scheduled on its sampling day.
    result_receivers = (f"{PACKAGE}.services.laboratory_results_receive",)
    problem_sources = (modules.ProblemSource(PROBLEM_SOURCE, _("Follow-up: fever, positive test or missed checks"),
                                             f"{PACKAGE}.problems.feed"),)
