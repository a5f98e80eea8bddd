"""``fangkong resources_shortage_sweep``: the daily forecast's warnings, for cron where there is no Celery beat."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Forecast every city's resources and raise a problem for each shortage within the warning horizon."

    def handle(self, *args, **options):
        from fangkong.resources.services import shortage_sweep

        result = shortage_sweep()
        self.stdout.write(f"forecast lines: {result['lines']}, warnings: {result['warnings']}, raised: {result['raised']}")
