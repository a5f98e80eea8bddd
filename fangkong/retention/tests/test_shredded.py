"""A purge shreds what it deletes down to the dumps taken before it: after the purge's persons are deleted the
keyring rotates (``purge._keys_shred``), so an attacker holding a dump taken before the purge and everything the
server holds after it (settings, ``PII_KEY``, the keyring file) opens none of the purged persons' citizen IDs or
phones — by decryption or by brute force against their look-up hashes (``fangkong.testing.dump_attack``). The
attack is run first on the dump before the purge, where it must succeed: the test fails if the shredding breaks.
The same holds for the uploaded file of an import job still waiting to run (its citizen IDs in clear inside): it
is sealed under a data key of the job's, which the rotation rewraps — the job still runs — while the dump's copy
of the key, wrapped under the destroyed epoch, opens nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.cases.imports import CASE_COLUMNS
from fangkong.cases.jobs import import_job_submit, run_import_job
from fangkong.cases.models import Case, ImportJob
from fangkong.cases.tests.builders import job_progress_here
from fangkong.persons import keyring
from fangkong.persons.models import Person
from fangkong.persons.services import person_lookup
from fangkong.retention.services import purge_decide, purge_plan, purge_run
from fangkong.testing.builders import citizen_id
from fangkong.testing.dump_attack import (
    identifier_brute_forced,
    identifier_decrypted,
    import_jobs_dump,
    payload_decrypted,
    persons_dump,
)

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def test_a_dump_taken_before_a_purge_opens_nothing_of_the_purged_persons_afterwards(scenario, admin1, admin2,
                                                                                      shenzhen_epi):
    dump = persons_dump()
    purged = {p.pk: cid for p, cid in ((Person.objects.get(name=name), cid) for name, cid, _phone in
                                        scenario.identities)}
    for pk, cid in purged.items():  # before the purge the attack works
        assert identifier_decrypted(dump[pk]) == cid and identifier_brute_forced(dump[pk]) == cid
    epoch = keyring.load().current
    purge = purge_plan(actor=admin1, region="440000", as_of=AS_OF)
    purge_decide(actor=admin2, purge=purge, approve=True)
    purge = purge_run(purge_id=purge.pk, batch_size=2)
    assert purge.progress["counts"]["persons"]["deleted"] == len(purged)
    assert keyring.load().epochs.keys() == {epoch + 1}  # the purge rotated: the dump's epoch is destroyed
    for pk in purged:
        assert not Person.objects.filter(pk=pk).exists()
        assert identifier_decrypted(dump[pk]) is None and identifier_brute_forced(dump[pk]) is None
    for name, cid, _phone in scenario.kept_identities:  # the persons kept are still found by their ID
        assert person_lookup(actor=shenzhen_epi, citizen_id=cid, purpose="test").name == name


def _cases_file(rows: list[dict], name: str) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CASE_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def test_a_dump_taken_while_an_import_waits_opens_nothing_of_its_file_after_the_purge_and_the_job_still_runs(
        scenario, admin1, admin2, shenzhen_epi, monkeypatch):
    job_progress_here(monkeypatch)  # the rotation below happens inside the test's transaction
    cid = citizen_id("440304", born=dt.date(1969, 7, 8))
    row = {"case_no": "SHRED-1", "name": "待导入者", "citizen_id": cid, "phone": "13811112222", "sex": "M",
           "birth_date": "1969-07-08", "address_region": "440304", "disease": "covid-19",
           "classification": "confirmed", "diagnosed_at": "2026-05-20 09:00", "reported_at": "2026-05-20 10:00",
           "detection_route": "screening", "report_region": "440304"}
    job = import_job_submit(actor=shenzhen_epi, kind="cases", upload=_cases_file([row], f"{cid}.csv"))
    # the test's transaction never commits: the job waits, its file sealed, as one queued behind a busy worker
    dump = import_jobs_dump()[job.pk]
    assert cid.encode() in payload_decrypted(dump)  # before the purge the attack works
    epoch = keyring.load().current
    purge = purge_plan(actor=admin1, region="440000", as_of=AS_OF)
    purge_decide(actor=admin2, purge=purge, approve=True)
    purge = purge_run(purge_id=purge.pk, batch_size=2)
    assert keyring.load().epochs.keys() == {epoch + 1}
    assert payload_decrypted(dump) is None  # the dump's copy of the job's key was wrapped under the destroyed epoch
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED and job.key_epoch == epoch + 1  # rewrapped by the rotation
    assert cid.encode() in payload_decrypted(import_jobs_dump()[job.pk])  # the live row opens under the new epoch
    assert run_import_job(job.pk) == ImportJob.Status.DONE
    assert Case.objects.get(case_no="SHRED-1").person.name == "待导入者" and job.shown_file_name == f"{cid}.csv"
