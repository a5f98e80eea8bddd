"""``fangkong createuser NAME --region CODE --role ROLE [--password P]``: a user with one membership."""

from __future__ import annotations

import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fangkong.accounts.roles import Role
from fangkong.accounts.services import user_create


class Command(BaseCommand):
    help = "Create a user holding a membership (region, role)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--region", required=True, help="GB/T 2260 code, e.g. 440300")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", help="prompted for when omitted")
        parser.add_argument("--display-name", default="")

    def handle(self, *args, username, region, role, password, display_name, **options):
        password = password or getpass.getpass("Password: ")
        try:
            user = user_create(username=username, password=password, memberships=[(region, role)],
                               display_name=display_name)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stdout.write(self.style.SUCCESS(f"created {user.username} ({role} in {region})"))
