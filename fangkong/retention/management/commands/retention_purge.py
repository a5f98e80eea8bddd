"""``fangkong retention_purge ID``: run an approved purge, or finish one a crash interrupted (resumable)."""

from django.core.management.base import BaseCommand

from fangkong.retention.services import purge_run


class Command(BaseCommand):
    help = "Run an approved purge, or finish an interrupted one (it goes on where it stopped)."

    def add_arguments(self, parser):
        parser.add_argument("purge_id", type=int)
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, purge_id: int, batch_size: int, **options):
        purge = purge_run(purge_id=purge_id, batch_size=batch_size)
        self.stdout.write(f"purge {purge.pk}: {purge.status} {purge.progress.get('counts', {})}")
