"""``fangkong keyring_rotate``: rotate the persons' keyring (crypto-shredding, ``fangkong.persons.shredding``).

The retention purge runs the rotation itself after deleting persons; this command is for an operator who
deleted persons otherwise, or resumes a rotation that was interrupted (it finishes the one under way).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from fangkong.persons.shredding import rotate


class Command(BaseCommand):
    help = "Rewrap every person's data key and rehash their identifiers under a new keyring epoch, then destroy the old one."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=5000, help="rows per transaction (default 5000)")

    def handle(self, *args, **options):
        result = rotate(batch=options["batch"],
                        progress=lambda label, done: self.stdout.write(f"{label}: {done:,} rows rekeyed"))
        self.stdout.write(f"keyring at epoch {result.epoch}; destroyed epochs: "
                          f"{', '.join(map(str, result.destroyed)) or 'none'}; rekeyed: "
                          + (", ".join(f"{k} {v:,}" for k, v in result.rekeyed.items()) or "nothing"))
