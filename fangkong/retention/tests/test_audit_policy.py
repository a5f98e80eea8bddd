"""The audit trail's own policy: events older than its period lose their details — ``detail`` and ``reason``,
where a user's typed reason may name someone — and keep their action, time, actor, object and a pseudonymous
reference; the hash chain still verifies. The Cybersecurity Law's six months are a floor: a change below it is
refused with a clear error, the database refuses such a row, and a purge never expires an event younger than
six months whatever policy it froze. Events about a held record keep their details."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from fangkong.audit.chain import chain_verify
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.retention import purge as purging
from fangkong.retention.models import LegalHold, PolicyChange, Purge, RetentionPolicy
from fangkong.retention.services import hold_place, policy_change_propose, purge_decide, purge_plan, purge_run
from fangkong.testing.builders import citizen_id, make_person

from .conftest import AS_OF

pytestmark = pytest.mark.django_db

KEPT = ("id", "action", "occurred_at", "actor_id", "actor_username", "object_type", "object_id", "region_code",
        "event_hash", "content_digest")


def _written(monkeypatch, day: dt.date, **fields) -> AuditEvent:
    """An event written on ``day`` (the clock set back while it is appended: its time is in its hash)."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    with monkeypatch.context() as clock:
        clock.setattr(timezone, "now", lambda: moment)
        return audit_record(**fields)


def _kept(event: AuditEvent) -> dict:
    return {field: getattr(event, field) for field in KEPT}


def _run(admin1, admin2, region="440000", *, policies=None):
    purge = purge_plan(actor=admin1, region=region, as_of=AS_OF)
    if policies is not None:  # the policies frozen into the purge, edited around the services
        Purge.objects.filter(pk=purge.pk).update(policies={**purge.policies, **policies})
    purge_decide(actor=admin2, purge=purge, approve=True)
    return purge, purge_run(purge_id=purge.pk, batch_size=2)


def test_events_older_than_the_period_lose_their_details_and_the_chain_still_verifies(
        policies, shenzhen_epi, admin1, admin2, monkeypatch):
    person = make_person(shenzhen_epi, name="审计留存者", region="440304",
                         cid=citizen_id("440304", born=dt.date(1975, 6, 7)))
    old_day, recent_day = AS_OF - dt.timedelta(days=4 * 365), AS_OF - dt.timedelta(days=400)
    old = _written(monkeypatch, old_day, actor=shenzhen_epi, action="reveal", obj=person, region_code="440304",
                   detail={"fields": ["citizen_id"]}, reason="电话核实审计留存者")
    signin = _written(monkeypatch, old_day, actor=None, action="sign_in_failed", detail={"username": "zhangsan"})
    guangzhou = _written(monkeypatch, old_day, actor=shenzhen_epi, action="update", object_type="cases.case",
                         object_id="9", region_code="440106", detail={"status": "closed"})
    recent = _written(monkeypatch, recent_day, actor=shenzhen_epi, action="reveal", obj=person, region_code="440304",
                      detail={"fields": ["phone"]}, reason="近期核实")
    before = {e.pk: _kept(e) for e in (old, signin, guangzhou, recent)}

    city, done = _run(admin1, admin2, region="440300")  # a city's purge: its own events only
    assert city.plan["audit"]["count"] == 1 and done.progress["counts"]["audit"]["expired"] == 1
    old.refresh_from_db()
    assert old.detail == {"redacted": purging.reference("persons.person", person.pk)} and old.reason == ""
    assert AuditEvent.objects.get(pk=signin.pk).detail == {"username": "zhangsan"}  # no region: the province's

    plan, done = _run(admin1, admin2)
    assert plan.plan["audit"]["count"] == 2 and done.progress["counts"]["audit"]["expired"] == 2
    assert plan.plan["audit"]["first_due"] == (old_day + dt.timedelta(days=3 * 365)).isoformat()
    after = {e.pk: e for e in AuditEvent.objects.filter(pk__in=before)}
    assert {pk: _kept(e) for pk, e in after.items()} == before  # action, time, actor, object, hash: kept
    assert after[signin.pk].detail == {"redacted": purging.reference("audit.auditevent", signin.pk)}
    assert after[guangzhou.pk].detail == {"redacted": purging.reference("cases.case", "9")}
    assert (after[recent.pk].detail, after[recent.pk].reason) == ({"fields": ["phone"]}, "近期核实")
    assert chain_verify().intact
    _plan, again = _run(admin1, admin2)  # nothing left to expire
    assert again.progress["counts"]["audit"].get("expired", 0) == 0


def test_the_six_months_are_a_floor_the_audit_policy_cannot_go_below(policies, shenzhen_epi, admin1, admin2,
                                                                     monkeypatch):
    with pytest.raises(ValidationError, match="six months"):
        policy_change_propose(actor=admin1, category="audit", clock="record_date", period_days=182,
                              action="anonymise", legal_basis="《网络安全法》", reason="缩短")
    assert not PolicyChange.objects.exists() and RetentionPolicy.objects.get(category="audit").period_days == 3 * 365
    with pytest.raises(IntegrityError), transaction.atomic():  # nor around the services
        RetentionPolicy.objects.filter(category="audit").update(period_days=30)
    assert RetentionPolicy.objects.get(category="audit").period_days == 3 * 365
    change = policy_change_propose(actor=admin1, category="audit", clock="record_date", period_days=183,
                                   action="anonymise", legal_basis="《网络安全法》第二十一条", reason="最低期限")
    assert change.period_days == 183  # the floor itself is allowed

    younger = _written(monkeypatch, AS_OF - dt.timedelta(days=100), actor=shenzhen_epi, action="update",
                       object_type="cases.case", object_id="1", region_code="440304", detail={"a": 1})
    older = _written(monkeypatch, AS_OF - dt.timedelta(days=200), actor=shenzhen_epi, action="update",
                     object_type="cases.case", object_id="2", region_code="440304", detail={"b": 2})
    frozen = {"audit": {"clock": "record_date", "period_days": 30, "action": "anonymise", "legal_basis": "x"}}
    _plan, done = _run(admin1, admin2, policies=frozen)
    assert done.progress["counts"]["audit"]["expired"] == 1
    assert AuditEvent.objects.get(pk=younger.pk).detail == {"a": 1}  # younger than six months: kept whole
    assert set(AuditEvent.objects.get(pk=older.pk).detail) == {"redacted"}
    assert chain_verify().intact


def test_the_events_about_a_held_record_keep_their_details(policies, shenzhen_epi, admin1, admin2, monkeypatch):
    person = make_person(shenzhen_epi, name="审计保全者", region="440304",
                         cid=citizen_id("440304", born=dt.date(1975, 6, 8)))
    hold_place(actor=admin1, target=LegalHold.Target.PERSON, object_id=person.pk, reason="诉讼保全")
    event = _written(monkeypatch, AS_OF - dt.timedelta(days=4 * 365), actor=shenzhen_epi, action="reveal",
                     obj=person, region_code="440304", detail={"fields": ["phone"]}, reason="核实")
    plan, _done = _run(admin1, admin2)
    assert plan.plan["audit"]["count"] == 0
    event.refresh_from_db()
    assert (event.detail, event.reason) == ({"fields": ["phone"]}, "核实")
