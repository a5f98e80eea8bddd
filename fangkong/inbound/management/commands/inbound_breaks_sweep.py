"""``fangkong inbound_breaks_sweep``: the periodic break sweep, for cron where there is no Celery beat."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Find the breaks in the inbound closed loops now (what Celery beat runs every quarter of an hour)."

    def handle(self, *args, **options):
        from fangkong.inbound.services import breaks_sweep

        result = breaks_sweep()
        self.stdout.write(f"breaks found: {result['found']}, escalated: {result['escalated']}")
