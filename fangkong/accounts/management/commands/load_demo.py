"""``fangkong demo``: migrate, load the demo province (Guangdong), create one demo user per role.

Idempotent: running it again keeps existing users and data. Prints the user names and the password.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.accounts.services import user_create
from fangkong.data_generation import bump_data_generation
from fangkong.regions.services import region_tree_load

DEMO_PASSWORD = "fangkong-demo-2022"  # noqa: S105 (printed on purpose: demo accounts only)
DEMO_USERS = (
    ("province", Role.PROVINCIAL_COMMANDER, "440000", "省指挥部"),
    ("shenzhen", Role.LOCAL_COMMANDER, "440300", "深圳市指挥部"),
    ("futian", Role.LOCAL_COMMANDER, "440304", "福田区指挥部"),
    ("province_epi", Role.EPIDEMIOLOGIST, "440000", "省疾控流调"),  # drafts the demo's daily reports
    ("dongguan_epi", Role.EPIDEMIOLOGIST, "441900", "东莞市疾控流调"),
    ("sentinel_futian", Role.SENTINEL_REPORTER, "440304", "福田区哨点"),
    ("quarantine_sz", Role.QUARANTINE_MANAGER, "440300", "深圳隔离点"),
    ("community_futian", Role.COMMUNITY_WORKER, "440304", "福田区社区工作者"),
    ("inspector_gz", Role.INSPECTOR, "440100", "广州督导"),
    ("lab_gd", Role.LABORATORY, "440000", "省实验室"),
    ("analyst", Role.ANALYST, "440000", "分析员"),
    ("admin", Role.SYSTEM_ADMINISTRATOR, "440000", "系统管理员"),
    # acts for one demo employer of Shenzhen (its EmployerAccess is granted by the key-populations demo)
    ("employer_sz", Role.ENTERPRISE_CONTACT, "440300", "深圳冷链企业联络员"),
)


class Command(BaseCommand):
    help = "Set up the demo: migrate, load the demo province, create the demo users."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        count = region_tree_load()
        self.stdout.write(f"demo province: {count} regions (Guangdong)")
        rows = []
        for username, role, region, display in DEMO_USERS:
            if not User.objects.filter(username=username).exists():
                user_create(username=username, password=DEMO_PASSWORD, memberships=[(region, role)],
                            display_name=display, validate_password=False)
            rows.append((username, Role(role).label, region))
        loader_actor = User.objects.get(username=DEMO_USERS[0][0])  # the provincial commander
        for loader in demo_loaders():
            self.stdout.write(loader(loader_actor))
        bump_data_generation()  # the loaders write in bulk: figures cached before the load are not used after it
        self.stdout.write(f"\nDemo users (password for all: {DEMO_PASSWORD})")
        for username, role, region in rows:
            self.stdout.write(f"  {username:<16} {role!s:<28} {region}")
        self.stdout.write("\nOpen http://127.0.0.1:8000/ and sign in.")


def demo_loaders():
    """The loaders the modules declare for their part of the demo scenario (``fangkong.modules``)."""
    from fangkong.modules import demo_loaders as declared

    return declared()
