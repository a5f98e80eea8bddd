"""``fangkong two_factor_remove NAME``: remove a user's authenticator and recovery codes (a lost phone).

The user signs in with the password alone afterwards, or is sent to enrol again where the role must use
two-factor sign-in (``FANGKONG_TWO_FACTOR_REQUIRED``). Audited (no actor: the command line).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from fangkong.accounts.models import User
from fangkong.accounts.services import two_factor_remove


class Command(BaseCommand):
    help = "Remove a user's two-factor authenticator and recovery codes (e.g. a lost phone); audited."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if two_factor_remove(user=user, actor=None):
            self.stdout.write(f"two-factor sign-in removed for {username}")
        else:
            self.stdout.write(f"{username} had no two-factor sign-in")
