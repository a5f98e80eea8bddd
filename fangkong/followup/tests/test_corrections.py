"""A second check for the same person, day and slot is a correction (issue 26, "What must hold": history
kept): without a reason it is refused and asks for one, nothing changed; with one the earlier version is
kept and shown, the change audited with the reason; the person's first day of fever follows what is now
recorded. The person's own link corrects nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent

from ..models import CheckVersion, HealthCheck, Subject
from ..services import followups_sweep, health_check_record, self_report_record
from .builders import days_ago, managed_contact

pytestmark = pytest.mark.django_db


def _check(actor, subject, **fields):
    values = {"day": timezone.localdate(), "slot": "morning", "temperature": Decimal("36.6"), **fields}
    return health_check_record(actor=actor, subject=subject, **values)


def test_a_second_check_without_a_reason_asks_for_one_and_changes_nothing(shenzhen_epi):
    _contact, subject = managed_contact(shenzhen_epi)
    _check(shenzhen_epi, subject)
    events = AuditEvent.objects.count()
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            _check(shenzhen_epi, subject, temperature=Decimal("38.0"), reason=reason)
        assert set(refused.value.message_dict) == {"reason"}
    assert HealthCheck.objects.get().temperature == Decimal("36.6")
    assert not CheckVersion.objects.exists() and AuditEvent.objects.count() == events
    assert Subject.objects.get(pk=subject.pk).symptomatic_since is None


def test_a_correction_keeps_the_earlier_version_and_is_audited_with_its_reason(shenzhen_epi, client):
    _contact, subject = managed_contact(shenzhen_epi)
    first = _check(shenzhen_epi, subject, temperature=Decimal("38.6"), note="体温枪")
    assert Subject.objects.get(pk=subject.pk).symptomatic_since == timezone.localdate()
    corrected = _check(shenzhen_epi, subject, temperature=Decimal("36.8"), reason="录入错误：应为36.8")
    assert corrected.pk == first.pk and HealthCheck.objects.count() == 1
    now = HealthCheck.objects.get()
    assert (now.temperature, now.outcome, now.note) == (Decimal("36.8"), "ok", "")
    [version] = CheckVersion.objects.all()
    assert (version.temperature, version.outcome, version.note, version.checked_by, version.replaced_by,
            version.reason) == (Decimal("38.6"), "symptomatic", "体温枪", shenzhen_epi, shenzhen_epi, "录入错误：应为36.8")
    event = AuditEvent.objects.get(object_type="followup.healthcheck", object_id=str(now.pk), action="update")
    assert event.reason == "录入错误：应为36.8"
    assert (event.detail["before"]["temperature"], event.detail["after"]["temperature"]) == ("38.6", "36.8")
    # the fever was a typing error: the person is no longer marked with fever
    assert Subject.objects.get(pk=subject.pk).symptomatic_since is None
    client.force_login(shenzhen_epi)
    page = client.get(f"/followup/subjects/{subject.pk}/").content.decode()
    assert "data-version" in page and "38.6" in page and "录入错误：应为36.8" in page


def test_a_missed_mark_is_corrected_by_a_late_check_with_its_history(shenzhen_epi):
    _contact, subject = managed_contact(shenzhen_epi, listed=days_ago(3))
    followups_sweep(day=days_ago(1))
    _check(shenzhen_epi, subject, day=days_ago(1), temperature=Decimal("37.9"), reason="补录：电话随访已完成")
    check = HealthCheck.objects.get(day=days_ago(1), slot="morning")
    assert (check.outcome, check.versions.get().outcome) == ("symptomatic", "missed")
    assert Subject.objects.get(pk=subject.pk).symptomatic_since == days_ago(1)


def test_a_bad_correction_is_refused_and_the_check_is_unchanged(shenzhen_epi):
    _contact, subject = managed_contact(shenzhen_epi)
    _check(shenzhen_epi, subject)
    for fields in ({"temperature": Decimal("44.0")}, {"day": days_ago(30)}):
        with pytest.raises(ValidationError):
            _check(shenzhen_epi, subject, reason="更正", **fields)
    assert HealthCheck.objects.get().temperature == Decimal("36.6") and not CheckVersion.objects.exists()


def test_page_and_api_correct_alike_and_the_persons_link_corrects_nothing(shenzhen_epi, client):
    _contact, subject = managed_contact(shenzhen_epi)
    self_report_record(subject=subject, day=timezone.localdate(), slot="morning", temperature=Decimal("36.5"))
    with pytest.raises(ValidationError) as refused:  # the person again: refused, the staff correct
        self_report_record(subject=subject, day=timezone.localdate(), slot="morning", temperature=Decimal("39.5"))
    assert set(refused.value.message_dict) == {"slot"}
    client.force_login(shenzhen_epi)
    post = {"subject": subject.pk, "day": timezone.localdate().isoformat(), "slot": "morning", "temperature": "36.9"}
    api = client.post("/api/v1/followup/checks/", post, content_type="application/json")
    assert api.status_code == 400 and set(api.json()["error"]["fields"]) == {"reason"}
    page = client.post(f"/followup/subjects/{subject.pk}/check/", post)
    assert page.status_code == 400 and 'name="reason"' in page.content.decode()
    assert client.post(f"/followup/subjects/{subject.pk}/check/", {**post, "reason": "本人误报"}).status_code == 302
    api = client.post("/api/v1/followup/checks/", {**post, "temperature": "37.0", "reason": "复测"},
                      content_type="application/json")
    assert api.status_code in (200, 201) and api.json()["temperature"] == "37.0"
    assert list(CheckVersion.objects.order_by("id").values_list("temperature", "channel")) == [
        (Decimal("36.5"), "self"), (Decimal("36.9"), "staff")]
