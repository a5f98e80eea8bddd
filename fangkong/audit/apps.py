"""App config of the audit trail: the module declares its navigation entry and who may browse it."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role


class AuditConfig(modules.ModuleConfig):
    name = "fangkong.audit"
    label = "audit"
    verbose_name = "Audit trail"

    navigation = (modules.NavEntry("audit", _("Audit trail"), _("Who did what, when, from where."), "web:audit-list"),)
    capabilities = (
        modules.CapabilityGrant("audit.browse", _("Browse the audit trail"), (Role.SYSTEM_ADMINISTRATOR,), category=Category.AUDIT),
    )
