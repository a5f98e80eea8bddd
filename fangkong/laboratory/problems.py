"""What the laboratory module raises in the problem list (``ModuleConfig.problem_sources``):

- when pools turn positive or inconclusive (``services.pools_flag``), one problem per round and county for the
  pools flagged together — a result: its pool; a city's result file: all its positive tubes — with an urgent
  (24-hour) task for the county: the single re-sampling (单采单检) of their members, each due at
  ``PoolMember.resample_due``;
- when a goods lot or an environment specimen tests positive (``services.investigation_open``), one problem for
  the specimen's region with an urgent task: the investigation of the persons exposed to it;
- the feed (``feed(now)``, the job ``worklists-feed``): members still without a decisive single result after
  their deadline, one problem per round, county and day.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from fangkong.worklists.feeds import already_raised
from fangkong.worklists.models import Severity, SlaClass
from fangkong.worklists.services import problem_raise

from .apps import PROBLEM_SOURCE as SOURCE
from .models import Investigation, Pool, PoolMember, ScreeningRound

SHOWN_CODES = 20


def pools_problem_raise(round_id: int, region_id: str, pool_ids: list[int], now: dt.datetime) -> bool:
    """Raise the re-sampling problem of pools flagged together (once: keyed by their first pool)."""
    screening = ScreeningRound.objects.get(pk=round_id)
    codes = list(Pool.objects.filter(pk__in=pool_ids[:SHOWN_CODES]).order_by("pk").values_list("code", flat=True))
    members = PoolMember.objects.filter(pool_id__in=pool_ids).count()
    more = f" 等 {len(pool_ids)} 管" if len(pool_ids) > len(codes) else ""
    link = (reverse("laboratory:pool-detail", kwargs={"pool_id": pool_ids[0]}) if len(pool_ids) == 1
            else reverse("laboratory:round-detail", kwargs={"round_id": round_id}))
    _problem, created = problem_raise(
        actor=None, source=SOURCE, source_key=f"flag:{min(pool_ids)}", region=region_id,
        severity=Severity.SERIOUS, sla_class=SlaClass.URGENT,
        title=f"混管阳性或可疑 {len(pool_ids)} 管，{members} 人待单采单检",
        evidence=f"{screening.name}：混管 {'、'.join(codes)}{more}，{members} 人已临时管控，应于 "
                 f"{timezone.localtime(now):%Y-%m-%d %H:%M} 起 24 小时内完成单采单检。",
        link=link, found_at=min(now, timezone.now()))
    return created


def feed(now: dt.datetime) -> int:
    """Raise a problem for the members past their re-sampling deadline without a decisive single result, per
    round, county and day (once); how many were raised."""
    raised, done = 0, already_raised(SOURCE)
    late = (PoolMember.objects.filter(resample_due__lt=now, verdict__in=("", "inconclusive"))
            .values("round_id", "pool__region_id").annotate(n=Count("id")).order_by("round_id"))
    day = timezone.localtime(now).date()
    for row in late:
        key = f"late:{row['round_id']}:{row['pool__region_id']}:{day:%Y%m%d}"
        if key in done:
            continue
        _problem, created = problem_raise(
            actor=None, source=SOURCE, source_key=key, region=row["pool__region_id"], severity=Severity.SERIOUS,
            title=f"单采单检逾期：{row['n']} 人", evidence=f"全员核酸检测轮次 #{row['round_id']}：{row['n']} 人已过单采单检截止时间。",
            link=reverse("laboratory:round-detail", kwargs={"round_id": row["round_id"]}), found_at=min(now, timezone.now()))
        raised += created
    return raised


def investigation_problem_raise(investigation: Investigation, now: dt.datetime) -> bool:
    """Raise the problem of a new investigation (once: keyed by it)."""
    specimen = investigation.specimen
    what = f"物品批次 {specimen.goods_lot.lot_no}" if specimen.goods_lot_id else f"环境样本 {specimen.code}"
    _problem, created = problem_raise(
        actor=None, source=SOURCE, source_key=f"investigation:{investigation.pk}", region=investigation.region_id,
        severity=Severity.SERIOUS, sla_class=SlaClass.URGENT, title=f"{what} 核酸阳性：开展暴露人员调查",
        evidence=f"{what}（样本 {specimen.code}）核酸阳性，应排查仓储、流通环节从业人员和场所同时空人员。",
        link=reverse("laboratory:investigation-detail", kwargs={"investigation_id": investigation.pk}),
        found_at=min(now, timezone.now()))
    return created
