"""``fangkong reporting_summary_rebuild``: recompute the daily reporting summary from the sentinel reports.

Needed only after reports were written around the services (COPY, a restored dump, a loader that does not
call ``fangkong.surveillance.summaries`` itself); the services and single-report saves keep it in step.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from fangkong.surveillance.summaries import reporting_summary_rebuild


class Command(BaseCommand):
    help = "Recompute the daily reporting summary (per sentinel site and day) from all sentinel reports."

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = reporting_summary_rebuild()
        self.stdout.write(f"daily reporting summary: {rows} rows (site × day) in "
                          f"{time.perf_counter() - started:.1f} s")
