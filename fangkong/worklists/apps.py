"""App config of the worklists module (问题清单、任务清单、责任清单): everything the platform needs from it
(``fangkong.modules``)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]  # "fangkong.worklists"
WRITE = "worklists.write"  # raise problems, create, assign, verify, return and cancel tasks, keep the units
WORK = "worklists.work"  # start and submit the tasks one owns
CALENDAR = "worklists.calendar"  # keep the working calendar of deadlines: holidays, weekends worked (province-wide)
MANUAL = "manual"  # the problem source of this module: a problem found by staff


class WorklistsConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "worklists"
    verbose_name = "Problem, task and responsibility lists"

    navigation = (modules.NavEntry("worklists", _("Problem, task and responsibility lists"),
                                   _("Owners, deadlines, escalation."), "worklists:inbox"),)
    capabilities = (
        modules.CapabilityGrant(WRITE, _("Raise problems, assign, verify, return and cancel tasks"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST),
                                category=Category.AGGREGATES),
        modules.CapabilityGrant(WORK, _("Work on and submit the tasks one owns"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST,
                                 Role.INSPECTOR), category=Category.AGGREGATES),
        modules.CapabilityGrant(CALENDAR, _("Keep the working calendar of deadlines (holidays, weekends worked)"),
                                (Role.PROVINCIAL_COMMANDER,), category=Category.AGGREGATES),
    )
    page_urls = ("worklists/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 90  # after the modules whose alerts and hand-offs it lists
    periodic_jobs = (modules.PeriodicJob("worklists-escalate", "fangkong.worklists.escalate", {"minute": "*/10"}),
                     modules.PeriodicJob("worklists-feed", "fangkong.worklists.feed", {"minute": "5-59/10"}))
    dashboard_panels = (modules.DashboardPanel("worklists", _("Tasks"), "worklists/_panel.html",
                                               f"{PACKAGE}.selectors.panel_context"),)
    figure_sources = ("Task", "Escalation")
    scoped_tables = ("Problem", "Task", "TaskEvent", "Escalation", "Unit")
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
    problem_sources = (modules.ProblemSource(MANUAL, _("Found by staff")),)
    report_sections = (modules.ReportSection("worklists", f"{PACKAGE}.report.figures", f"{PACKAGE}.report.wording"),)
