"""The fast import path (issue 6 scale goal) keeps every guarantee of the row-by-row services.

- Equivalence: what ``contacts_import`` / ``cases_import`` store is what ``_person_from_input`` +
  ``build_contact`` / ``build_case`` build for the same rows (persons, identifiers, protocol, schedule,
  timeliness flags, deadlines, found under management).
- Every bad row is reported (row, column, reason) and nothing is saved; importing twice creates nothing
  new; rows outside the user's regions or beyond the role are refused.
- PostgreSQL writes with COPY, other databases with ``bulk_create``; no identifier is stored in clear;
  the daily tracing summary follows the import.
- Jobs: without a broker a job runs in a thread of its own and its progress is visible while it runs,
  on SQLite too (a scratch SQLite database in a subprocess: the test database lives in one transaction).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.cases import imports, jobs
from fangkong.cases.imports import (
    CONTACT_COLUMNS,
    ImportRejected,
    cases_import,
    contacts_import,
)
from fangkong.cases.imports import contacts as contact_imports
from fangkong.cases.models import Case, Contact, DailyTracing, ImportJob
from fangkong.cases.services import build_case, build_contact
from fangkong.cases.tests.builders import TZ, at, covid, make_case, make_contact, make_person
from fangkong.persons import protection
from fangkong.persons import services as person_services
from fangkong.persons.models import Person
from fangkong.persons.services import _person_from_input
from fangkong.testing.builders import citizen_id, make_user

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[3]
_births = itertools.count()


def _cid(region: str = "441900", male: bool = True) -> str:
    """A citizen ID no other call returns (a fresh birth date each time)."""
    return citizen_id(region, born=dt.date(1950, 1, 1) + dt.timedelta(days=next(_births)), male=male)


@pytest.fixture
def dongguan_epi(db):
    return make_user("dg_scale_epi", ("441900", Role.EPIDEMIOLOGIST))


@pytest.fixture
def source(dongguan_epi):
    return make_case(dongguan_epi, region="441900", name="源病例", day="2022-03-12", hour=9)  # reported 10:00


def _contact(number: str, **fields) -> dict:
    row = {"contact_no": number, "name": f"密接{number}", "citizen_id": _cid(), "phone": "",
           "sex": "", "birth_date": "", "address_region": "441900", "category": "close", "source_case_no": "",
           "region": "441900", "exposure_type": "household", "exposure_start": "2022-03-10",
           "exposure_end": "2022-03-11", "listed_at": "2022-03-12 12:00", "quarantined_at": "2022-03-12 18:00",
           "quarantine_place": "东莞隔离点"}
    row.update(fields)
    return row


def _case(number: str, **fields) -> dict:
    row = {"case_no": number, "name": f"病例{number}", "citizen_id": _cid(), "phone": "", "sex": "",
           "birth_date": "", "address_region": "441900", "disease": "covid-19", "classification": "confirmed",
           "onset_date": "2022-03-13", "sampling_date": "2022-03-14", "diagnosed_at": "2022-03-15 09:00",
           "reported_at": "2022-03-15 10:00", "detection_route": "screening", "imported": "", "origin": "",
           "severity": "", "outcome": "", "report_region": "441900", "infector_case_no": "",
           "first_visit_at": "", "isolated_at": "", "treatment_at": ""}
    row.update(fields)
    return row


def _moment(text: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ) if text else None


def _counts():
    return (Person.objects.count(), Contact.objects.count(), Case.objects.count(), AuditEvent.objects.count(),
            DailyTracing.objects.count())


CONTACT_FIELDS = ("region_id", "category", "source_case_id", "exposure_type", "exposure_start", "exposure_end",
                  "listed_at", "listed_date", "quarantined_at", "quarantine_place", "protocol_id", "test_schedule",
                  "release_due", "status", "listed_within_24h", "quarantined_within_24h")
PERSON_FIELDS = ("name", "sex", "birth_date", "address_region_id", "citizen_id_hash", "citizen_id_masked",
                 "phone_hash", "phone_masked")


def test_contacts_import_stores_what_the_row_by_row_services_build(dongguan_epi, source):
    known = make_person(dongguan_epi, name="已登记", region="441900")
    known_cid = protection.identifier_open(known, known.citizen_id_sealed, "citizen_id")
    twice = citizen_id("441900", dt.date(1988, 8, 8), male=False)  # born on a day _cid() does not reach
    rows = [
        _contact("K1", citizen_id=twice, phone="13912345678", sex="F", birth_date="1988-08-08"),
        _contact("K2", category="secondary", listed_at="2022-03-14 08:30", quarantined_at="", phone="+86 139-1234-5679",
                 exposure_type=""),
        _contact("K3", listed_at="2022-07-10 09:00", quarantined_at="2022-07-11 15:00", region="441900004"),
        _contact("K4", citizen_id=known_cid, name="文件里的另一个名字"),
        _contact("K5", citizen_id=twice, name="同一人", listed_at="2022-03-13 10:00", quarantined_at=""),
        _contact("K6", listed_at="2022-12-01 10:00", quarantined_at="2022-12-01 10:30", address_region="441900003",
                 exposure_start="", exposure_end=""),
        _contact("K7", listed_at="2022-03-12T11:00:00+00:00", quarantined_at="2022/03/13 08:00", sex="M",
                 citizen_id=_cid(male=True)),
    ]
    for row in rows:
        row["source_case_no"] = source.case_no
    try:
        outcome = contacts_import(actor=dongguan_epi, rows=rows, source="equivalence.csv")
    except ImportRejected as exc:
        pytest.fail(str(exc.errors))
    assert (outcome.created, outcome.existing, outcome.persons_created) == (7, 0, 5)

    expected_persons = {}
    for row in rows:
        cid = row["citizen_id"]
        if cid in expected_persons or cid == known_cid:
            continue
        expected_persons[cid] = _person_from_input(
            actor=dongguan_epi, name=row["name"], address_region=row["address_region"], sex=row["sex"],
            birth_date=dt.date.fromisoformat(row["birth_date"]) if row["birth_date"] else None, citizen_id=cid,
            phone=row["phone"])
    for row in rows:
        contact = Contact.objects.select_related("person").get(contact_no=row["contact_no"])
        cid = row["citizen_id"]
        person = contact.person
        assert protection.identifier_open(person, person.citizen_id_sealed, "citizen_id") == cid
        if cid == known_cid:
            assert person.pk == known.pk and person.name == "已登记"  # the registry keeps its record
        else:
            expected = expected_persons[cid]
            assert [getattr(person, f) for f in PERSON_FIELDS] == [getattr(expected, f) for f in PERSON_FIELDS]
            assert person.created_by == dongguan_epi
            if expected.phone_sealed:
                assert protection.identifier_open(person, person.phone_sealed, "phone") == protection.identifier_open(
                    expected, expected.phone_sealed, "phone")
        built = build_contact(
            actor=dongguan_epi, person=person, source_case=source, category=row["category"], region=row["region"],
            listed_at=dt.datetime.fromisoformat(row["listed_at"].replace("/", "-")).replace(
                tzinfo=None if "+" in row["listed_at"][10:] else TZ) if "+" not in row["listed_at"][10:]
            else dt.datetime.fromisoformat(row["listed_at"]),
            exposure_type=row["exposure_type"] or "other",
            exposure_start=dt.date.fromisoformat(row["exposure_start"]) if row["exposure_start"] else None,
            exposure_end=dt.date.fromisoformat(row["exposure_end"]) if row["exposure_end"] else None,
            quarantined_at=_moment(row["quarantined_at"].replace("/", "-")), quarantine_place=row["quarantine_place"],
            contact_no=row["contact_no"])
        assert [getattr(contact, f) for f in CONTACT_FIELDS] == [getattr(built, f) for f in CONTACT_FIELDS], row
    assert Contact.objects.get(contact_no="K1").person_id == Contact.objects.get(contact_no="K5").person_id
    assert Contact.objects.get(contact_no="K3").protocol.code == "9th"
    assert Contact.objects.get(contact_no="K3").listed_within_24h is False
    assert Contact.objects.get(contact_no="K3").quarantined_within_24h is False
    assert Contact.objects.get(contact_no="K7").listed_date == dt.date(2022, 3, 12)  # 19:00 in Dongguan
    assert AuditEvent.objects.filter(action="import", object_type="cases.contact", object_id="equivalence.csv",
                                     detail__created=7).count() == 1
    assert AuditEvent.objects.filter(action="import", object_type="persons.person", detail__created=5).count() == 1


def test_cases_import_stores_what_build_case_builds(dongguan_epi, source):
    listed_person = make_person(dongguan_epi, name="先列为密接", region="441900")
    make_contact(dongguan_epi, source_case=source, region="441900", person=listed_person, listed="2022-03-12")
    listed_cid = protection.identifier_open(listed_person, listed_person.citizen_id_sealed, "citizen_id")
    rows = [
        _case("C1", first_visit_at="2022-03-13 20:00", isolated_at="2022-03-15 12:00",
              treatment_at="2022-03-15 14:00", severity="moderate"),
        _case("C2", citizen_id=listed_cid, infector_case_no=source.case_no, detection_route="during_quarantine",
              diagnosed_at="2022-03-16 09:00", reported_at="2022-03-16 13:00", onset_date="", sampling_date=""),
        _case("C3", infector_case_no="C1", imported="是", origin="香港", reported_at="",
              diagnosed_at="2022-03-16 09:00", classification="asymptomatic", outcome="recovered"),
    ]
    outcome = cases_import(actor=dongguan_epi, rows=rows, source="cases.csv")
    assert (outcome.created, outcome.persons_created) == (3, 2)
    fields = ("classification", "onset_date", "sampling_date", "diagnosed_at", "report_date", "report_deadline",
              "reported_late", "detection_route", "imported", "origin", "severity", "outcome", "residence_region_id",
              "report_region_id", "disease_id")
    for row in rows:
        case = Case.objects.get(case_no=row["case_no"])
        built = build_case(
            actor=dongguan_epi, person=case.person, disease=covid(), classification=row["classification"],
            diagnosed_at=_moment(row["diagnosed_at"]), report_region=row["report_region"],
            reported_at=_moment(row["reported_at"]) or case.reported_at,
            onset_date=dt.date.fromisoformat(row["onset_date"]) if row["onset_date"] else None,
            sampling_date=dt.date.fromisoformat(row["sampling_date"]) if row["sampling_date"] else None,
            detection_route=row["detection_route"], imported=row["imported"] == "是", origin=row["origin"],
            severity=row["severity"] or "mild", outcome=row["outcome"] or "under_treatment", case_no=row["case_no"])
        assert [getattr(case, f) for f in fields] == [getattr(built, f) for f in fields], row
        assert list(case.classification_history.values_list("previous", "classification")) == [
            ("", row["classification"])]
    c1, c2, c3 = (Case.objects.get(case_no=n) for n in ("C1", "C2", "C3"))
    assert (c1.first_visit_at, c1.isolated_at, c1.treatment_at) == (
        at("2022-03-13", 20), at("2022-03-15", 12), at("2022-03-15", 14))
    assert c2.person_id == listed_person.pk and c2.found_under_management and not c1.found_under_management
    assert c2.reported_late and not c1.reported_late  # 4 h after diagnosis, COVID-19 managed as class A
    assert c2.infector_id == source.pk and c3.infector_id == c1.pk


def test_every_bad_row_is_reported_and_nothing_is_saved(dongguan_epi, shenzhen_epi, source):
    elsewhere = make_person(shenzhen_epi, name="深圳人", region="440304")
    bad_cid = _cid()[:-1] + "Y"
    rows = [
        _contact("OK1", source_case_no=source.case_no),
        _contact("B1", citizen_id=bad_cid, source_case_no=source.case_no),
        _contact("B2", phone="12345", sex="Q", source_case_no=source.case_no),
        _contact("OK1", source_case_no=source.case_no),  # the same number again
        _contact("B4", source_case_no="NO-SUCH-CASE", category="maybe", exposure_type="telepathy"),
        _contact("B5", source_case_no=source.case_no, region="440304", address_region="440304"),
        _contact("B6", source_case_no=source.case_no, listed_at="2099-01-01 10:00", quarantined_at=""),
        _contact("B7", source_case_no=source.case_no, quarantined_at="2022-03-12 08:00"),
        _contact("B8", source_case_no=source.case_no, listed_at="2022-12-01 10:00", category="secondary"),
        _contact("B9", source_case_no=source.case_no, listed_at="12/03/2022", exposure_start="yesterday"),
        _contact("B10", source_case_no=source.case_no,
                 citizen_id=protection.identifier_open(elsewhere, elsewhere.citizen_id_sealed, "citizen_id")),
        _contact("", source_case_no=source.case_no, exposure_end="2022-03-01", listed_at="2021-01-01 10:00"),
        _contact("B12", source_case_no=source.case_no, quarantine_place="x" * 201, birth_date="1990-13-01"),
    ]
    before = _counts()
    with pytest.raises(ImportRejected) as rejected:
        contacts_import(actor=dongguan_epi, rows=rows, source="bad.csv")
    assert _counts() == before
    errors = {(e["row"], e["column"]) for e in rejected.value.errors}
    assert {(3, "citizen_id"), (4, "phone"), (4, "sex"), (5, "contact_no"), (6, "source_case_no"), (6, "category"),
            (6, "exposure_type"), (7, "region"), (7, "address_region"), (8, "listed_at"), (9, "quarantined_at"),
            (10, "category"), (11, "listed_at"), (11, "exposure_start"), (12, "citizen_id"), (13, "contact_no"),
            (13, "exposure_end"), (13, "listed_at"), (14, "quarantine_place"), (14, "birth_date")} <= errors
    assert not any(row == 2 for row, _column in errors)  # the good row has none
    # registered in Shenzhen: refused for that alone, as the page refuses it
    assert [e["message"] for e in rejected.value.errors if e["row"] == 12] == [
        "This citizen ID is already registered in another region."]
    assert all(e["message"] for e in rejected.value.errors)
    assert [e["row"] for e in rejected.value.errors] == sorted(e["row"] for e in rejected.value.errors)


def test_importing_the_same_file_twice_creates_nothing_new(dongguan_epi, source):
    rows = [_contact(f"T{n}", source_case_no=source.case_no) for n in range(5)]
    assert contacts_import(actor=dongguan_epi, rows=rows).created == 5
    before = _counts()[:3]
    again = contacts_import(actor=dongguan_epi, rows=rows)
    assert (again.created, again.existing, again.persons_created) == (0, 5, 0)
    assert _counts()[:3] == before
    more = contacts_import(actor=dongguan_epi, rows=[*rows, _contact("T5", source_case_no=source.case_no)])
    assert (more.created, more.existing, more.persons_created) == (1, 5, 1)
    cases = [_case("CT1"), _case("CT2", infector_case_no="CT1")]
    assert cases_import(actor=dongguan_epi, rows=cases).created == 2
    assert cases_import(actor=dongguan_epi, rows=cases).existing == 2
    assert Case.objects.filter(case_no__startswith="CT").count() == 2


def test_rows_outside_the_scope_or_beyond_the_role_are_refused(dongguan_epi, shenzhen_epi, source):
    analyst = make_user("dg_scale_analyst", ("441900", Role.ANALYST))
    sz_rows = [_contact("SZ1", region="440304", address_region="440304", citizen_id=_cid("440304"),
                        source_case_no=source.case_no)]
    before = _counts()
    with pytest.raises(ImportRejected) as rejected:
        contacts_import(actor=dongguan_epi, rows=sz_rows)
    assert {(e["column"], e["message"]) for e in rejected.value.errors} == {
        ("region", "Choose a region within your area."), ("address_region", "Choose a region within your area.")}
    with pytest.raises(ImportRejected) as refused:
        contacts_import(actor=analyst, rows=[_contact("AN1", source_case_no=source.case_no)])
    assert {(e["column"], e["message"]) for e in refused.value.errors} == {
        ("region", _("Your role may not register contacts.")), ("address_region", _("Your role may not register persons."))}
    with pytest.raises(ImportRejected) as refused_cases:
        cases_import(actor=shenzhen_epi, rows=[_case("SZC1")])
    assert {e["column"] for e in refused_cases.value.errors} == {"report_region", "address_region"}
    assert _counts() == before


def test_postgresql_writes_with_copy_and_other_databases_with_bulk_create(dongguan_epi, source, monkeypatch):
    tables = []
    for module in (contact_imports, person_services):
        original = module.copy_rows
        monkeypatch.setattr(module, "copy_rows", lambda table, columns, chunks, _o=original: (
            tables.append(table), _o(table, columns, chunks))[1])
    rows = [_contact(f"CP{n}", source_case_no=source.case_no, phone=f"1391234{n:04d}") for n in range(3)]
    assert contacts_import(actor=dongguan_epi, rows=rows).created == 3
    if connection.vendor == "postgresql":
        assert tables == ["cases_contact", "persons_person"]
    else:
        assert tables == []
    for row in rows:
        contact = Contact.objects.select_related("person").get(contact_no=row["contact_no"])
        assert protection.identifier_open(contact.person, contact.person.citizen_id_sealed, "citizen_id") == row["citizen_id"]
        assert contact.test_schedule and contact.protocol.code == "8th" and contact.status == "quarantined"


def test_no_identifier_is_stored_in_clear(dongguan_epi, source):
    rows = [_contact(f"PII{n}", source_case_no=source.case_no, phone=f"1381234{n:04d}") for n in range(3)]
    contacts_import(actor=dongguan_epi, rows=rows, source="pii.csv")
    secrets = [r["citizen_id"] for r in rows] + [r["phone"] for r in rows]
    with connection.cursor() as cursor:
        for table in ("persons_person", "cases_contact", "audit_auditevent"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            text = "\n".join(str(row) for row in cursor.fetchall())
            assert not any(secret in text for secret in secrets), table


def test_the_daily_tracing_summary_follows_the_import(dongguan_epi, source):
    rows = [_contact("S1", source_case_no=source.case_no),  # listed 2 h after the report, quarantined 6 h later
            _contact("S2", source_case_no=source.case_no, listed_at="2022-03-13 12:00", quarantined_at=""),
            _contact("S3", source_case_no=source.case_no, category="secondary")]
    contacts_import(actor=dongguan_epi, rows=rows)
    day = DailyTracing.objects.get(region_id="441900", day=dt.date(2022, 3, 12))
    assert (day.close_contacts, day.listed_24h, day.quarantined_24h, day.secondary_contacts) == (1, 1, 1, 1)
    assert DailyTracing.objects.get(region_id="441900", day=dt.date(2022, 3, 13)).close_contacts == 1
    cases_import(actor=dongguan_epi, rows=[_case("SC1")])
    assert DailyTracing.objects.get(region_id="441900", day=dt.date(2022, 3, 15)).new_cases == 1


def test_an_imported_listing_before_a_registered_case_counts_it_as_found_under_management(dongguan_epi, source):
    cid = _cid()
    person = person_services.person_register(actor=dongguan_epi, name="先病例", address_region="441900",
                                             citizen_id=cid).person
    case = make_case(dongguan_epi, region="441900", person=person, day="2022-03-13", hour=15)  # reported 16:00
    assert not case.found_under_management
    rows = [_contact("FUM1", source_case_no=source.case_no, citizen_id=cid, listed_at="2022-03-13 08:00",
                     quarantined_at="")]
    assert contacts_import(actor=dongguan_epi, rows=rows, source="fum.csv").created == 1
    case.refresh_from_db()
    assert case.found_under_management
    day = DailyTracing.objects.get(region_id="441900", day=dt.date(2022, 3, 13))
    assert (day.new_cases, day.under_management) == (1, 1)
    audit = AuditEvent.objects.get(action="import", object_type="cases.contact", object_id="fum.csv")
    assert audit.detail["cases_now_found_under_management"] == 1


def test_the_earlies_columns_are_checked_and_optional(dongguan_epi):
    # the template heads them in Chinese (fangkong.cases.import_columns), read back as these codes
    assert "首次就诊时间,隔离时间,收治时间" in imports.template_csv("cases").decode("utf-8-sig")
    rows = [
        _case("E1", first_visit_at="2022-03-12 10:00"),  # before the onset (13 March)
        _case("E2", first_visit_at="2022-03-15 11:00"),  # after the report
        _case("E3", first_visit_at="2022-03-14 10:00", treatment_at="2022-03-14 09:00"),
        _case("E4", isolated_at="2099-01-01 00:00", treatment_at="soon"),
        _case("E5", isolated_at="2022-03-10 08:00"),  # isolated in quarantine before the onset: allowed
    ]
    with pytest.raises(ImportRejected) as rejected:
        cases_import(actor=dongguan_epi, rows=rows)
    assert {(e["row"], e["column"]) for e in rejected.value.errors} == {
        (2, "first_visit_at"), (3, "first_visit_at"), (4, "treatment_at"), (5, "isolated_at"), (5, "treatment_at")}
    old_file = [{k: v for k, v in _case("E6").items() if k not in imports.EARLIES_COLUMNS}]
    assert cases_import(actor=dongguan_epi, rows=old_file).created == 1
    assert cases_import(actor=dongguan_epi, rows=[rows[4]]).created == 1
    assert Case.objects.get(case_no="E5").isolated_at == at("2022-03-10", 8)


def test_a_job_that_stops_on_an_unexpected_error_is_marked_failed(dongguan_epi, monkeypatch):
    job = ImportJob.objects.create(kind="contacts", created_by=dongguan_epi,
                                   **jobs.job_sealed(b"contact_no\r\nX\r\n", "x.csv"))

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "contacts_import", broken)
    with pytest.raises(RuntimeError):
        jobs.run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at and "internal error" in job.errors[0]["message"]


def test_a_running_job_beats_its_heartbeat_and_stops_when_it_ends(dongguan_epi, monkeypatch):
    """At the start and, on PostgreSQL, from a thread of its own while the rows are saved (no progress
    report then); the heartbeat thread stops with the job."""
    import time

    job = ImportJob.objects.create(kind="contacts", created_by=dongguan_epi,
                                   **jobs.job_sealed(b"contact_no\r\nX\r\n", "x.csv"))
    assert jobs.run_import_job(job.pk) == "failed"  # on its columns, after it started
    assert ImportJob.objects.get(pk=job.pk).heartbeat_at is not None
    if connection.vendor != "postgresql":
        return
    monkeypatch.setattr(jobs, "HEARTBEAT", 0.02)
    progress = jobs._Progress(job.pk)
    progress.connection.force_debug_cursor = True
    time.sleep(0.3)
    progress(5, 10)
    progress.close()
    statements = [q["sql"] for q in progress.connection.queries_log]
    assert sum("SET heartbeat_at = now()" in q for q in statements) >= 3
    assert any("processed_rows = 5" in q for q in statements)
    time.sleep(0.1)
    assert len(progress.connection.queries_log) == len(statements)


def test_a_job_inside_a_transaction_runs_in_the_calling_thread(dongguan_epi, source):
    data = _csv([_contact("J1", source_case_no=source.case_no)], CONTACT_COLUMNS)
    job = ImportJob.objects.create(kind="contacts", created_by=dongguan_epi, **jobs.job_sealed(data, "j.csv"))
    assert jobs.import_job_start(job.pk) is None  # the test's transaction: another connection would not see it
    job.refresh_from_db()
    assert job.status == "done" and job.created_count == 1 and job.processed_rows == 1


def _csv(rows: list[dict], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


JOB_SCRIPT = textwrap.dedent("""
    import datetime as dt, json, threading, time
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from fangkong.regions.services import region_tree_load
    region_tree_load(boundaries=None)
    from fangkong.testing.builders import citizen_id, make_user
    from fangkong.cases import imports, jobs
    from fangkong.cases.models import Contact, ImportJob
    actor = make_user("dg", ("441900", "epidemiologist"))
    case = {"case_no": "SRC", "name": "源", "citizen_id": citizen_id("441900"), "address_region": "441900",
            "disease": "covid-19", "classification": "confirmed", "diagnosed_at": "2022-03-12 09:00",
            "reported_at": "2022-03-12 10:00", "detection_route": "screening", "report_region": "441900"}
    imports.cases_import(actor=actor, rows=[{c: case.get(c, "") for c in imports.CASE_COLUMNS}])
    lines = [",".join(imports.CONTACT_COLUMNS)]
    for n in range(2500):
        cid = citizen_id("441900", born=dt.date(1950, 1, 1) + dt.timedelta(days=n))
        lines.append(f"K{n},密接{n},{cid},,,,441900,close,SRC,441900,household,,,"
                     "2022-03-12 12:00,2022-03-12 18:00,")
    reached, resume = threading.Event(), threading.Event()
    original = jobs._Progress.__call__
    def pausing(self, done, total):
        original(self, done, total)
        if done >= 1000 and not reached.is_set():
            reached.set()
            resume.wait(120)
    jobs._Progress.__call__ = pausing
    from django.core.files.uploadedfile import SimpleUploadedFile
    upload = SimpleUploadedFile("k.csv", "\\n".join(lines).encode())
    job = jobs.import_job_submit(actor=actor, kind="contacts", upload=upload)
    out = {"after_submit": ImportJob.objects.get(pk=job.pk).status, "reached": reached.wait(300)}
    out["while_running"] = ImportJob.objects.filter(pk=job.pk).values("status", "processed_rows", "total_rows").get()
    out["contacts_while_running"] = Contact.objects.count()
    resume.set()
    for _ in range(3000):
        if ImportJob.objects.get(pk=job.pk).finished:
            break
        time.sleep(0.1)
    out["final"] = ImportJob.objects.filter(pk=job.pk).values("status", "created_count", "processed_rows").get()
    out["contacts"] = Contact.objects.count()
    print("RESULT " + json.dumps(out))
""")


def test_without_a_broker_a_job_runs_in_a_thread_and_shows_its_progress_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}", DJANGO_SETTINGS_MODULE="fangkong.settings",
               PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", JOB_SCRIPT], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, check=False)
    result = next((line for line in done.stdout.splitlines() if line.startswith("RESULT ")), None)
    assert result is not None, done.stderr[-3000:]
    out = json.loads(result.removeprefix("RESULT "))
    assert out["reached"] and out["after_submit"] in ("queued", "running")  # the submit did not wait for it
    assert out["while_running"]["status"] == "running"
    assert 1000 <= out["while_running"]["processed_rows"] < out["while_running"]["total_rows"] == 2500
    assert out["contacts_while_running"] == 0  # nothing saved before every row is checked
    assert out["final"] == {"status": "done", "created_count": 2500, "processed_rows": 2500}
    assert out["contacts"] == 2500
