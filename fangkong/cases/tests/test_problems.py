"""What the cases module raises in the problem list (``problems.py``): an import job that stopped showing signs
of life while queued or running, once per job and stall, for the submitter's region; never a finished job,
never the file's name."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.testing.builders import make_user
from fangkong.worklists.feeds import feed as worklists_feed
from fangkong.worklists.models import Problem

from ..apps import PROBLEM_SOURCE
from ..models import ImportJob
from ..problems import feed

pytestmark = pytest.mark.django_db


def job(user, status, *, started: dt.timedelta | None, created: dt.timedelta) -> ImportJob:
    now = timezone.now()
    made = ImportJob.objects.create(kind="cases", file_name="张三的名单.csv", data=b"x", created_by=user, status=status,
                                    heartbeat_at=now - started if started is not None else None, total_rows=10)
    ImportJob.objects.filter(pk=made.pk).update(created_at=now - created)  # auto_now_add: set afterwards
    made.refresh_from_db()
    return made


def test_a_stalled_import_becomes_one_problem_for_the_submitters_region_per_stall():
    epi = make_user("sz_importer", ("440300", Role.EPIDEMIOLOGIST))
    stalled_queue = job(epi, ImportJob.Status.QUEUED, started=None, created=dt.timedelta(minutes=45))
    stalled_run = job(epi, ImportJob.Status.RUNNING, started=dt.timedelta(minutes=30), created=dt.timedelta(hours=1))
    job(epi, ImportJob.Status.RUNNING, started=dt.timedelta(minutes=2), created=dt.timedelta(hours=1))  # alive
    job(epi, ImportJob.Status.QUEUED, started=None, created=dt.timedelta(minutes=3))  # just submitted
    job(epi, ImportJob.Status.DONE, started=dt.timedelta(hours=5), created=dt.timedelta(hours=6))  # finished
    job(epi, ImportJob.Status.FAILED, started=None, created=dt.timedelta(days=2))  # abandoned
    now = timezone.now()
    assert feed(now) == 2
    assert feed(now) == 0 and worklists_feed(now=now)[PROBLEM_SOURCE] == 0  # once
    problems = Problem.objects.filter(source=PROBLEM_SOURCE).order_by("id")
    assert [p.link for p in problems] == [f"/cases/import/{stalled_queue.pk}/", f"/cases/import/{stalled_run.pk}/"]
    assert all(p.region_id == "440300" and "张三" not in p.title + p.evidence for p in problems)
    assert problems[1].tasks.get().owner_unit.region_id == "440300"
    # run again (its page offers it), it stalls again later: a new stall, a new problem
    ImportJob.objects.filter(pk=stalled_run.pk).update(heartbeat_at=now - dt.timedelta(minutes=15))
    assert feed(now) == 1 and feed(now) == 0
