"""App config of the laboratory module: everything the platform needs from it (``fangkong.modules``)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]  # the module's import path, e.g. "fangkong.laboratory"
WRITE = "laboratory.write"  # the capability this module defines


class LaboratoryConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "laboratory"
    verbose_name = "Laboratory"

    navigation = (modules.NavEntry("laboratory", _("Laboratory"), _("Entries by region."),
                                   "laboratory:entry-list"),)
    capabilities = (modules.CapabilityGrant(WRITE, _("Record laboratory entries"),
                                            (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER,
                                             Role.EPIDEMIOLOGIST),
                                            category=Category.AGGREGATES),)  # what the capability writes
    page_urls = ("laboratory/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 50
    scoped_tables = ("Entry",)
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
    # When the module needs them (docs/adding-a-module.md):
    # served_reaches = (Reach.OWN_SAMPLES,)  # a need-to-know reach only this module's selectors answer
    # isolated_paths = (("FANGKONG_LABORATORY_DIR", "laboratory"),)  # files it writes: apart in tests
    # problem_sources = (modules.ProblemSource("laboratory", _("Overdue entry"), f"{PACKAGE}.problems.feed"),)
    #     # problems it raises in the three lists; feed(now) -> int, run by the job worklists-feed
