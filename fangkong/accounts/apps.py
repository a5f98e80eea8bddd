"""App config of accounts: users, roles and region memberships."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role


class AccountsConfig(modules.ModuleConfig):
    name = "fangkong.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    capabilities = (
        modules.CapabilityGrant("user.manage", _("Manage users and memberships"), (Role.SYSTEM_ADMINISTRATOR,), category=Category.REFERENCE),
    )
    scoped_tables = ("User", "Membership")
    page_urls = ("accounts/two-factor/", "fangkong.accounts.urls")  # two-factor sign-in (two_factor.py)

    def ready(self) -> None:
        from fangkong.accounts import session_expiry, signin_audit  # noqa: F401  (connect their receivers)
        from fangkong.checks import deployment  # noqa: F401  (registers the deployment check)
