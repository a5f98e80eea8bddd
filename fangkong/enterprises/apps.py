"""App config of the enterprises module (一企一策): key enterprises, their prevention plans, support tickets,
supply chains and operating status — everything the platform needs from it (``fangkong.modules``)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category, Reach
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]
REGISTER = "enterprises.register"  # register enterprises, their contacts, places and supply-chain links
PLAN_SUBMIT = "enterprises.plan_submit"  # submit a version of an enterprise's prevention plan
PLAN_APPROVE = "enterprises.plan_approve"  # approve or reject it (a county official of the enterprise's county)
TICKET_SUBMIT = "enterprises.ticket_submit"  # ask for support; record the day's operating status
TICKET_ANSWER = "enterprises.ticket_answer"  # accept and answer tickets routed to a department
PROBLEM_SOURCE = "enterprise"  # the problems of the three lists this module raises: tickets past their time
OFFICIALS = (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST)


class EnterprisesConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "enterprises"
    verbose_name = "Enterprises"

    navigation = (modules.NavEntry("enterprises", _("Key enterprises"),
                                   _("One policy per enterprise: prevention plans, support tickets, supply chains, "
                                     "resumption of work and production."), "enterprises:enterprise-list"),)
    capabilities = (
        modules.CapabilityGrant(REGISTER, _("Register key enterprises, their contacts and supply-chain links"),
                                OFFICIALS, category=Category.NAMED),
        modules.CapabilityGrant(PLAN_SUBMIT, _("Submit an enterprise's prevention plan"),
                                (*OFFICIALS, Role.ENTERPRISE_CONTACT), category=Category.NAMED),
        modules.CapabilityGrant(PLAN_APPROVE, _("Approve enterprises' prevention plans for the county"),
                                (Role.LOCAL_COMMANDER,), category=Category.NAMED),
        modules.CapabilityGrant(TICKET_SUBMIT, _("Submit support tickets and operating status of an enterprise"),
                                (*OFFICIALS, Role.ENTERPRISE_CONTACT), category=Category.NAMED),
        modules.CapabilityGrant(TICKET_ANSWER, _("Answer enterprises' support tickets"), OFFICIALS,
                                category=Category.NAMED),
    )
    #: the enterprises whose credit code the account acts for (``keypopulations.EmployerAccess``):
    #: ``selectors.enterprise_q``
    served_reaches = (Reach.OWN_ENTERPRISES,)
    page_urls = ("enterprises/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 70  # after places (50) and key populations (60)
    import_kinds = (modules.ImportKind("enterprises", _("Key enterprises"), f"{PACKAGE}.imports.allowed",
                                       f"{PACKAGE}.imports.run"),)
    problem_sources = (modules.ProblemSource(PROBLEM_SOURCE, _("Enterprise support tickets past their time limit"),
                                             f"{PACKAGE}.problems.feed"),)
    dashboard_panels = (modules.DashboardPanel("enterprises", _("Resumption of work and production"),
                                               "enterprises/_panel.html", f"{PACKAGE}.selectors.panel_context"),)
    report_sections = (modules.ReportSection("enterprises", f"{PACKAGE}.report.figures", f"{PACKAGE}.report.wording"),)
    figure_sources = ("OperatingStatus",)
    scoped_tables = ("Enterprise", "ContactPerson", "PreventionPlan", "Ticket", "SupplyLink", "OperatingStatus")
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
