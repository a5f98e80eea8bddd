"""App config of the interop module: everything the platform needs from it (``fangkong.modules``)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]  # the module's import path, e.g. "fangkong.interop"
WRITE = "interop.write"  # the capability this module defines


class InteropConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "interop"
    verbose_name = "Interop"

    navigation = (modules.NavEntry("interop", _("Interop"), _("Entries by region."),
                                   "interop:entry-list"),)
    capabilities = (modules.CapabilityGrant(WRITE, _("Record interop entries"),
                                            (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER,
                                             Role.EPIDEMIOLOGIST),
                                            category=Category.AGGREGATES),)  # what the capability writes
    page_urls = ("interop/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 50
    scoped_tables = ("Entry",)
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
    # When the module needs them (docs/adding-a-module.md):
    # served_reaches = (Reach.OWN_SAMPLES,)  # a need-to-know reach only this module's selectors answer
    # isolated_paths = (("FANGKONG_INTEROP_DIR", "interop"),)  # files it writes: apart in tests
    # problem_sources = (modules.ProblemSource("interop", _("Overdue entry"), f"{PACKAGE}.problems.feed"),)
    #     # problems it raises in the three lists; feed(now) -> int, run by the job worklists-feed
