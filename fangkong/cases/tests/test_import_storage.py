"""Import jobs keep no clear identifier: the uploaded file only sealed and only while the job may run,
error reports naming rows and columns, never values; what the raw database holds after a failed, a
killed and a finished import (SQLite: the bytes of the database image; PostgreSQL: every table as text).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.cases.imports import CASE_COLUMNS, CONTACT_COLUMNS
from fangkong.cases.jobs import (
    PAYLOAD,
    file_name_seal,
    file_name_unseal,
    import_job_rerun,
    import_job_submit,
    import_jobs_legacy_upgrade,
    import_jobs_purge,
    job_sealed,
    payload_open,
)
from fangkong.cases.models import Case, Contact, ImportJob
from fangkong.persons import protection
from fangkong.persons.citizen_id import check_character
from fangkong.persons.models import Person
from fangkong.testing.builders import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def epi(db):
    return make_user("dg_epi_store", ("441900", Role.EPIDEMIOLOGIST))


def _cid(born: str, seq: int, male: bool = True) -> str:
    seq = seq if (seq % 2 == 1) == male else seq + 1
    first17 = f"441900{born}{seq:03d}"
    return first17 + check_character(first17)


def _file(rows: list[dict], columns: list[str], name: str) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def _case(case_no: str, cid: str, phone: str, born: str) -> dict:
    return {"case_no": case_no, "name": "存储" + case_no[-1], "citizen_id": cid, "phone": phone, "sex": "M",
            "birth_date": f"{born[:4]}-{born[4:6]}-{born[6:]}", "address_region": "441900",
            "disease": "covid-19", "classification": "confirmed", "diagnosed_at": "2022-03-15 09:00",
            "reported_at": "2022-03-15 10:00", "detection_route": "screening", "report_region": "441900"}


def _raw_storage() -> bytes:
    """The database as stored: SQLite's database image (free pages included), or every PostgreSQL table
    as text (UTF-8)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.serialize()
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 - names from the catalogue
            parts.extend(row[0] for row in cursor.fetchall())
    return "\n".join(parts).encode()


#: Every byte but the ASCII letters and digits: what the storage is searched without (at C speed: the image of
#: the test database, after the whole suite has written to it, is hundreds of megabytes).
NOT_ALPHANUMERIC = bytes(b for b in range(256) if not (chr(b).isascii() and chr(b).isalnum()))


def _clear_forms(value: str) -> list[str]:
    """What to look for once every character but letters and digits is removed from the storage: the value
    itself (covers separators, quoting, JSON escapes), and a phone's eleven national digits."""
    digits = re.sub(r"[^0-9A-Za-z]", "", value)
    return [digits, digits[-11:]] if value.lstrip().startswith("+") or len(digits) == 11 else [digits]


def _assert_nowhere(values: list[str]) -> None:
    compact = _raw_storage().translate(None, NOT_ALPHANUMERIC).lower()
    for value in values:
        for form in _clear_forms(value):
            assert form.lower().encode() not in compact, f"{value!r} found in the database storage"


def test_no_clear_identifier_is_stored_after_a_failed_a_killed_and_a_finished_import(epi):
    born = ["19870623", "19760312", "19651130", "19990807", "19820214"]
    ids = [_cid(b, 100 + 17 * i) for i, b in enumerate(born)]
    wrong_check = ids[4][:-1] + ("0" if ids[4][-1] != "0" else "1")
    phones = ["+86 138-4719-2653", "13947182635", "+8615073928461", "186 2947 3815", "1390-0471-92"]
    secrets = [*ids, wrong_check, *phones]

    # failed: one good row, one with an impossible phone, one with a wrong check character
    failed_rows = [_case("ST-1", ids[0], phones[0], born[0]), _case("ST-2", ids[1], phones[4], born[1]),
                   _case("ST-3", wrong_check, phones[1], born[4])]
    with TestCase.captureOnCommitCallbacks(execute=True):
        failed = import_job_submit(actor=epi, kind="cases",
                                   upload=_file(failed_rows, CASE_COLUMNS, f"{ids[0]}.csv"))
    failed.refresh_from_db()
    assert failed.status == ImportJob.Status.FAILED and not Case.objects.exists()
    assert {(e["row"], e["column"]) for e in failed.errors} >= {(3, "phone"), (4, "citizen_id")}
    assert bytes(failed.data) == b""

    # killed: submitted, started, and its process died (no callback runs, the job stays "running")
    killed_rows = [_case("ST-4", ids[2], phones[2], born[2])]
    killed = import_job_submit(actor=epi, kind="cases",
                               upload=_file(killed_rows, CASE_COLUMNS, f"病例 {ids[2][:6]} {ids[2][6:]}.csv"))
    ImportJob.objects.filter(pk=killed.pk).update(status=ImportJob.Status.RUNNING, heartbeat_at=timezone.now())
    killed.refresh_from_db()
    assert bytes(killed.data).startswith(b"v2:") and ids[2].encode() not in bytes(killed.data)
    assert ids[2].encode() in payload_open(killed)  # kept, sealed: it may be run again
    with pytest.raises(Exception):  # noqa: B017 - InvalidTag: not under the PII key, under the job's own data key
        protection.unseal(b"v1:" + bytes(killed.data)[3:], PAYLOAD)

    # finished
    done_rows = [_case("ST-5", ids[3], phones[3], born[3])]
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = import_job_submit(actor=epi, kind="cases", upload=_file(done_rows, CASE_COLUMNS, f"{phones[3]}.csv"))
    done.refresh_from_db()
    assert done.status == ImportJob.Status.DONE and bytes(done.data) == b""
    assert Person.objects.filter(name="存储5").exists()
    # the names are kept sealed: their submitter still reads them on the job's page and in the API
    assert (failed.shown_file_name, done.shown_file_name) == (f"{ids[0]}.csv", f"{phones[3]}.csv")
    assert ids[0] not in failed.file_name and failed.file_name.startswith("v2:")
    client = Client()
    client.force_login(epi)
    assert f"{ids[0]}.csv" in client.get(reverse("cases:import-job", args=[failed.pk])).content.decode()
    assert client.get(f"/api/v1/import-jobs/{done.pk}/").json()["file_name"] == f"{phones[3]}.csv"

    _assert_nowhere(secrets)


