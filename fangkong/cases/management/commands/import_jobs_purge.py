"""``fangkong import_jobs_purge``: drop the uploaded files of import jobs that may no longer run.

Celery beat runs it every hour; without a broker, run it from cron. See ``fangkong.cases.jobs``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from fangkong.cases.jobs import import_jobs_purge


class Command(BaseCommand):
    help = "Drop the files of finished import jobs and of jobs abandoned for FANGKONG_IMPORT_FILE_HOURS."

    def handle(self, *args, **options):
        abandoned = import_jobs_purge()
        self.stdout.write(f"import files purged; {abandoned} job(s) abandoned after "
                          f"{settings.IMPORT_FILE_HOURS} hours without a sign of life")
