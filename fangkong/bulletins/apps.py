"""App config of bulletins: the daily situation report, its review and approval, the public page."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role


class BulletinsConfig(modules.ModuleConfig):
    name = "fangkong.bulletins"
    label = "bulletins"
    verbose_name = "Bulletins"

    navigation = (modules.NavEntry("bulletins", _("Bulletins"), _("Daily situation report, approval and the public page."),
                                   "bulletins:list"),)
    capabilities = (
        modules.CapabilityGrant("bulletin.draft", _("Generate daily situation reports"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST), category=Category.AGGREGATES),
        modules.CapabilityGrant("bulletin.review", _("Review daily situation reports"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST), category=Category.AGGREGATES),
        modules.CapabilityGrant("bulletin.approve", _("Approve daily situation reports"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER), category=Category.AGGREGATES),
    )
    page_urls = ("bulletins/", "fangkong.bulletins.urls")
    api_urls = "fangkong.bulletins.api_urls"
    demo_loader = "fangkong.bulletins.demo.demo_load"
    demo_order = 40
    scoped_tables = ("Bulletin",)
    scope_records = "fangkong.bulletins.tests.scope.other_city_records"
