"""A laboratory's results reach the scheduled tests of the persons under management (issue 26: "result when it
arrives — entered, imported, or from the laboratory module"), through the module kit's ``result_receivers``:
a single specimen's result and a negative pool's members, on the sampling day only, by set for a result file;
a positive marks the person and raises its critical problem; what was already resulted, not taken or of
another day is left alone; a failing receiver rolls the laboratory's recording back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.testing.builders import citizen_id, make_person, make_user

from ..models import ScheduledTest, Subject
from ..services import sample_not_taken
from .builders import days_ago, managed_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def lab_user(db):
    from fangkong.accounts.roles import Role

    return make_user("sz_lab_fu", ("440300", Role.LABORATORY))


@pytest.fixture
def lab(shenzhen_epi, lab_user):
    from fangkong.laboratory.services import laboratory_create

    return laboratory_create(actor=shenzhen_epi, name="深圳随访实验室", region="440300", daily_capacity=5000,
                             staff=[lab_user])


def _managed(actor, name: str):
    """A close contact listed six days ago (some of its tests due in the past) and the citizen ID of its person."""
    number = citizen_id("440304")
    person = make_person(actor, name=name, region="440304", cid=number)
    _contact, subject = managed_contact(actor, listed=days_ago(6), name=name, person=person)
    return subject, number


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), timezone.get_current_timezone())


def _single(lab_user, lab, code: str, number: str, day: dt.date, outcome: str):
    from fangkong.laboratory.services import result_record, specimen_record

    specimen_record(actor=lab_user, laboratory=lab, code=code, subject="person", kind="throat",
                    sampled_at=_at(day, 9), sampling_point="隔离点", sampler="采样员", citizen_id=number)
    return result_record(actor=lab_user, laboratory=lab, code=code, outcome=outcome,
                         ct_values={"N": 28.5} if outcome == "positive" else {},
                         received_at=_at(day, 11), resulted_at=_at(day, 15))


def _past_test(subject) -> ScheduledTest:
    test = subject.tests.filter(due_date__lt=timezone.localdate()).order_by("due_date").first()
    assert test is not None and test.status in ("due", "overdue") and test.result == ""
    return test


def test_a_single_negative_on_the_scheduled_day_is_the_tests_result(shenzhen_epi, lab_user, lab):
    subject, number = _managed(shenzhen_epi, "随访甲")
    test = _past_test(subject)
    events = AuditEvent.objects.filter(object_type="followup.scheduledtest").count()
    _single(lab_user, lab, "FU-1", number, test.due_date, "negative")
    test.refresh_from_db()
    assert (test.status, test.taken_on, test.result, test.recorded_by_id) == ("taken", test.due_date, "negative",
                                                                              lab_user.pk)
    received = AuditEvent.objects.filter(object_type="followup.scheduledtest").order_by("pk")
    assert received.count() == events + 1
    assert received.last().detail == {"laboratory_results": True, "negative": 1, "positive": 0}
    assert received.last().actor_id == lab_user.pk


def test_a_positive_marks_the_person_and_raises_the_critical_problem(shenzhen_epi, lab_user, lab):
    from fangkong.worklists.models import Problem

    subject, number = _managed(shenzhen_epi, "随访乙")
    test = _past_test(subject)
    _single(lab_user, lab, "FU-2", number, test.due_date, "positive")
    test.refresh_from_db()
    assert (test.status, test.result) == ("taken", "positive")
    assert Subject.objects.get(pk=subject.pk).symptomatic_since == test.due_date
    problem = Problem.objects.get(source="followup", source_key=f"positive:{test.pk}")
    assert problem.severity == "critical" and problem.region_id == subject.region_id


def test_another_day_an_inconclusive_a_test_already_resulted_or_not_taken_are_left_alone(shenzhen_epi, lab_user,
                                                                                          lab):
    subject, number = _managed(shenzhen_epi, "随访丙")
    scheduled = set(subject.tests.values_list("due_date", flat=True))
    other_day = next(d for d in (days_ago(n) for n in range(1, 7)) if d not in scheduled and d >= subject.first_day)
    before = sorted(ScheduledTest.objects.values_list("pk", "status", "taken_on", "result"))
    _single(lab_user, lab, "FU-3", number, other_day, "negative")
    test = _past_test(subject)
    _single(lab_user, lab, "FU-4", number, test.due_date, "inconclusive")
    assert sorted(ScheduledTest.objects.values_list("pk", "status", "taken_on", "result")) == before
    # not taken, with its reason: a sample of that day later does not overturn what the staff recorded
    sample_not_taken(actor=shenzhen_epi, test=test, reason="拒绝采样")
    _single(lab_user, lab, "FU-5", number, test.due_date, "negative")
    test.refresh_from_db()
    assert (test.status, test.result) == ("not_taken", "")


def test_a_person_no_longer_under_management_is_not_touched(shenzhen_epi, lab_user, lab):
    subject, number = _managed(shenzhen_epi, "随访丁")
    test = _past_test(subject)
    Subject.objects.filter(pk=subject.pk).update(status=Subject.Status.ENDED)
    _single(lab_user, lab, "FU-6", number, test.due_date, "negative")
    assert ScheduledTest.objects.values_list("status", "result").get(pk=test.pk) == (test.status, "")


def test_a_negative_pool_answers_for_its_members_a_positive_pool_does_not(shenzhen_epi, lab_user, lab):
    from fangkong.laboratory.services import pool_record, result_record, round_create

    first, first_number = _managed(shenzhen_epi, "随访戊")
    second, second_number = _managed(shenzhen_epi, "随访己")
    day = _past_test(first).due_date
    assert _past_test(second).due_date == day
    screening = round_create(actor=shenzhen_epi, county="440304", name="福田随访轮", starts_on=day - dt.timedelta(days=1),
                             population=1000, expected_prevalence=0.001, pool_sizes=[5, 10])
    pool_record(actor=lab_user, round=screening, laboratory=lab, code="FP-1", size=5, sampled_at=_at(day, 8),
                sampling_point="隔离点", sampler="采样员", citizen_ids=[first_number])
    pool_record(actor=lab_user, round=screening, laboratory=lab, code="FP-2", size=5, sampled_at=_at(day, 8),
                sampling_point="隔离点", sampler="采样员", citizen_ids=[second_number])
    result_record(actor=lab_user, laboratory=lab, code="FP-1", outcome="negative", ct_values={},
                  received_at=_at(day, 10), resulted_at=_at(day, 14))
    result_record(actor=lab_user, laboratory=lab, code="FP-2", outcome="positive", ct_values={"N": 33},
                  received_at=_at(day, 10), resulted_at=_at(day, 14))
    assert ScheduledTest.objects.filter(subject=first, due_date=day).values_list("status", "result").get() == (
        "taken", "negative")
    assert ScheduledTest.objects.filter(subject=second, due_date=day).values_list("result", flat=True).get() == ""


def test_a_result_file_reaches_the_tests_by_set(shenzhen_epi, lab_user, lab):
    from fangkong.laboratory.services import pool_record, results_import, round_create

    managed = [_managed(shenzhen_epi, f"随访{i}") for i in range(4)]
    day = _past_test(managed[0][0]).due_date
    screening = round_create(actor=shenzhen_epi, county="440304", name="福田文件轮", starts_on=day - dt.timedelta(days=1),
                             population=1000, expected_prevalence=0.001, pool_sizes=[5, 10])
    for i in range(2):
        pool_record(actor=lab_user, round=screening, laboratory=lab, code=f"FF-{i}", size=5, sampled_at=_at(day, 8),
                    sampling_point="隔离点", sampler="采样员", citizen_ids=[n for _s, n in managed[i * 2:i * 2 + 2]])
    content = "code,outcome,ct_values,received_at,resulted_at\n" + "".join(
        f"FF-{i},{outcome},{ct},{_at(day, 10).isoformat()},{_at(day, 14).isoformat()}\n"
        for i, (outcome, ct) in enumerate([("negative", ""), ("positive", "N:31")]))
    results_import(actor=lab_user, laboratory=lab, content=content.encode())
    results = [ScheduledTest.objects.filter(subject=s, due_date=day).values_list("result", flat=True).get()
               for s, _n in managed]
    assert results == ["negative", "negative", "", ""]
    # the same file again: nothing new, nothing changed
    before = sorted(ScheduledTest.objects.values_list("pk", "status", "result", "recorded_at"))
    results_import(actor=lab_user, laboratory=lab, content=content.encode())
    assert sorted(ScheduledTest.objects.values_list("pk", "status", "result", "recorded_at")) == before


def test_a_receiver_that_fails_rolls_the_laboratorys_result_back(shenzhen_epi, lab_user, lab, monkeypatch):
    from fangkong.laboratory.models import Result

    subject, number = _managed(shenzhen_epi, "随访庚")
    test = _past_test(subject)

    def broken(rows, *, actor):
        raise RuntimeError("receiver down")

    monkeypatch.setattr("fangkong.followup.services.laboratory_results_receive", broken)
    with pytest.raises(RuntimeError):
        _single(lab_user, lab, "FU-7", number, test.due_date, "negative")
    assert not Result.objects.filter(specimen__code="FU-7").exists()
    test.refresh_from_db()
    assert test.result == ""
