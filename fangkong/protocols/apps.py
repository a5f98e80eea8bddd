"""App config of protocols: the versioned, effective-dated rules of each protocol edition."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role


class ProtocolsConfig(modules.ModuleConfig):
    name = "fangkong.protocols"
    label = "protocols"
    verbose_name = "Protocols"

    navigation = (modules.NavEntry("protocols", _("Protocols"),
                                   _("Versioned, effective-dated rules of each protocol edition."), "protocols:list"),)
    capabilities = (
        modules.CapabilityGrant("protocol.edit", _("Edit protocol versions"), (Role.SYSTEM_ADMINISTRATOR,), category=Category.REFERENCE),
    )
    page_urls = ("protocols/", "fangkong.protocols.urls")
    api_urls = "fangkong.protocols.api_urls"
    figure_sources = ("ProtocolVersion",)
