"""App config of the retention module: everything the platform needs from it (``fangkong.modules``)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]  # "fangkong.retention"
MANAGE = "retention.manage"  # policies, holds, dry runs and purges: administrators, four eyes


class RetentionConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "retention"
    verbose_name = "Retention"

    navigation = (modules.NavEntry("retention", _("Retention and deletion"),
                                   _("Retention policies, legal holds, purges and deletion certificates."),
                                   "retention:home"),)
    capabilities = (modules.CapabilityGrant(MANAGE, _("Manage retention policies, legal holds and purges"),
                                            (Role.SYSTEM_ADMINISTRATOR,), category=Category.REFERENCE),)
    page_urls = ("retention/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 95
    person_sections = (f"{PACKAGE}.sections.scheduled_deletion_section",)
    # the scheduled deletion on the page and the API detail of every record a policy covers (sections.COVERED)
    record_sections = (modules.RecordSection(("cases.Case", "cases.Contact", "inbound.Traveller",
                                              "laboratory.Specimen", "surveillance.SentinelReport"),
                                             f"{PACKAGE}.sections.record_section", key="scheduled_deletion",
                                             data=f"{PACKAGE}.sections.record_schedule"),)
    scoped_tables = ("RetentionPolicy", "PolicyChange", "LegalHold", "Purge")
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