CHECK_ID = "441900198706233012"  # not a real number: the check below only needs the digits


@pytest.mark.parametrize("stored", [CHECK_ID, "441900 19870623 3012", "+86 138-4719-2653", "138 4719 2653"])
def test_the_storage_check_would_see_a_clear_value_in_an_error_message(epi, stored):
    """The search above finds a value stored in clear, in each of the forms it claims to cover."""
    ImportJob.objects.create(kind="cases", file_name="x.csv", created_by=epi,
                             errors=[{"row": 2, "column": "citizen_id", "message": f"bad {stored}"}])
    with pytest.raises(AssertionError):
        _assert_nowhere([CHECK_ID, "+8613847192653"])


def test_the_storage_check_would_see_a_clear_value_in_an_audit_detail(epi):
    from fangkong.audit.services import audit_record

    audit_record(actor=epi, action="create", object_type="cases.importjob", detail={"phone": "+86 138 4719 2653"})
    with pytest.raises(AssertionError):
        _assert_nowhere(["13847192653"])


def test_a_killed_job_keeps_its_sealed_file_until_abandoned_then_drops_it(epi):
    rows = [_case("AB-1", _cid("19870623", 401), "", "19870623")]
    job = import_job_submit(actor=epi, kind="cases", upload=_file(rows, CASE_COLUMNS, "k.csv"))
    long_ago = timezone.now() - dt.timedelta(hours=23)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, heartbeat_at=long_ago)

    assert import_jobs_purge() == 0  # stalled but within the 24 hours: may still be run again
    job.refresh_from_db()
    assert job.status == "running" and job.stalled and bytes(job.data).startswith(b"v2:")

    call_command("import_jobs_purge", stdout=io.StringIO())  # the same, as cron runs it
    assert import_jobs_purge(now=timezone.now() + dt.timedelta(hours=2)) == 1
    job.refresh_from_db()
    assert (job.status, bytes(job.data), job.finished_at is not None) == ("failed", b"", True)
    assert "abandoned" in job.errors[0]["message"] or job.errors[0]["row"] == 0
    event = AuditEvent.objects.get(object_type="cases.importjob", detail__abandoned=[job.pk])
    assert event.actor is None
    with pytest.raises(Exception, match="not stalled"):
        import_job_rerun(actor=epi, job=job)
    assert not Case.objects.exists()


