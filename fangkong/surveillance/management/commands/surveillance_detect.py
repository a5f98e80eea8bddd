"""``fangkong surveillance_detect [--first DAY] [--last DAY]``: run sentinel detection (default: yesterday).

With ``--queue`` the run goes to the Celery workers (or runs in-process without a broker).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from fangkong.surveillance.tasks import detection_run_task


class Command(BaseCommand):
    help = "Run aberration detection on sentinel reports for a day or a period (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--first", help="first day (YYYY-MM-DD); default yesterday")
        parser.add_argument("--last", help="last day (YYYY-MM-DD); default = first")
        parser.add_argument("--queue", action="store_true", help="send to the job queue")

    def handle(self, *args, first=None, last=None, queue=False, **options):
        if queue:
            result = detection_run_task.delay(first, last)
            self.stdout.write(f"queued: {result.id}")
            return
        summary = detection_run_task(first, last)
        self.stdout.write(
            f"detection {summary['first']}..{summary['last']}: {summary['configs']} configurations, "
            f"{summary['signals']} new signals, {summary['alerts']} new alerts")
