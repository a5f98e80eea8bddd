"""What the follow-up module raises in the problem list of the three lists (``ModuleConfig.problem_sources``):
the same day, to the managing region (the responsible epidemiologist's), once each (``problem_raise`` is
idempotent by source and key):

- fever or symptoms of a person under management (``sick:<subject>``), raised at once by the check that
  records them (``services``), serious;
- a positive scheduled test (``positive:<test>``), raised at once by the result, critical;
- the missed checks of a region on a day (``missed:<region>:<day>``: one problem per region and day with
  their count, not one per person — a district's bad day is one item to act on, with the overdue list as
  its link), raised by the end-of-day sweep, moderate.

``feed`` (the ``worklists-feed`` job) raises whatever is not raised yet, so a problem lost with a failed
transaction comes back on the next run. Titles are written in Chinese (the lists keep them as written);
the evidence names records by their numbers and links, never a person's name or identifiers.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from fangkong.worklists.feeds import already_raised
from fangkong.worklists.models import Severity
from fangkong.worklists.services import problem_raise

from .apps import PROBLEM_SOURCE as SOURCE
from .models import HealthCheck, ScheduledTest, Subject

LOOK_BACK = dt.timedelta(days=7)  # the feed raises what the last week shows


def sick_raise(subject: Subject, day: dt.date) -> bool:
    """Fever or symptoms recorded for ``subject`` (first on ``day``): one serious problem per person."""
    _problem, created = problem_raise(
        actor=None, source=SOURCE, source_key=f"sick:{subject.pk}", region=subject.region_id,
        severity=Severity.SERIOUS, title=f"随访发现发热或症状：{subject.label}",
        evidence=f"{subject.label} 于 {day.isoformat()} 健康监测发现发热或症状，请及时研判、必要时转为疑似病例。",
        link=reverse("followup:subject", kwargs={"pk": subject.pk}))
    return created


def positive_raise(test: ScheduledTest, subject: Subject) -> bool:
    """A positive scheduled test: one critical problem per test."""
    _problem, created = problem_raise(
        actor=None, source=SOURCE, source_key=f"positive:{test.pk}", region=subject.region_id,
        severity=Severity.CRITICAL, title=f"管控人员核酸检测阳性：{subject.label}",
        evidence=f"{subject.label} 应于 {test.due_date.isoformat()} 检测，采样 {test.taken_on.isoformat()}，结果阳性。",
        link=reverse("followup:subject", kwargs={"pk": subject.pk}))
    return created


def missed_raise(region: str, day: dt.date, count: int) -> bool:
    """The missed checks of ``region`` on ``day``: one moderate problem per region and day."""
    _problem, created = problem_raise(
        actor=None, source=SOURCE, source_key=f"missed:{region}:{day.isoformat()}", region=region,
        severity=Severity.MODERATE, title=f"随访漏检：{day.isoformat()} 共 {count} 人次",
        evidence=f"{region} 辖区 {day.isoformat()} 有 {count} 人次健康监测未完成。",
        link=f"{reverse('followup:overdue')}?day={day.isoformat()}&region={region}")
    return created


def missed_counts(day: dt.date) -> list[tuple[str, int]]:
    """(region, missed checks) of ``day``: one grouped query over the day's index."""
    return list(HealthCheck.objects.filter(day=day, outcome=HealthCheck.Outcome.MISSED).values_list("region_id")
                .annotate(n=Count("id")).order_by("region_id"))


def feed(now: dt.datetime) -> int:
    """Raise every follow-up problem of the last week not raised yet; how many were raised."""
    done, raised = already_raised(SOURCE), 0
    today = timezone.localtime(now).date()
    for subject in Subject.objects.filter(symptomatic_since__gte=today - LOOK_BACK).exclude(
            symptomatic_since__isnull=True).order_by("id"):
        if f"sick:{subject.pk}" not in done and HealthCheck.objects.filter(
                subject=subject, outcome=HealthCheck.Outcome.SYMPTOMATIC).exists():
            raised += sick_raise(subject, subject.symptomatic_since)
    for test in ScheduledTest.objects.filter(result=ScheduledTest.Result.POSITIVE,
                                             taken_on__gte=today - LOOK_BACK).select_related("subject"):
        if f"positive:{test.pk}" not in done:
            raised += positive_raise(test, test.subject)
    day = today - LOOK_BACK
    while day < today:
        for region, count in missed_counts(day):
            if f"missed:{region}:{day.isoformat()}" not in done:
                raised += missed_raise(region, day, count)
        day += dt.timedelta(days=1)
    return raised
