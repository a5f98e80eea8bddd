"""What the cases module raises in the problem list (``ModuleConfig.problem_sources``): a stalled import — an
import job queued or running whose last sign of life (its heartbeat, or its submission when it never started)
is older than ``ImportJob.STALLED_AFTER`` (its process was lost; its page offers to run it again) — becomes a
moderate problem, once per job and stall, for the submitter's region. A job abandoned by ``import_jobs_purge``
is failed, no longer stalled. The evidence names the job by its number; never the file (it may be named after
a person)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.access import memberships_of
from fangkong.worklists.feeds import raise_each
from fangkong.worklists.models import Severity

from .apps import PROBLEM_SOURCE as SOURCE
from .models import ImportJob


def _last_sign(job: ImportJob) -> dt.datetime:
    return job.heartbeat_at or job.created_at


def feed(now: dt.datetime) -> int:
    """Raise a problem for every stalled import job not raised yet for this stall; how many were raised."""
    cutoff = now - ImportJob.STALLED_AFTER
    stalled = (ImportJob.objects.filter(status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING])
               .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff))
               .select_related("created_by").defer("data", "errors").order_by("id"))

    def problem(job: ImportJob) -> dict | None:
        regions = sorted(code for code, _role in memberships_of(job.created_by))
        if not regions:
            return None  # nobody's region to act: the job's page still shows it to its submitter
        last = _last_sign(job)
        return {"region": regions[0], "severity": Severity.MODERATE,
                "title": f"数据导入作业停滞：#{job.pk}（{job.kind}）",
                "evidence": f"导入作业 #{job.pk}（{job.kind}），{job.get_status_display()}，最后一次活动于 "
                            f"{timezone.localtime(last):%Y-%m-%d %H:%M}，已处理 {job.processed_rows}/{job.total_rows} 行；"
                            f"可在作业页面重新运行。",
                "link": reverse("cases:import-job", kwargs={"job_id": job.pk}),
                "found_at": min(last + ImportJob.STALLED_AFTER, timezone.now())}

    return raise_each(SOURCE, stalled, lambda job: f"import:{job.pk}:{_last_sign(job):%Y%m%dT%H%M%S}", problem)
