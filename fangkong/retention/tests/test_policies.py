"""Policies are changed in the platform, four eyes: a change proposed by one administrator takes effect only
when a second one approves it, every step audited; bad input and other roles change nothing. The
scheduled deletion date shows on the person page and answers on the API. Pages are reachable from the
navigation of an administrator only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.audit.models import AuditEvent
from fangkong.retention.models import LegalHold, PolicyChange, RetentionPolicy
from fangkong.retention.selectors import scheduled_deletion
from fangkong.retention.services import hold_place, policy_change_decide, policy_change_propose

pytestmark = pytest.mark.django_db

CHANGE = {"category": "scans", "clock": "scan_time", "period_days": 21, "action": "delete",
          "legal_basis": "PIPL art. 47", "reason": "与流调回溯期一致"}


def test_a_change_takes_effect_only_when_a_second_administrator_approves(policies, admin1, admin2):
    change = policy_change_propose(actor=admin1, **CHANGE)
    assert RetentionPolicy.objects.get(category="scans").period_days == 30
    with pytest.raises(PermissionDenied):
        policy_change_decide(actor=admin1, change=change, approve=True)
    assert RetentionPolicy.objects.get(category="scans").period_days == 30
    policy_change_decide(actor=admin2, change=change, approve=True)
    policy = RetentionPolicy.objects.get(category="scans")
    assert (policy.period_days, policy.version) == (21, 2)
    events = AuditEvent.objects.filter(object_type="retention.policychange", object_id=str(change.pk))
    assert sorted(events.values_list("actor_username", "action")) == [
        (admin1.username, "create"), (admin2.username, "update")]
    with pytest.raises(ValidationError):
        policy_change_decide(actor=admin2, change=change, approve=False)  # decided once


def test_a_rejected_change_and_a_stale_one_change_nothing(policies, admin1, admin2):
    change = policy_change_propose(actor=admin1, **CHANGE)
    policy_change_decide(actor=admin2, change=change, approve=False)
    assert RetentionPolicy.objects.get(category="scans").period_days == 30
    first = policy_change_propose(actor=admin1, **CHANGE)
    with pytest.raises(ValidationError, match="already awaits"):
        policy_change_propose(actor=admin2, **{**CHANGE, "period_days": 10})
    policy_change_decide(actor=admin2, change=first, approve=True)
    stale = PolicyChange.objects.create(**{**CHANGE, "period_days": 10}, proposed_by=admin2, base_version=1)
    with pytest.raises(ValidationError, match="changed since"):
        policy_change_decide(actor=admin1, change=stale, approve=True)
    assert RetentionPolicy.objects.get(category="scans").period_days == 21


@pytest.mark.parametrize("bad", [
    {"category": "audit", "clock": "record_date", "period_days": 90, "action": "anonymise"},  # < 6 months
    {"clock": "arrival"},  # not a clock of scans
    {"action": "anonymise"},  # scans are deleted or aggregated
    {"category": "persons", "clock": "last_record_gone", "period_days": 30, "action": "delete"},
])
def test_a_bad_policy_is_refused_and_changes_nothing(policies, admin1, bad):
    with pytest.raises(ValidationError):
        policy_change_propose(actor=admin1, **{**CHANGE, **bad})
    assert not PolicyChange.objects.exists()


def test_other_roles_may_not_propose_decide_or_hold(policies, admin1, province_commander, shenzhen_epi, client):
    change = policy_change_propose(actor=admin1, **CHANGE)
    for user in (province_commander, shenzhen_epi):
        with pytest.raises(PermissionDenied):
            policy_change_propose(actor=user, **{**CHANGE, "category": "samples", "clock": "collected"})
        with pytest.raises(PermissionDenied):
            policy_change_decide(actor=user, change=change, approve=True)
        with pytest.raises(PermissionDenied):
            hold_place(actor=user, target="region", region="440304", reason="x")
        client.force_login(user)
        page = client.get("/retention/")  # the policies in force, nothing of what is held, changed or purged
        assert page.status_code == 200 and "retention/policies.html" in [t.name for t in page.templates]
        assert "f-category" not in page.content.decode() and "/retention/purges/" not in page.content.decode()
        assert client.post(f"/retention/changes/{change.pk}/decide/", {"approve": "true"}).status_code == 403
        assert client.get("/api/v1/retention-policies/").status_code == 403
        assert client.post(f"/api/v1/retention-changes/{change.pk}/decide/", {"approve": True},
                           content_type="application/json").status_code == 403
    change.refresh_from_db()
    assert change.status == "pending" and not LegalHold.objects.exists()


def test_the_pages_and_the_api_propose_and_approve_alike(policies, admin1, admin2, client):
    client.force_login(admin1)
    home = client.get("/")
    assert 'href="/retention/"' in home.content.decode()
    assert client.post("/retention/changes/new/", CHANGE).status_code == 302
    change = PolicyChange.objects.get()
    page = client.get("/retention/").content.decode()
    assert "与流调回溯期一致" in page and f"/retention/changes/{change.pk}/decide/" not in page  # not their own
    assert client.post(f"/retention/changes/{change.pk}/decide/", {"approve": "true"}).status_code == 302
    assert PolicyChange.objects.get().status == "pending"  # refused: the proposer
    bad = client.post("/retention/changes/new/", {**CHANGE, "category": "samples", "period_days": "-1"})
    assert bad.status_code == 400 and PolicyChange.objects.count() == 1
    client.force_login(admin2)
    answer = client.post(f"/api/v1/retention-changes/{change.pk}/decide/", {"approve": True},
                         content_type="application/json")
    assert answer.status_code == 200 and answer.json()["status"] == "approved"
    assert client.get("/api/v1/retention-policies/").json()[0]["category"]
    assert RetentionPolicy.objects.get(category="scans").period_days == 21
    api = client.post("/api/v1/retention-changes/", {**CHANGE, "period_days": 14}, content_type="application/json")
    assert api.status_code == 201 and api.json()["proposed_by"] == admin2.username


def test_the_scheduled_deletion_date_shows_on_the_person_page_and_the_api(scenario, shenzhen_epi, admin1, client):
    contact = scenario.old_contacts[0]
    found = scheduled_deletion("contacts", contact)
    assert found["date"] == dt.date(2022, 3, 24) + dt.timedelta(days=730) and not found["held"]
    client.force_login(shenzhen_epi)
    page = client.get(f"/persons/{contact.person_id}/").content.decode()
    assert 'id="retention-schedule"' in page and (dt.date(2022, 3, 24) + dt.timedelta(days=730)).isoformat() in page
    hold_place(actor=admin1, target="contact", object_id=contact.pk, reason="司法协查")
    assert scheduled_deletion("contacts", contact)["held"] is True
    assert scheduled_deletion("contacts", contact)["date"] is None
    client.force_login(admin1)
    answer = client.get("/api/v1/retention-schedule/", {"category": "cases", "id": scenario.recent_case.pk}).json()
    assert answer["date"] == "2028-05-09" and answer["action"] == "delete"
    assert client.get("/api/v1/retention-schedule/", {"category": "exports", "id": 1}).status_code == 400


def test_a_purge_through_the_pages_dry_run_then_second_administrator(scenario, admin1, admin2, client,
                                                                     django_capture_on_commit_callbacks):
    from fangkong.cases.models import Contact
    from fangkong.retention.models import Purge

    client.force_login(admin1)
    answer = client.post("/retention/purges/new/", {"region": "440000", "as_of": "2026-06-01"})
    purge = Purge.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/retention/purges/{purge.pk}/"
    page = client.get(f"/retention/purges/{purge.pk}/").content.decode()
    assert "Approve the purge" in page or "批准数据清除" in page
    refused = client.post(f"/retention/purges/{purge.pk}/", {"approve": "true"})
    assert refused.status_code == 400 and Purge.objects.get().status == "planned"
    assert client.post("/retention/purges/new/", {"region": "4403", "as_of": ""}).status_code == 400
    assert Purge.objects.count() == 1
    client.force_login(admin2)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/retention/purges/{purge.pk}/", {"approve": "true"}).status_code == 302
    assert Purge.objects.get().status == "done" and Contact.objects.count() == 1
    assert client.get(f"/retention/purges/{purge.pk}/certificate/").status_code == 200
