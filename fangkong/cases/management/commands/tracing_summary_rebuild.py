"""``fangkong tracing_summary_rebuild``: recompute the whole daily tracing summary and every case's earlies
intervals (``fangkong.cases.case_earlies``) from the rows.

Needed only after data was written around the services (COPY, a restored dump, a loader that does not
call ``fangkong.cases.summaries`` itself); the services keep the summary in step on every write.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from fangkong.cases.case_earlies import case_earlies_rebuild
from fangkong.cases.summaries import tracing_summary_rebuild


class Command(BaseCommand):
    help = ("Recompute the daily tracing summary (per region and day) from all contacts and cases, and the "
            "earlies intervals of every case.")

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = tracing_summary_rebuild()
        self.stdout.write(f"daily tracing summary: {rows} rows (region × day) in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        cases = case_earlies_rebuild()
        self.stdout.write(f"earlies intervals: {cases} cases in {time.perf_counter() - started:.1f} s")
