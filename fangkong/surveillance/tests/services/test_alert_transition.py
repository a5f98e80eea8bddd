"""alert_transition: only the lifecycle's steps, each with who and when, audited; denied without the
capability or outside the region; a stale version is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.locking import StaleEditError
from fangkong.surveillance.models import Alert, AlertTransition
from fangkong.surveillance.services import alert_transition


@pytest.fixture
def alert(indicators):
    day = dt.date(2022, 3, 1)
    return Alert.objects.create(level="county", region_id="440304", unit_key="region:440304",
                                indicator=indicators["fever_clinic_visits"], method="ears_c2", first_day=day,
                                last_day=day, raised_at=timezone.now())


def test_the_whole_lifecycle_records_who_and_when(alert, futian_commander):
    for status in ("acknowledged", "investigating", "confirmed", "closed"):
        alert = alert_transition(actor=futian_commander, alert=alert, to_status=status, note=f"to {status}")
    assert alert.status == "closed" and alert.outcome == "confirmed"
    assert alert.acknowledged_by == alert.investigating_by == alert.verified_by == alert.closed_by == futian_commander
    assert alert.acknowledged_at <= alert.investigating_at <= alert.verified_at <= alert.closed_at
    steps = list(AlertTransition.objects.filter(alert=alert).values_list("from_status", "to_status"))
    assert steps == [("new", "acknowledged"), ("acknowledged", "investigating"), ("investigating", "confirmed"),
                     ("confirmed", "closed")]
    assert AuditEvent.objects.filter(object_type="surveillance.alert", action="update").count() == 4
    assert alert.version == 4


def test_a_false_alarm_can_be_called_right_after_acknowledging(alert, futian_commander):
    alert = alert_transition(actor=futian_commander, alert=alert, to_status="acknowledged")
    alert = alert_transition(actor=futian_commander, alert=alert, to_status="false_alarm")
    assert (alert.status, alert.outcome) == ("false_alarm", "false_alarm")


@pytest.mark.parametrize("to_status", ["confirmed", "closed", "investigating", "new", "bogus"])
def test_a_step_outside_the_lifecycle_is_refused_and_changes_nothing(alert, futian_commander, to_status):
    with pytest.raises(ValidationError):
        alert_transition(actor=futian_commander, alert=alert, to_status=to_status)
    alert.refresh_from_db()
    assert alert.status == "new" and alert.acknowledged_at is None
    assert not AlertTransition.objects.exists()


@pytest.mark.parametrize("user_fixture", ["analyst", "luohu_commander", "futian_reporter"])
def test_users_without_the_capability_there_are_refused(alert, request, user_fixture):
    user = request.getfixturevalue(user_fixture)
    with pytest.raises(PermissionDenied):
        alert_transition(actor=user, alert=alert, to_status="acknowledged")
    alert.refresh_from_db()
    assert alert.status == "new"


def test_a_stale_version_is_refused(alert, futian_commander, shenzhen_epi):
    alert_transition(actor=futian_commander, alert=alert, to_status="acknowledged", version=0)
    with pytest.raises(StaleEditError):
        alert_transition(actor=shenzhen_epi, alert=alert, to_status="investigating", version=0)
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by.username == "futian_commander"
