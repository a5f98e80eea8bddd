"""Escalation through the three lists (issue 26): fever or symptoms and a positive test raise a problem to
the managing region at once, the end-of-day sweep one per region and day for the missed checks; each once
(idempotent), through the declared source; the feed raises what a write did not (the demo's bulk rows)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from fangkong.worklists.feeds import feed as worklists_feed
from fangkong.worklists.models import Problem

from ..models import HealthCheck, Subject
from ..problems import feed
from ..services import followups_sweep, health_check_record, sample_record, self_report_record
from .builders import days_ago, managed_contact

pytestmark = pytest.mark.django_db


def _problems():
    return sorted(Problem.objects.filter(source="followup").values_list("source_key", "region_id", "severity"))


def test_fever_raises_one_serious_problem_to_the_managing_region_at_once(shenzhen_epi):
    _contact, subject = managed_contact(shenzhen_epi, name="发热随访者")
    _c2, well = managed_contact(shenzhen_epi, name="无症状者")
    health_check_record(actor=shenzhen_epi, subject=well, day=timezone.localdate(), slot="morning",
                        temperature=Decimal("36.5"))
    assert _problems() == []
    health_check_record(actor=shenzhen_epi, subject=subject, day=timezone.localdate(), slot="morning",
                        temperature=Decimal("38.1"))
    assert _problems() == [(f"sick:{subject.pk}", "440304", "serious")]
    self_report_record(subject=subject, day=timezone.localdate(), slot="evening", temperature=Decimal("38.4"),
                       symptoms=["cough"])  # again, by the person: still one problem
    assert len(_problems()) == 1
    problem = Problem.objects.get(source="followup")
    assert subject.label in problem.title and "发热随访者" not in problem.title + problem.evidence
    assert problem.link == f"/followup/subjects/{subject.pk}/"


def test_a_positive_test_raises_a_critical_problem_once(shenzhen_epi):
    _contact, subject = managed_contact(shenzhen_epi)
    test = subject.tests.order_by("due_date").first()
    sample_record(actor=shenzhen_epi, test=test, taken_on=test.due_date)
    assert _problems() == []
    sample_record(actor=shenzhen_epi, test=test, taken_on=test.due_date, result="positive")
    sample_record(actor=shenzhen_epi, test=test, taken_on=test.due_date, result="positive")
    assert _problems() == [(f"positive:{test.pk}", "440304", "critical")]


def test_the_sweep_raises_one_problem_per_region_and_day_for_missed_checks(shenzhen_epi):
    for name in "甲乙":
        managed_contact(shenzhen_epi, name=name, listed=days_ago(3))
    managed_contact(shenzhen_epi, name="丙", region="440303", listed=days_ago(3))
    counts = followups_sweep(day=days_ago(1))
    assert counts["problems"] == 2
    day = days_ago(1).isoformat()
    assert _problems() == [(f"missed:440303:{day}", "440303", "moderate"), (f"missed:440304:{day}", "440304", "moderate")]
    assert "4 人次" in Problem.objects.get(source_key=f"missed:440304:{day}").title
    assert followups_sweep(day=days_ago(1))["problems"] == 0 and len(_problems()) == 2


def test_the_feed_raises_what_no_write_raised_and_only_once(shenzhen_epi):
    _contact, subject = managed_contact(shenzhen_epi, listed=days_ago(3))
    HealthCheck.objects.create(subject=subject, region_id="440304", day=days_ago(1), slot="morning",
                               outcome="symptomatic", temperature=Decimal("38.0"))  # as the demo writes in bulk
    Subject.objects.filter(pk=subject.pk).update(symptomatic_since=days_ago(1))
    HealthCheck.objects.create(subject=subject, region_id="440304", day=days_ago(1), slot="evening", outcome="missed")
    assert feed(timezone.now()) == 2
    assert {key.split(":")[0] for key, _r, _s in _problems()} == {"sick", "missed"}
    assert feed(timezone.now()) == 0
    assert worklists_feed()["followup"] == 0  # the lists' job calls the declared feed
