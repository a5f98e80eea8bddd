"""App config of the public module (权威发声): the public site that only shows approved, signed, verified
content (``fangkong.modules`` reads these declarations; the module's README says how it works)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]
PROBLEM_SOURCE = "public"  # the code of the problems it raises in the three lists
NOTICE_DRAFT = "public.notice_draft"
NOTICE_APPROVE = "public.notice_approve"
PUBLISH = "public.publish"
TESTING_SITE_DRAFT = "public.testing_site_draft"
TESTING_SITE_APPROVE = "public.testing_site_approve"


class PublicConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "public"
    verbose_name = "Public site"

    navigation = (modules.NavEntry("public", _("Public site"),
                                   _("Official notices, publishing approved content, the signed public site."),
                                   "public:manage"),)
    capabilities = (
        modules.CapabilityGrant(NOTICE_DRAFT, _("Draft official notices for the public site"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST),
                                category=Category.AGGREGATES),
        modules.CapabilityGrant(NOTICE_APPROVE, _("Approve official notices for the public site"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER), category=Category.AGGREGATES),
        modules.CapabilityGrant(TESTING_SITE_DRAFT, _("Draft testing sites and their hours for the public site"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST),
                                category=Category.AGGREGATES),
        modules.CapabilityGrant(TESTING_SITE_APPROVE, _("Approve testing sites and their hours for the public site"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER), category=Category.AGGREGATES),
        modules.CapabilityGrant(PUBLISH, _("Prepare and publish the public site"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER), category=Category.AGGREGATES),
    )
    page_urls = ("public/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 95  # last: publishes what the other modules approved (bulletins 40, cases 30)
    periodic_jobs = (modules.PeriodicJob("public-watch", "fangkong.public.watch", {"minute": "*/5"}),)
    scoped_tables = ("Notice", "Publication", "TestingSite")
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
    # the published site, its last good edition and the signing key (conf.py): in a temporary folder in tests
    # (a demo load publishes; the next test's public pages would serve it)
    isolated_paths = (("FANGKONG_PUBLIC_SITE_DIR", "site"), ("FANGKONG_PUBLIC_SNAPSHOT_DIR", "snapshot"),
                      ("FANGKONG_PUBLIC_SIGNING_KEY", "keys/site-signing.pem"), ("FANGKONG_PUBLIC_STATE_DIR", "state"))
    problem_sources = (modules.ProblemSource(PROBLEM_SOURCE, _("Public site tampering")),)
