"""The purge: a dry run counts what will go, a second administrator approves, the run deletes every linked
row in batches, survives a crash half-way (run again: the same result), spares held records, keeps the
audit chain whole while dropping the details of purged persons, and leaves a certificate."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from fangkong.audit.chain import chain_verify
from fangkong.audit.models import AuditEvent
from fangkong.cases.models import Case, Contact
from fangkong.persons.models import Person
from fangkong.retention import purge as purging
from fangkong.retention.models import DeletionCertificate, LegalHold, Purge, PurgedReference
from fangkong.retention.services import hold_place, purge_decide, purge_plan, purge_run

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def _names() -> set[str]:
    return set(Person.objects.values_list("name", flat=True))


def _approved_purge(admin1, admin2, region="440000"):
    purge = purge_plan(actor=admin1, region=region, as_of=AS_OF)
    return purge


def test_the_dry_run_counts_what_will_go_and_deletes_nothing(scenario, admin1):
    before = (Case.objects.count(), Contact.objects.count(), Person.objects.count())
    purge = purge_plan(actor=admin1, region="440000", as_of=AS_OF)
    assert purge.plan["contacts"]["count"] == 7 and purge.plan["contacts"]["action"] == "delete"
    assert purge.plan["contacts"]["first_due"] == "2024-03-23"  # released 2022-03-24 + 730 days
    # the cases go once their contacts have: counted after them (the dry run reads the same query)
    assert purge.plan["cases"]["count"] == 0
    assert purge.plan["persons"]["count"] == 7  # at most: the persons of the due contacts
    assert (Case.objects.count(), Contact.objects.count(), Person.objects.count()) == before
    assert purge.status == Purge.Status.PLANNED


def test_a_purge_runs_only_once_a_second_administrator_approves(scenario, admin1, admin2, shenzhen_epi,
                                                                 django_capture_on_commit_callbacks):
    purge = purge_plan(actor=admin1, region="440000", as_of=AS_OF)
    with pytest.raises(PermissionDenied):
        purge_decide(actor=admin1, purge=purge, approve=True)
    with pytest.raises(PermissionDenied):
        purge_decide(actor=shenzhen_epi, purge=purge, approve=True)
    with pytest.raises(PermissionDenied):
        purge_plan(actor=shenzhen_epi, region="440300", as_of=AS_OF)
    with pytest.raises(Exception, match="approved"):
        purge_run(purge_id=purge.pk)
    purge.refresh_from_db()
    assert purge.status == Purge.Status.PLANNED and Contact.objects.count() == 8
    with django_capture_on_commit_callbacks(execute=True):
        purge_decide(actor=admin2, purge=purge, approve=True)
    purge.refresh_from_db()
    assert purge.status == Purge.Status.DONE and purge.approved_by == admin2  # the job ran (in-process)
    assert Contact.objects.count() == 1


def _run(admin1, admin2, *, batch_size=2, region="440000"):
    purge = purge_plan(actor=admin1, region=region, as_of=AS_OF)
    purge_decide(actor=admin2, purge=purge, approve=True)  # the queued job runs after commit: not in this test
    return purge_run(purge_id=purge.pk, batch_size=batch_size)


def test_the_purge_deletes_due_records_with_every_linked_row(scenario, admin1, admin2):
    case_ids = [c.pk for c in scenario.old_cases]
    old_persons = [c.person_id for c in scenario.old_cases] + [c.person_id for c in scenario.old_contacts[:-1]]
    purge = _run(admin1, admin2)
    assert not Case.objects.filter(pk__in=case_ids).exists()
    assert not Contact.objects.filter(pk__in=[c.pk for c in scenario.old_contacts]).exists()
    assert not Person.objects.filter(pk__in=old_persons).exists()
    from fangkong.cases.models import CaseEarlies, ClassificationChange
    assert not ClassificationChange.objects.filter(case_id__in=case_ids).exists()
    assert not CaseEarlies.objects.filter(case_id__in=case_ids).exists()
    assert _names() >= {"保留病例", "保留密接"} and not any(n.startswith("待删") for n in _names())
    assert purge.progress["counts"]["contacts"]["deleted"] == 7
    assert purge.progress["counts"]["cases"]["deleted"] == 2
    assert purge.progress["counts"]["persons"]["deleted"] == 8
    assert purge.progress["counts"]["persons"]["kept"] == 1  # 保留密接: a recent contact keeps them
    assert not purging.PurgeCandidate.objects.exists()


def test_a_held_record_and_a_held_region_survive(scenario, admin1, admin2):
    held_contact = scenario.old_contacts[0]
    hold_place(actor=admin1, target=LegalHold.Target.PERSON, object_id=held_contact.person_id, reason="法院调取")
    _run(admin1, admin2)
    assert Contact.objects.filter(pk=held_contact.pk).exists() and Person.objects.filter(pk=held_contact.person_id).exists()
    assert Case.objects.filter(pk=held_contact.source_case_id).exists()  # its contact still refers to it
    assert not Case.objects.filter(pk=scenario.old_cases[1].pk).exists()


def test_a_region_hold_suspends_the_purge_there(scenario, admin1, admin2):
    hold_place(actor=admin1, target=LegalHold.Target.REGION, region="440304", reason="专案调查")
    purge = _run(admin1, admin2)
    assert Contact.objects.count() == 8 and Case.objects.count() == 3
    assert purge.progress.get("counts", {}).get("contacts") is None


def test_a_purge_killed_half_way_and_run_again_finishes_with_the_same_result(scenario, admin1, admin2, monkeypatch):
    purge = purge_plan(actor=admin1, region="440000", as_of=AS_OF)
    purge_decide(actor=admin2, purge=purge, approve=True)
    real, calls = purging._redact, []

    def crash_in_the_third_batch(gone):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("killed")
        return real(gone)

    monkeypatch.setattr(purging, "_redact", crash_in_the_third_batch)
    with pytest.raises(RuntimeError, match="killed"):
        purge_run(purge_id=purge.pk, batch_size=2)
    assert Contact.objects.count() == 8 - 4  # two batches of two committed, the third rolled back
    purge.refresh_from_db()
    assert purge.status == Purge.Status.RUNNING and purge.progress["counts"]["contacts"]["deleted"] == 4
    monkeypatch.setattr(purging, "_redact", real)
    call_command("retention_purge", str(purge.pk), "--batch-size", "2")
    purge.refresh_from_db()
    assert purge.status == Purge.Status.DONE
    assert Contact.objects.count() == 1 and Case.objects.count() == 1
    assert _names() == {"保留病例", "保留密接"}
    assert purge.progress["counts"]["contacts"]["deleted"] == 7 and purge.progress["counts"]["persons"]["deleted"] == 8
    assert PurgedReference.objects.filter(purge=purge).count() == 7 + 2 + 8
    assert chain_verify().intact


def test_audit_events_about_purged_records_keep_action_time_actor_and_a_reference(scenario, admin1, admin2,
                                                                                   shenzhen_epi):
    from fangkong.persons.services import person_reveal

    person_id = scenario.old_contacts[0].person_id
    person_reveal(actor=shenzhen_epi, person=Person.objects.get(pk=person_id), reason="电话通知待删密接核实")
    before = list(AuditEvent.objects.filter(object_type="persons.person", object_id=str(person_id)).values())
    assert any(e["detail"] and "待删密接" in e["reason"] for e in before)
    _run(admin1, admin2)
    after = list(AuditEvent.objects.filter(object_type="persons.person", object_id=str(person_id)).values())
    assert [(e["id"], e["action"], e["occurred_at"], e["actor_id"], e["event_hash"]) for e in after] == [
        (e["id"], e["action"], e["occurred_at"], e["actor_id"], e["event_hash"]) for e in before]
    assert {e["detail"]["redacted"] for e in after} == {purging.reference("persons.person", person_id)}
    assert all(set(e["detail"]) == {"redacted"} and e["reason"] == "" for e in after)
    report = chain_verify()
    assert report.intact
    call_command("audit_verify")


def test_the_certificate_says_what_went_by_which_policy_and_who_approved(scenario, admin1, admin2, client):
    purge = _run(admin1, admin2)
    certificate = DeletionCertificate.objects.get(purge=purge)
    lines = sorted(f"{c}:{r}" for c, r in PurgedReference.objects.filter(purge=purge).values_list("category", "reference"))
    assert certificate.references_sha256 == hashlib.sha256("".join(f"{line}\n" for line in lines).encode()).hexdigest()
    assert certificate.content["approved_by"] == admin2.username and certificate.content["requested_by"] == admin1.username
    assert certificate.content["counts"]["contacts"]["deleted"] == 7
    assert certificate.content["policies"]["contacts"]["period_days"] == 730
    client.force_login(admin2)
    page = client.get(f"/retention/purges/{purge.pk}/certificate/").content.decode()
    assert certificate.references_sha256 in page and admin2.username in page
    pdf = client.get(f"/retention/purges/{purge.pk}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    certificate.refresh_from_db()
    assert bytes(certificate.pdf) == pdf.content  # kept: the same document every time
    assert client.get(f"/retention/purges/{purge.pk}/certificate.pdf").content == pdf.content


def test_the_daily_tracing_summary_counts_the_rows_left_after_the_purge(scenario, admin1, admin2):
    """Deleting contacts and cases recomputes the tracing summary of their days and regions (in each batch's
    transaction): its figures are those a rebuild from the rows left gives. (An anonymising policy keeps the
    rows, their regions and dates: ``test_anonymise`` checks that the figures stay.)"""
    from fangkong.cases.models import DailyTracing
    from fangkong.cases.summaries import tracing_summary_rebuild

    def summary():
        return sorted(DailyTracing.objects.values_list("region_id", "day", "close_contacts", "new_cases"))

    listed = ("440304", scenario.old_contacts[0].listed_date)
    assert [row for row in summary() if row[:2] == listed] == [(*listed, 7, 2)]
    _run(admin1, admin2)
    after = summary()
    assert not [row for row in after if row[:2] == listed]  # every contact and case of that day went
    assert ("440304", scenario.recent_case.report_date, 1, 1) in after
    tracing_summary_rebuild()
    assert summary() == after
