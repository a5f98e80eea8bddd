"""What the laboratory module raises in the problem list (``ModuleConfig.problem_sources``): a positive or
inconclusive pool, once, with a 24-hour task for its county — the single re-sampling (单采单检) of its members,
each due at ``PoolMember.resample_due``. The result service raises it at once; the feed catches any flagged
pool not raised yet (a bulk ingest, a failure)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from fangkong.worklists.feeds import already_raised
from fangkong.worklists.models import Severity, SlaClass
from fangkong.worklists.services import problem_raise

from .apps import PROBLEM_SOURCE as SOURCE
from .models import Pool


def pool_problem_raise(pool: Pool, now: dt.datetime) -> bool:
    """Raise the re-sampling problem of a flagged pool (once); whether it was new."""
    members = pool.members.count()
    _problem, created = problem_raise(
        actor=None, source=SOURCE, source_key=f"pool:{pool.pk}", region=pool.region_id,
        severity=Severity.SERIOUS, sla_class=SlaClass.URGENT,
        title=f"混管{pool.result.get_outcome_display()}：{pool.code}，{members} 人待单采单检",
        evidence=f"混管 {pool.code}（{pool.round.name}），{members} 人已临时管控，应于 "
                 f"{timezone.localtime(now):%Y-%m-%d %H:%M} 起 24 小时内完成单采单检。",
        link=reverse("laboratory:pool-detail", kwargs={"pool_id": pool.pk}), found_at=min(now, timezone.now()))
    return created


def feed(now: dt.datetime) -> int:
    """Raise a problem for every flagged, unresolved pool not raised yet; how many were raised."""
    raised, done = 0, already_raised(SOURCE)
    for pool in Pool.objects.filter(result__outcome__in=("positive", "inconclusive"), resolution="") \
            .select_related("round", "result").order_by("id"):
        if f"pool:{pool.pk}" not in done:
            raised += pool_problem_raise(pool, now)
    return raised
