"""App config of the interop module: everything the platform needs from it (``fangkong.modules``)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]  # "fangkong.interop"
CONFIGURE = "interop.configure"  # configure destinations and their DHIS2 mapping: administrators only
SEND_AGGREGATES = "interop.send_aggregates"  # queue aggregate figures (DHIS2) for a destination
SEND_CASES = "interop.send_cases"  # queue case reports (FHIR bundles, person data) for a destination
PROBLEM_SOURCE = "interop"


class InteropConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "interop"
    verbose_name = "Interoperability"

    navigation = (modules.NavEntry("interop", _("Data exchange"),
                                   _("Outbound queue to FHIR and DHIS2 systems, and the destinations."),
                                   "interop:message-list"),)
    capabilities = (
        modules.CapabilityGrant(CONFIGURE, _("Configure data-exchange destinations"), (Role.SYSTEM_ADMINISTRATOR,),
                                category=Category.REFERENCE),
        modules.CapabilityGrant(SEND_AGGREGATES, _("Send aggregate figures to a data-exchange destination"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST),
                                category=Category.AGGREGATES),
        modules.CapabilityGrant(SEND_CASES, _("Send case reports to a data-exchange destination"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST),
                                category=Category.NAMED),
    )
    page_urls = ("interop/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 90
    periodic_jobs = (modules.PeriodicJob("interop-send-due", f"{PACKAGE}.send_due", {"minute": "*"}),)
    scoped_tables = ("Destination", "OutboundMessage", "Dhis2Mapping", "Dhis2OrgUnit")
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
    import_kinds = (modules.ImportKind("fhir_bundles", _("FHIR case reports (NDJSON)"),
                                       f"{PACKAGE}.fhir_bulk.allowed", f"{PACKAGE}.fhir_bulk.run",
                                       max_bytes=200 * 1024 * 1024, tabular=False,
                                       page="interop:case-reports-import"),)
    problem_sources = (modules.ProblemSource(PROBLEM_SOURCE, _("Message refused by a receiving system"),
                                             f"{PACKAGE}.problems.feed"),)
