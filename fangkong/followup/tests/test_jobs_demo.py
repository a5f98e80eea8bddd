"""The module's periodic jobs (declared, found by Celery beat, and doing what they say) and its demo loader
(follow-ups of the contacts under management on the last day with cases: some missed, some symptomatic,
deterministic, loaded once)."""

from __future__ import annotations

import pytest

from fangkong import modules
from fangkong.cases.tests.builders import make_case
from fangkong.jobs import app, schedule_declared_jobs

from ..demo import demo_load
from ..models import HealthCheck, ScheduledTest, Subject
from ..tasks import followups_sweep_task, subjects_sync_task
from .builders import days_ago, managed_contact

pytestmark = pytest.mark.django_db


def test_the_jobs_are_declared_and_scheduled():
    jobs = {job.name: job for job in modules.periodic_jobs()}
    assert jobs["followup-sweep"].task == followups_sweep_task.name
    assert jobs["followup-sync"].task == subjects_sync_task.name
    schedule_declared_jobs()
    assert app.conf.beat_schedule["followup-sweep"]["task"] == "fangkong.followup.followups_sweep"
    assert followups_sweep_task.name in app.tasks and subjects_sync_task.name in app.tasks


def test_the_sweep_task_closes_yesterday_and_the_sync_task_enrols(shenzhen_epi):
    contact, _subject = managed_contact(shenzhen_epi, listed=days_ago(3))
    Subject.objects.all().delete()
    assert subjects_sync_task.delay().get()["created"] == 1
    counts = followups_sweep_task.delay().get()
    assert counts["missed_checks"] == 2  # yesterday's two slots, nobody checked
    assert set(HealthCheck.objects.values_list("day", "outcome")) == {(days_ago(1), "missed")}
    assert ScheduledTest.objects.filter(status="overdue").count() == counts["overdue_tests"] > 0


def test_the_demo_follows_up_the_contacts_with_missed_and_symptomatic_days(shenzhen_epi, monkeypatch):
    source = make_case(shenzhen_epi, region="440304", day=days_ago(5).isoformat())
    for i in range(30):
        managed_contact(shenzhen_epi, name=f"演示{i}", listed=days_ago(4), case=source)
    make_case(shenzhen_epi, region="440304", day=days_ago(1).isoformat())  # the demo's last day with cases
    Subject.objects.all().delete()
    from fangkong.followup import demo

    monkeypatch.setattr(demo, "SYMPTOMATIC_SHARE", 0.2)  # enough sick persons among 30 to see them
    line = demo_load(shenzhen_epi)
    assert "30 persons under management" in line
    outcomes = set(HealthCheck.objects.values_list("outcome", flat=True))
    assert {"ok", "missed"} <= outcomes
    assert Subject.objects.filter(symptomatic_since__isnull=False).exists()
    day = max(HealthCheck.objects.values_list("day", flat=True))
    assert not HealthCheck.objects.filter(day__gt=day).exists()  # the last day stays open: work for today
    first = sorted(HealthCheck.objects.values_list("subject__source_id", "day", "slot", "outcome", "temperature"))
    assert demo_load(shenzhen_epi) == "demo follow-up: already loaded"
    HealthCheck.objects.all().delete()
    ScheduledTest.objects.update(status="due", result="", taken_on=None)
    Subject.objects.update(symptomatic_since=None)
    demo_load(shenzhen_epi)
    assert sorted(HealthCheck.objects.values_list("subject__source_id", "day", "slot", "outcome",
                                                  "temperature")) == first  # deterministic
