"""App config of sentinel surveillance: sites, daily reports, detection, signals and their response.

No model signal is connected: the services that write reports refresh the daily reporting summary
(``summaries.py``) and bump the data generation themselves.
"""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role

PROBLEM_SOURCE = "surveillance"  # the code of the problems it raises in the three lists (``problems.py``)
REPORTS_PROBLEM_SOURCE = "sentinel_reports"  # missing or late sentinel reports (``problems.reports_feed``)

#: When the daily detection run starts (local time), for the day before (``tasks.py``).
DAILY_RUN = {"hour": 9, "minute": 0}


class SurveillanceConfig(modules.ModuleConfig):
    name = "fangkong.surveillance"
    label = "surveillance"
    verbose_name = "Sentinel surveillance"

    navigation = (modules.NavEntry("surveillance", _("Sentinel surveillance"),
                                   _("Sentinel reports, early warning, signals and response."), "surveillance:alert-list"),)
    capabilities = (
        modules.CapabilityGrant("surveillance.report", _("Submit daily reports for one's own sentinel sites"),
                                (Role.SENTINEL_REPORTER,), category=Category.AGGREGATES),
        modules.CapabilityGrant("surveillance.import", _("Import sentinel reports in bulk"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST), category=Category.AGGREGATES),
        modules.CapabilityGrant("surveillance.respond", _("Acknowledge, investigate and verify signals"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST), category=Category.AGGREGATES),
        modules.CapabilityGrant("surveillance.configure", _("Configure aberration detection and response targets"),
                                (Role.PROVINCIAL_COMMANDER, Role.EPIDEMIOLOGIST), category=Category.AGGREGATES),
    )
    page_urls = ("surveillance/", "fangkong.surveillance.urls")
    api_urls = "fangkong.surveillance.api_urls"
    demo_loader = "fangkong.surveillance.demo.demo_load"
    demo_order = 20
    periodic_jobs = (modules.PeriodicJob("surveillance-daily-detection", "fangkong.surveillance.detection_run", DAILY_RUN),)
    figure_sources = ("Alert", "AlertTransition", "EarliesTarget", "ResponseTarget", "SentinelReport",
                      "SentinelReportRevision")
    scoped_tables = ("SentinelReport", "Alert", "AlertTransition")
    scope_records = "fangkong.surveillance.tests.scope.other_city_records"
    aggregate_figures = (modules.AggregateFigures("surveillance", "fangkong.surveillance.figures.choices",
                                                  "fangkong.surveillance.figures.count"),)  # per indicator (DHIS2)
    problem_sources = (modules.ProblemSource(PROBLEM_SOURCE, _("Unanswered early-warning signal"),
                                             "fangkong.surveillance.problems.feed"),
                       modules.ProblemSource(REPORTS_PROBLEM_SOURCE, _("Missing or late sentinel reports"),
                                             "fangkong.surveillance.problems.reports_feed"))
