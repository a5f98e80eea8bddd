"""The demo part of the retention module (its ``demo_loader``): the default policies, a second administrator
(``admin2``), one policy change proposed by ``admin`` awaiting the second administrator, and a dry run on
the demo province awaiting approval (nothing is deleted)."""

from __future__ import annotations

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.accounts.services import user_create

from .models import PolicyChange, Purge
from .services import policies_seed, policy_change_propose, purge_plan

SECOND_ADMIN = "admin2"


def second_admin() -> User:
    from fangkong.accounts.management.commands.load_demo import DEMO_PASSWORD

    user = User.objects.filter(username=SECOND_ADMIN).first()
    if user is None:
        user = user_create(username=SECOND_ADMIN, password=DEMO_PASSWORD,
                           memberships=[("440000", Role.SYSTEM_ADMINISTRATOR)], display_name="系统管理员（复核）",
                           validate_password=False)
    return user


def demo_load(actor) -> str:
    seeded = policies_seed()
    second_admin()
    admin = User.objects.filter(username="admin").first() or second_admin()
    if not PolicyChange.objects.exists():
        policy_change_propose(actor=admin, category="scans", clock="scan_time", period_days=21, action="delete",
                              legal_basis="《个人信息保护法》第四十七条：场所码扫码记录仅用于流调",
                              reason="场所码记录保存期限缩短为21天（与流调回溯期一致）")
    if not Purge.objects.exists():
        purge_plan(actor=admin, region="440000")
    return (f"demo retention: {seeded} policies seeded, {PolicyChange.objects.filter(status='pending').count()} "
            f"change awaiting a second administrator ({SECOND_ADMIN}), {Purge.objects.count()} dry run")
