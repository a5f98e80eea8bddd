"""The follow-up services: who is under management (copied from the contacts), daily checks with their
refusals, tests to their results, the end-of-day sweep, and symptoms that become a suspected case through
the cases service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.cases.models import Case, Classification, ContactStatus
from fangkong.cases.services import contact_update
from fangkong.testing.builders import make_user

from ..inputs import CheckInput
from ..models import HealthCheck, ScheduledTest, Subject
from ..selectors import due_list, followup_counts
from ..services import (
    followups_sweep,
    health_check_record,
    sample_record,
    subject_to_suspected,
    subjects_sync,
)
from .builders import days_ago, managed_contact

pytestmark = pytest.mark.django_db


def _check(actor, subject, **fields):
    values = {"day": timezone.localdate(), "slot": "morning", "temperature": Decimal("36.6"), **fields}
    return health_check_record(actor=actor, subject=subject, **values)


def _errors(exc_info) -> set[str]:
    return set(exc_info.value.message_dict)


def test_a_contact_under_management_becomes_a_subject_with_its_period_and_tests(shenzhen_epi):
    contact, subject = managed_contact(shenzhen_epi)
    assert (subject.person_id, subject.region_id, subject.category) == (contact.person_id, "440304", "close")
    assert subject.counted_from == contact.exposure_end
    assert subject.last_day == contact.release_due - dt.timedelta(days=1)
    assert sorted(t.due_date.isoformat() for t in subject.tests.all()) == sorted(
        t["date"] for t in contact.test_schedule)
    assert subjects_sync(day=timezone.localdate()) == {"created": 0, "changed": 0, "ended": 0}  # idempotent


def test_a_moved_exposure_moves_the_period_and_the_tests_not_taken(shenzhen_epi):
    contact, subject = managed_contact(shenzhen_epi, listed=days_ago(2))
    taken = subject.tests.order_by("due_date").first()
    sample_record(actor=shenzhen_epi, test=taken, taken_on=taken.due_date, result="negative")
    contact_update(actor=shenzhen_epi, contact=contact, expected_version=contact.version,
                   changes={"exposure_end": days_ago(2)})
    assert subjects_sync()["changed"] == 1
    subject.refresh_from_db()
    contact.refresh_from_db()
    assert subject.counted_from == days_ago(2) and subject.last_day == contact.release_due - dt.timedelta(days=1)
    assert ScheduledTest.objects.get(pk=taken.pk).status == "taken"  # what was taken stays
    open_dates = {t["date"] for t in contact.test_schedule} - {taken.due_date.isoformat()}
    assert {t.due_date.isoformat() for t in subject.tests.exclude(pk=taken.pk)} <= open_dates | {
        t.due_date.isoformat() for t in subject.tests.exclude(pk=taken.pk)}
    assert subject.tests.filter(status="due").count() + 1 == subject.tests.count()


def test_a_released_contact_ends_its_follow_up(shenzhen_epi):
    contact, subject = managed_contact(shenzhen_epi)
    contact_update(actor=shenzhen_epi, contact=contact, expected_version=contact.version,
                   changes={"status": ContactStatus.RELEASED})
    assert subjects_sync()["ended"] == 1
    subject.refresh_from_db()
    assert subject.status == Subject.Status.ENDED and subject.ended_on == days_ago(1)
    with pytest.raises(ValidationError) as refused:
        _check(shenzhen_epi, subject)
    assert _errors(refused) == {"subject"}


def test_a_check_is_recorded_audited_and_shown_on_the_day_list(shenzhen_epi):
    _contact, subject = managed_contact(shenzhen_epi)
    check = _check(shenzhen_epi, subject, note=" 在家 ")
    assert (check.outcome, check.checked_by, check.note, check.region_id) == ("ok", shenzhen_epi, "在家", "440304")
    event = AuditEvent.objects.get(object_type="followup.healthcheck", object_id=str(check.pk))
    assert event.action == "create" and event.detail["outcome"] == "ok" and event.region_code == "440304"
    [row] = due_list(user=shenzhen_epi, day=timezone.localdate())
    assert row.subject == subject and row.open_slots == ["evening"] and row.day_number == 3


# the dates and times as functions, read when the test runs (a value read when the tests are collected is a
# day old for a test that runs after midnight)
@pytest.mark.parametrize(("fields", "field"), [
    ({"temperature": lambda: Decimal("33.9")}, "temperature"),
    ({"temperature": lambda: Decimal("43.1")}, "temperature"),
    ({"day": lambda: timezone.localdate() + dt.timedelta(days=1)}, "day"),
    ({"day": lambda: days_ago(30)}, "day"),  # before the period
    ({"checked_at": lambda: timezone.now() + dt.timedelta(hours=1)}, "checked_at"),
])
def test_bad_checks_are_refused_by_field_and_change_nothing(shenzhen_epi, fields, field):
    _contact, subject = managed_contact(shenzhen_epi)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        _check(shenzhen_epi, subject, **{name: value() for name, value in fields.items()})
    assert field in _errors(refused)
    assert HealthCheck.objects.count() == 0 and AuditEvent.objects.count() == before


def test_the_input_schema_refuses_an_implausible_temperature_and_a_missing_reading():
    bad = CheckInput(data={"subject": 1, "day": "2022-07-10", "slot": "morning", "temperature": "43.5"})
    assert not bad.is_valid() and set(bad.errors) == {"temperature"}
    missing = CheckInput(data={"subject": 1, "day": "2022-07-10", "slot": "morning"})
    assert not missing.is_valid() and set(missing.errors) == {"temperature"}
    not_possible = CheckInput(data={"subject": 1, "day": "2022-07-10", "slot": "morning", "not_possible": True})
    assert not not_possible.is_valid() and set(not_possible.errors) == {"note"}
    future = CheckInput(data={"subject": 1, "day": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
                              "slot": "morning", "temperature": "36.5"})
    assert not future.is_valid() and set(future.errors) == {"day"}


def test_a_second_check_for_the_same_day_and_slot_without_a_reason_is_refused(shenzhen_epi):
    """A correction needs its reason (``test_corrections.py``); the other slot is another check."""
    _contact, subject = managed_contact(shenzhen_epi)
    _check(shenzhen_epi, subject)
    with pytest.raises(ValidationError) as refused:
        _check(shenzhen_epi, subject, temperature=Decimal("37.0"))
    assert _errors(refused) == {"reason"}
    assert HealthCheck.objects.get().temperature == Decimal("36.6")
    _check(shenzhen_epi, subject, slot="evening")  # the other slot is another check
    assert HealthCheck.objects.count() == 2


def test_checks_outside_the_actors_region_or_without_the_capability_are_refused(shenzhen_epi, guangzhou_epi,
                                                                                 analyst):
    _contact, subject = managed_contact(shenzhen_epi)
    inspector = make_user("inspector_sz", ("440300", "inspector"))
    for actor in (guangzhou_epi, analyst, inspector):
        with pytest.raises(PermissionDenied):
            _check(actor, subject)
    assert HealthCheck.objects.count() == 0


def test_fever_or_a_symptom_marks_the_person_symptomatic(shenzhen_epi):
    _c1, feverish = managed_contact(shenzhen_epi, name="甲")
    _c2, coughing = managed_contact(shenzhen_epi, name="乙")
    _c3, well = managed_contact(shenzhen_epi, name="丙")
    assert _check(shenzhen_epi, feverish, temperature=Decimal("37.3")).outcome == "symptomatic"
    assert _check(shenzhen_epi, coughing, symptoms=["cough"]).outcome == "symptomatic"
    assert _check(shenzhen_epi, well, temperature=Decimal("37.2")).outcome == "ok"
    assert set(Subject.objects.filter(symptomatic_since=timezone.localdate()).values_list("pk", flat=True)) == {
        feverish.pk, coughing.pk}


def test_symptoms_open_a_suspected_case_through_the_cases_service(shenzhen_epi):
    contact, subject = managed_contact(shenzhen_epi)
    with pytest.raises(ValidationError) as refused:  # nothing recorded yet to suspect
        subject_to_suspected(actor=shenzhen_epi, subject=subject)
    assert _errors(refused) == {"subject"}
    _check(shenzhen_epi, subject, temperature=Decimal("38.2"), symptoms=["cough"])
    case_no = subject_to_suspected(actor=shenzhen_epi, subject=subject)
    case = Case.objects.get(case_no=case_no)
    contact.refresh_from_db()
    subject.refresh_from_db()
    assert case.classification == Classification.SUSPECTED and case.person_id == contact.person_id
    assert case.infector_id == contact.source_case_id and case.onset_date == timezone.localdate()
    assert contact.status == ContactStatus.CONVERTED and contact.converted_case_id == case.pk
    assert (subject.status, subject.outcome_ref) == (Subject.Status.CONVERTED, case_no)
    assert AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk), action="create").exists()
    with pytest.raises(ValidationError):
        subject_to_suspected(actor=shenzhen_epi, subject=subject)


def test_a_suspected_case_needs_the_case_capability(shenzhen_epi):
    """The follow-up capability alone does not open a case: the cases service refuses, nothing changes."""
    _contact, subject = managed_contact(shenzhen_epi)
    _check(shenzhen_epi, subject, temperature=Decimal("38.2"))
    from fangkong.accounts.access import memberships_of  # noqa: F401 - the grant read below is the real one
    from fangkong.modules import role_capabilities

    assert "case.write" in role_capabilities()["epidemiologist"]
    cases_before = Case.objects.count()
    with pytest.raises(PermissionDenied):
        subject_to_suspected(actor=make_user("gz2", ("440100", "epidemiologist")), subject=subject)
    assert Case.objects.count() == cases_before
    assert Subject.objects.get(pk=subject.pk).status == Subject.Status.ACTIVE


def test_test_results_are_tracked_and_a_positive_marks_the_person(shenzhen_epi):
    _contact, subject = managed_contact(shenzhen_epi)
    test = subject.tests.order_by("due_date").first()
    with pytest.raises(ValidationError) as refused:
        sample_record(actor=shenzhen_epi, test=test, taken_on=timezone.localdate() + dt.timedelta(days=1))
    assert _errors(refused) == {"taken_on"}
    sample_record(actor=shenzhen_epi, test=test, taken_on=test.due_date)
    test.refresh_from_db()
    assert (test.status, test.result) == ("taken", "")
    sample_record(actor=shenzhen_epi, test=test, taken_on=test.due_date, result="positive")
    with pytest.raises(ValidationError) as refused:
        sample_record(actor=shenzhen_epi, test=test, taken_on=test.due_date, result="negative")
    assert _errors(refused) == {"result"}
    assert Subject.objects.get(pk=subject.pk).symptomatic_since == test.due_date
    assert AuditEvent.objects.filter(object_type="followup.scheduledtest", object_id=str(test.pk)).count() == 2


def test_the_sweep_marks_missed_slots_and_overdue_tests_once(shenzhen_epi):
    _c1, checked = managed_contact(shenzhen_epi, name="甲", listed=days_ago(3))
    _c2, silent = managed_contact(shenzhen_epi, name="乙", listed=days_ago(3))
    yesterday = days_ago(1)
    _check(shenzhen_epi, checked, day=yesterday)
    _check(shenzhen_epi, checked, day=yesterday, slot="evening")
    _check(shenzhen_epi, silent, day=yesterday)
    counts = followups_sweep(day=yesterday)
    assert counts["missed_checks"] == 1
    missed = HealthCheck.objects.get(outcome="missed")
    assert (missed.subject, missed.day, missed.slot, missed.checked_by) == (silent, yesterday, "evening", None)
    due_by_then = ScheduledTest.objects.filter(due_date__lte=yesterday).exclude(status="taken").count()
    assert counts["overdue_tests"] == due_by_then > 0
    assert ScheduledTest.objects.filter(due_date__gt=yesterday, status="overdue").count() == 0
    assert followups_sweep(day=yesterday) == {"missed_checks": 0, "overdue_tests": 0, "problems": 0}
    assert AuditEvent.objects.filter(object_type="followup.healthcheck", detail__sweep=True).count() == 2


def test_the_day_counts_follow_checks_misses_and_symptoms(shenzhen_epi, guangzhou_epi):
    subjects = [managed_contact(shenzhen_epi, name=n, listed=days_ago(3))[1] for n in "甲乙丙"]
    yesterday = days_ago(1)
    _check(shenzhen_epi, subjects[0], day=yesterday)
    _check(shenzhen_epi, subjects[0], day=yesterday, slot="evening")
    _check(shenzhen_epi, subjects[1], day=yesterday, temperature=Decimal("38.0"))
    followups_sweep(day=yesterday)
    counts = followup_counts(user=shenzhen_epi, day=yesterday)
    assert {k: counts[k] for k in ("due", "checked", "missed", "symptomatic")} == {
        "due": 3, "checked": 1, "missed": 2, "symptomatic": 1}
    assert followup_counts(user=guangzhou_epi, day=yesterday)["due"] == 0
    assert followup_counts(user=shenzhen_epi, day=yesterday, region="440303")["due"] == 0
    # a city's or the province's code stands for its subtree (the dashboard panel of Shenzhen, of Guangdong)
    assert followup_counts(user=shenzhen_epi, day=yesterday, region="440300") == counts
    assert followup_counts(user=shenzhen_epi, day=yesterday, region="440000") == counts
    assert followup_counts(user=shenzhen_epi, day=yesterday, region="440100")["due"] == 0