def test_a_job_without_its_file_cannot_be_run_again(epi):
    from django.core.exceptions import ValidationError

    job = ImportJob.objects.create(kind="cases", file_name="gone.csv", data=b"", created_by=epi,
                                   status=ImportJob.Status.RUNNING,
                                   heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(ValidationError, match="no longer kept"):
        import_job_rerun(actor=epi, job=job)
    job.refresh_from_db()
    assert job.status == "running" and not AuditEvent.objects.filter(object_type="cases.importjob").exists()


def test_the_purge_drops_the_file_of_a_finished_job_and_the_setting_sets_the_age(epi, settings):
    finished = ImportJob.objects.create(kind="contacts", created_by=epi, status="failed",
                                        **job_sealed(b"contact_no\n", "old.csv"))
    settings.IMPORT_FILE_HOURS = 2
    queued = import_job_submit(actor=epi, kind="contacts",
                               upload=_file([{"contact_no": "C-1"}], CONTACT_COLUMNS, "q.csv"))
    finished.refresh_from_db()
    assert bytes(finished.data) == b""  # a new submission purges
    ImportJob.objects.filter(pk=queued.pk).update(created_at=timezone.now() - dt.timedelta(hours=3))
    assert import_jobs_purge() == 1
    assert ImportJob.objects.get(pk=queued.pk).status == "failed" and not Contact.objects.exists()


def test_a_sealed_file_opens_only_with_its_key_its_purpose_and_untouched():
    key, other = protection.data_keys_new(2)
    sealed = protection.data_seal(key.key, b"citizen_id\n440303199001011650\n", PAYLOAD)
    assert b"440303" not in sealed and protection.data_open_with(key.key, sealed, PAYLOAD).endswith(b"1650\n")
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        protection.data_open_with(key.key, sealed, "persons.person.citizen_id")
    with pytest.raises(Exception):  # noqa: B017
        protection.data_open_with(other.key, sealed, PAYLOAD)
    with pytest.raises(Exception):  # noqa: B017
        protection.data_open_with(key.key, sealed[:-1] + bytes([sealed[-1] ^ 1]), PAYLOAD)
    with pytest.raises(ValueError):
        protection.data_open_with(key.key, b"citizen_id\n440303199001011650\n", PAYLOAD)


def test_the_import_page_still_runs_a_sealed_upload(client, epi):
    client.force_login(epi)
    upload = _file([_case("PG-1", _cid("19870623", 501), "13947182635", "19870623")], CASE_COLUMNS, "p.csv")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("cases:import"), {"kind": "cases", "file": upload})
    assert response.status_code == 302 and Case.objects.filter(case_no="PG-1").exists()


def test_a_long_file_name_is_shortened_in_its_stem_and_sealed_within_the_column(epi):
    name = "C:\\导入\\" + "密切接触者名单" * 30 + ".xlsx"
    job = ImportJob(kind="cases", created_by=epi, **job_sealed(b"", name))
    assert len(job.file_name) <= ImportJob._meta.get_field("file_name").max_length and "密切" not in job.file_name
    shown = file_name_unseal(job)
    assert shown.startswith("密切接触者名单") and shown.endswith(".xlsx") and "导入" not in shown
    assert file_name_unseal(ImportJob(file_name="old.csv")) == "old.csv"  # stored before names were sealed
    other = protection.data_key_new()
    job.file_name = file_name_seal("x.csv", other.key)
    assert file_name_unseal(job) == "?"  # not sealed with this job's key


def test_the_storage_check_would_see_an_id_number_in_a_file_name(epi):
    ImportJob.objects.create(kind="cases", file_name=f"{CHECK_ID}.csv", created_by=epi)
    with pytest.raises(AssertionError):
        _assert_nowhere([CHECK_ID])


def test_a_job_sealed_before_the_jobs_own_keys_gets_one_at_the_next_rotation_and_still_runs(epi, monkeypatch):
    from fangkong.cases.jobs import FILE_NAME, run_import_job
    from fangkong.cases.tests.builders import job_progress_here
    from fangkong.persons import keyring
    from fangkong.persons.shredding import rotate

    job_progress_here(monkeypatch)  # the rotation below happens inside the test's transaction

    data = _file([_case("LG-1", _cid("19870623", 601), "13947182635", "19870623")], CASE_COLUMNS, "x.csv").read()
    legacy = ImportJob.objects.create(kind="cases", created_by=epi, data=protection.seal(data, PAYLOAD),
                                      file_name=protection.encrypt("旧名单.csv", FILE_NAME))  # as before 0018
    early = ImportJob.objects.create(kind="cases", created_by=epi, file_name="早期.csv", data=b"", status="done")
    assert legacy.key_epoch == 0 and legacy.shown_file_name == "?"
    rotation = rotate()
    assert rotation.upgraded["cases.ImportJob"] == 2 and rotation.rekeyed["cases.ImportJob"] == 2
    legacy.refresh_from_db()
    assert legacy.key_epoch == keyring.load().current == rotation.epoch and bytes(legacy.data).startswith(b"v2:")
    with pytest.raises(Exception):  # noqa: B017 - InvalidTag: the PII key no longer opens it
        protection.unseal(b"v1:" + bytes(legacy.data)[3:], PAYLOAD)
    early.refresh_from_db()
    assert (legacy.shown_file_name, early.shown_file_name) == ("旧名单.csv", "早期.csv")
    assert early.file_name.startswith("v2:") and bytes(early.data) == b""
    assert run_import_job(legacy.pk) == "done" and Case.objects.filter(case_no="LG-1").exists()
    assert import_jobs_legacy_upgrade(ImportJob) == 0
