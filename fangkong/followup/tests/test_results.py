"""Scheduled tests tracked to their results (issue 26): a result for a day with no scheduled test is a clear
error and records nothing; a test is taken (result awaited, then negative or positive) or not taken with
its reason; the sweep flags a test overdue once its day has passed without either, and the person's page
shows it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent

from ..models import ScheduledTest, Subject
from ..services import followups_sweep, result_record, sample_not_taken
from .builders import days_ago, managed_contact

pytestmark = pytest.mark.django_db


def _snapshot():
    return sorted(ScheduledTest.objects.values_list("pk", "status", "taken_on", "result", "not_taken_reason"))


def test_a_result_for_a_day_without_a_scheduled_test_is_refused_and_records_nothing(shenzhen_epi, client):
    _contact, subject = managed_contact(shenzhen_epi)
    scheduled = sorted(subject.tests.values_list("due_date", flat=True))
    unscheduled = next(d for d in (days_ago(n) for n in range(0, 10)) if d not in scheduled)
    client.force_login(shenzhen_epi)
    before, events = _snapshot(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        result_record(actor=shenzhen_epi, subject=subject, due_date=unscheduled, taken_on=unscheduled,
                           result="positive")
    message = refused.value.message_dict["due_date"][0]
    assert unscheduled.isoformat() in message and scheduled[0].isoformat() in message
    api = client.post("/api/v1/followup/results/", {"subject": subject.pk, "due_date": unscheduled.isoformat(),
                                                    "taken_on": unscheduled.isoformat(), "result": "positive"},
                      content_type="application/json")
    assert api.status_code == 400 and set(api.json()["error"]["fields"]) == {"due_date"}
    assert _snapshot() == before and AuditEvent.objects.count() == events
    assert Subject.objects.get(pk=subject.pk).symptomatic_since is None


def test_a_result_by_person_and_day_reaches_its_test(shenzhen_epi, client):
    _contact, subject = managed_contact(shenzhen_epi)
    test = subject.tests.order_by("due_date").first()
    client.force_login(shenzhen_epi)
    api = client.post("/api/v1/followup/results/", {"subject": subject.pk, "due_date": test.due_date.isoformat(),
                                                    "taken_on": test.due_date.isoformat()},
                      content_type="application/json")
    assert api.status_code == 200 and (api.json()["status"], api.json()["result"]) == ("taken", "")
    result_record(actor=shenzhen_epi, subject=subject, due_date=test.due_date, taken_on=test.due_date,
                       result="negative")
    test.refresh_from_db()
    assert (test.status, test.taken_on, test.result) == ("taken", test.due_date, "negative")


def test_not_taken_needs_a_reason_and_is_not_overdue(shenzhen_epi, client):
    _contact, subject = managed_contact(shenzhen_epi, listed=days_ago(3))
    past = list(subject.tests.filter(due_date__lte=days_ago(1)).order_by("due_date"))
    assert len(past) >= 1
    with pytest.raises(ValidationError) as refused:
        sample_not_taken(actor=shenzhen_epi, test=past[0], reason="  ")
    assert set(refused.value.message_dict) == {"reason"}
    future = subject.tests.filter(due_date__gt=timezone.localdate()).first()
    if future is not None:
        with pytest.raises(ValidationError):
            sample_not_taken(actor=shenzhen_epi, test=future, reason="拒绝采样")
    sample_not_taken(actor=shenzhen_epi, test=past[0], reason="住院治疗")
    counts = followups_sweep(day=days_ago(1))
    past[0].refresh_from_db()
    assert (past[0].status, past[0].not_taken_reason) == ("not_taken", "住院治疗")
    overdue = set(ScheduledTest.objects.filter(status="overdue").values_list("pk", flat=True))
    assert overdue == {t.pk for t in past[1:]} and counts["overdue_tests"] == len(past) - 1
    assert AuditEvent.objects.filter(object_type="followup.scheduledtest", object_id=str(past[0].pk),
                                     reason="住院治疗").exists()
    client.force_login(shenzhen_epi)
    page = client.get(f"/followup/subjects/{subject.pk}/").content.decode()
    assert 'data-test-status="not_taken"' in page and "住院治疗" in page
    if past[1:]:
        assert 'data-test-status="overdue"' in page


def test_the_overdue_flag_follows_the_sweep_and_the_page_marks_it(shenzhen_epi, client):
    _contact, subject = managed_contact(shenzhen_epi, listed=days_ago(3))
    first = subject.tests.order_by("due_date").first()
    assert first.due_date <= days_ago(1)
    followups_sweep(day=days_ago(1))
    first.refresh_from_db()
    assert first.status == "overdue"
    client.force_login(shenzhen_epi)
    assert 'data-test-status="overdue"' in client.get(f"/followup/subjects/{subject.pk}/").content.decode()
    client.post(f"/followup/tests/{first.pk}/sample/", {"taken_on": days_ago(0).isoformat(), "result": ""})
    first.refresh_from_db()
    assert (first.status, first.taken_on) == ("taken", timezone.localdate())  # taken late: no longer overdue


def test_the_sweep_reads_the_week_up_to_its_day_a_test_of_its_day_once(shenzhen_epi):
    """The sweep makes overdue the tests due in the week up to its day (a day it did not run is made good by the
    next within the week); a test due before that week is left as it is, and a test already overdue is not
    written again."""
    from ..services import OVERDUE_LOOK_BACK

    _contact, subject = managed_contact(shenzhen_epi, listed=days_ago(3))
    tests = list(subject.tests.filter(due_date__lte=days_ago(1)).order_by("due_date"))
    assert tests
    first = tests[0].due_date
    late = first + OVERDUE_LOOK_BACK  # a sweep whose week no longer holds the first test day
    assert followups_sweep(day=late)["overdue_tests"] == len(
        [t for t in subject.tests.all() if first < t.due_date <= late])
    assert ScheduledTest.objects.get(pk=tests[0].pk).status == "due"
    assert followups_sweep(day=first)["overdue_tests"] == 1  # its own day's sweep
    assert ScheduledTest.objects.get(pk=tests[0].pk).status == "overdue"
    assert followups_sweep(day=first)["overdue_tests"] == 0  # once
