"""App config of accounts: users, roles and region memberships."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fangkong.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from fangkong.accounts import signin_audit  # noqa: F401  (connects the sign-in audit receivers)
