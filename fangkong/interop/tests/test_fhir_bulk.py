"""Case reports by the thousand (``fhir_bulk``): the export of a region's reports as NDJSON — the sender's rights
checked once, the reports the sender reads by name, identifiers only for an entitled destination with a
reason, one audit event — and the import of such a file into an instance without the cases: every field back,
all or none, a refused line named with its element, the same file twice registering nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.audit.models import AuditEvent
from fangkong.cases.imports import ImportRejected
from fangkong.cases.models import Case
from fangkong.cases.tests.builders import at, make_case
from fangkong.persons import protection
from fangkong.persons.models import Person
from fangkong.persons.services import CITIZEN_ID
from fangkong.testing.builders import citizen_id, make_person

from .. import fhir_bulk
from ..models import ImportedBundle
from ..services import destination_create
from .test_fhir_import import NOT_CARRIED, _case_fields

pytestmark = pytest.mark.django_db
DAY = dt.date(2022, 3, 17)


def _destination(sysadmin, *, entitled: bool, regions=("440300",)):
    name = ("省平台" if entitled else "统计平台") + ("" if regions == ("440300",) else "-" + "-".join(regions))
    return destination_create(actor=sysadmin, region="440000", name=name, kind="fhir",
                              base_url="https://fhir.example.org/r4", regions=list(regions),
                              identifiers_entitled=entitled, reason="病例报告交换")


def _cases(epi, count: int = 3, *, region: str = "440304") -> list[Case]:
    made = []
    for n in range(count):
        cid = citizen_id(region, born=dt.date(1980 + n, 1, 2 + n), male=bool(n % 2))
        person = make_person(epi, name=f"病例{n}", region=region, cid=cid, birth_date=dt.date(1980 + n, 1, 2 + n),
                             sex="M" if n % 2 else "F")
        made.append(make_case(epi, region=region, day="2022-03-17", hour=8 + n, person=person,
                              onset_date=dt.date(2022, 3, 15), sampling_date=dt.date(2022, 3, 16),
                              isolated_at=at("2022-03-16", 11), severity="moderate" if n else "mild",
                              imported=n == 2, origin="香港" if n == 2 else ""))
    return made


def _export(actor, destination, region="440300", reason: str = "向省平台补报病例") -> tuple[list[dict], bytes]:
    export = fhir_bulk.case_reports_export(actor=actor, destination=destination.pk, region=region,
                                           reported_from=DAY, reported_to=DAY, reason=reason)
    data = b"".join(export.lines)
    return [json.loads(line) for line in data.splitlines()], data


def test_the_export_holds_the_reports_the_sender_reads_with_identifiers_only_for_an_entitled_destination(
        sysadmin, shenzhen_epi, guangzhou_epi):
    _cases(shenzhen_epi, 2)
    _cases(shenzhen_epi, 1, region="440305")
    make_case(guangzhou_epi, region="440106", day="2022-03-17")  # another city: not in Shenzhen's file
    make_case(shenzhen_epi, region="440304", day="2022-03-18", name="次日病例")  # outside the period
    before = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count()
    pseudonymous = _destination(sysadmin, entitled=False)
    bundles, data = _export(shenzhen_epi, pseudonymous, reason="")
    assert len(bundles) == 3 and {b["type"] for b in bundles} == {"document"}
    assert "病例0" not in data.decode() and "citizen-id" not in data.decode()  # pseudonyms only
    event = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).latest("id")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == before + 1
    assert event.detail["reports"] == 3 and event.detail["clear"] is False
    bundles, data = _export(shenzhen_epi, _destination(sysadmin, entitled=True))
    assert len(bundles) == 3 and "病例0" in data.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).latest("id").reason == "向省平台补报病例"
    futian, _data = _export(shenzhen_epi, pseudonymous, region="440304", reason="")
    assert len(futian) == 2


def test_an_export_refused_reads_and_audits_nothing(sysadmin, shenzhen_epi, guangzhou_epi, futian_commander):
    _cases(shenzhen_epi, 1)
    entitled, other = _destination(sysadmin, entitled=True), _destination(sysadmin, entitled=False, regions=("440100",))
    before = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count()
    with pytest.raises(PermissionDenied):  # another city's reports
        _export(guangzhou_epi, _destination(sysadmin, entitled=False), reason="")
    with pytest.raises(ValidationError) as raised:  # identifiers in clear need a reason
        _export(shenzhen_epi, entitled, reason="")
    assert "reason" in raised.value.message_dict
    with pytest.raises(PermissionDenied):  # a commander sends reports but may not export identifiers
        _export(futian_commander, entitled, region="440304")
    with pytest.raises(ValidationError) as raised:  # a destination that may not receive Shenzhen's data
        _export(shenzhen_epi, other, reason="")
    assert "region" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        fhir_bulk.case_reports_export(actor=shenzhen_epi, destination=entitled.pk, region="440300",
                                      reported_from=DAY, reported_to=DAY - dt.timedelta(days=1), reason="补报")
    assert "reported_to" in raised.value.message_dict
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == before


def _emptied(cases: list[Case]) -> list[dict]:
    """What the cases and their persons were, before both are removed (the empty instance)."""
    was = [{"case": _case_fields(c), "citizen_id": protection.identifier_open(c.person, c.person.citizen_id_sealed, CITIZEN_ID),
            "person": (c.person.name, c.person.sex, c.person.birth_date, c.person.address_region_id)} for c in cases]
    persons = [c.person_id for c in cases]
    Case.objects.filter(pk__in=[c.pk for c in cases]).delete()
    Person.objects.filter(pk__in=persons).delete()
    return was


def test_a_file_exported_then_imported_into_an_instance_without_the_cases_gives_them_back_once(
        sysadmin, shenzhen_epi):
    cases = _cases(shenzhen_epi, 3)
    _bundles, data = _export(shenzhen_epi, _destination(sysadmin, entitled=True))
    was = _emptied(cases)
    outcome = fhir_bulk.bundles_import(actor=shenzhen_epi, data=data, source="补报.ndjson")
    assert (outcome.created, outcome.existing, outcome.persons_created) == (3, 0, 3)
    for before in was:
        case = Case.objects.select_related("person").get(case_no=before["case"]["case_no"])
        assert _case_fields(case) == before["case"]
        person = case.person
        assert (person.name, person.sex, person.birth_date, person.address_region_id) == before["person"]
        assert protection.identifier_open(person, person.citizen_id_sealed, CITIZEN_ID) == before["citizen_id"]
    assert ImportedBundle.objects.count() == 3
    stored = (Person.objects.count(), Case.objects.count(), ImportedBundle.objects.count())
    again = fhir_bulk.bundles_import(actor=shenzhen_epi, data=data, source="补报.ndjson")  # the same file again
    assert (again.created, again.existing) == (0, 3)
    assert (Person.objects.count(), Case.objects.count(), ImportedBundle.objects.count()) == stored
    assert NOT_CARRIED  # the fields compared are every field but those (test_fhir_import)


def test_a_file_with_a_bad_line_registers_nothing_and_names_the_line_and_the_element(sysadmin, shenzhen_epi,
                                                                                   guangzhou_epi):
    cases = _cases(shenzhen_epi, 3)
    bundles, _data = _export(shenzhen_epi, _destination(sysadmin, entitled=True))
    _emptied(cases)
    bundles[1]["entry"][2]["resource"]["code"]["coding"][0]["code"] = "plague-x"  # line 2: unknown disease
    bundles[2]["entry"][1]["resource"]["birthDate"] = "1982-02-30"  # line 4 (a blank line 3): no such date
    lines = [json.dumps(b, ensure_ascii=False) for b in bundles]
    data = "\n".join([lines[0], lines[1], "", lines[2], "{not json"]).encode()
    with pytest.raises(ImportRejected) as raised:
        fhir_bulk.bundles_import(actor=shenzhen_epi, data=data)
    found = {(e["row"], e["column"]) for e in raised.value.errors}
    assert (2, "Bundle.entry[2].resource.code.coding[0].code") in found
    assert (4, "Bundle.entry[1].resource.birthDate") in found
    assert (5, "Bundle") in found and not any(e["row"] == 1 for e in raised.value.errors)
    assert (Person.objects.count(), Case.objects.count(), ImportedBundle.objects.count()) == (0, 0, 0)
    good = "\n".join([lines[0]]).encode()
    with pytest.raises(ImportRejected) as raised:  # a Guangzhou epidemiologist: the case import's own refusal
        fhir_bulk.bundles_import(actor=guangzhou_epi, data=good)
    assert {e["row"] for e in raised.value.errors} == {1}
    assert all(e["column"].startswith("Bundle") for e in raised.value.errors)
    assert (Person.objects.count(), Case.objects.count(), ImportedBundle.objects.count()) == (0, 0, 0)


def test_another_bundle_under_a_used_identifier_a_taken_number_and_a_moved_residence_are_refused(
        sysadmin, shenzhen_epi):
    cases = _cases(shenzhen_epi, 2)
    bundles, data = _export(shenzhen_epi, _destination(sysadmin, entitled=True))
    _emptied(cases)
    fhir_bulk.bundles_import(actor=shenzhen_epi, data=data)
    changed = json.loads(json.dumps(bundles[0]))
    changed["entry"][2]["resource"]["onsetDateTime"] = "2022-03-14"  # same identifier, other content
    renamed = json.loads(json.dumps(bundles[1]))
    renamed["identifier"]["value"] += "-resent"  # a new identifier, but the case number is registered
    data = "\n".join(json.dumps(b) for b in (changed, renamed)).encode()
    with pytest.raises(ImportRejected) as raised:
        fhir_bulk.bundles_import(actor=shenzhen_epi, data=data)
    assert {(e["row"], e["column"]) for e in raised.value.errors} == {
        (1, "Bundle.identifier"), (2, "Bundle.entry[2].resource.identifier[0].value")}
    moved = json.loads(json.dumps(bundles[0]))
    moved["identifier"]["value"] += "-moved"
    moved["entry"][2]["resource"]["identifier"][0]["value"] += "-2"
    for extension in moved["entry"][2]["resource"]["extension"]:
        if extension["url"].endswith("/residence-region"):
            extension["valueCoding"]["code"] = "440305"
    with pytest.raises(ImportRejected) as raised:
        fhir_bulk.bundles_import(actor=shenzhen_epi, data=json.dumps(moved).encode())
    assert [e["column"] for e in raised.value.errors] == [
        f"Bundle.entry[2].resource.extension[{_index(moved, 'residence-region')}].valueCoding.code"]
    assert Case.objects.count() == 2


def _index(bundle: dict, name: str) -> int:
    return [e["url"].rsplit("/", 1)[1] for e in bundle["entry"][2]["resource"]["extension"]].index(name)


def test_the_pages_and_the_api_export_and_import_a_file_as_the_services_do(client, sysadmin, shenzhen_epi, analyst,
                                                                           guangzhou_epi):
    from fangkong.cases.jobs import run_import_job
    from fangkong.cases.models import ImportJob

    cases = _cases(shenzhen_epi, 2)
    destination = _destination(sysadmin, entitled=True)
    client.force_login(shenzhen_epi)
    assert client.get("/interop/case-reports/export/").status_code == 200
    form = {"destination": destination.pk, "region": "440300", "reported_from": "2022-03-17",
            "reported_to": "2022-03-17", "reason": "向省平台补报病例"}
    answer = client.post("/interop/case-reports/export/", form)
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/fhir+ndjson")
    data = b"".join(answer.streaming_content)
    assert answer["X-Bundle-Count"] == "2" and len(data.splitlines()) == 2
    refused = client.post("/interop/case-reports/export/", {**form, "reason": ""})  # in clear needs a reason
    assert refused.status_code == 400 and "application/fhir+ndjson" not in refused["Content-Type"]
    api = client.post("/api/v1/interop-fhir/case-reports/", {**form, "region": "440304"},
                      content_type="application/json")
    assert api.status_code == 200 and len(b"".join(api.streaming_content).splitlines()) == 2
    _emptied(cases)
    from django.core.files.uploadedfile import SimpleUploadedFile

    assert client.get("/interop/case-reports/import/").status_code == 200
    answer = client.post("/interop/case-reports/import/",
                         {"file": SimpleUploadedFile("reports.ndjson", data, "application/fhir+ndjson")})
    assert answer.status_code == 302
    job = ImportJob.objects.get()
    assert job.kind == "fhir_bundles"
    run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == "done", (job.status, job.errors)
    assert Case.objects.count() == 2 and ImportedBundle.objects.count() == 2
    api = client.post("/api/v1/interop-fhir/case-reports/import/",
                      {"file": SimpleUploadedFile("reports.ndjson", data, "application/fhir+ndjson")})
    assert api.status_code == 202
    client.force_login(analyst)  # no named data: the gate refuses before the file is read
    assert client.post("/api/v1/interop-fhir/case-reports/", form, content_type="application/json").status_code == 403
    assert client.get("/interop/case-reports/import/").status_code == 403
    client.force_login(guangzhou_epi)  # another city's region: refused, nothing streamed
    answer = client.post("/api/v1/interop-fhir/case-reports/", form, content_type="application/json")
    assert answer.status_code == 403


def test_a_file_over_the_cap_is_refused_before_it_is_read_and_a_spreadsheet_check_does_not_apply(shenzhen_epi,
                                                                                                 analyst):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fangkong.cases.jobs import import_job_submit
    from fangkong.cases.models import ImportJob

    class Huge:
        """An upload over the cap, which fails the test if it is read."""

        name, size = "big.ndjson", fhir_bulk.MAX_FILE_BYTES + 1

        def read(self, *args):  # pragma: no cover - a refusal must come before the file is read
            raise AssertionError("read")

    with pytest.raises(ValidationError) as raised:
        import_job_submit(actor=shenzhen_epi, kind=fhir_bulk.KIND, upload=Huge())
    assert "file" in raised.value.message_dict
    with pytest.raises(PermissionDenied):  # the role, before anything
        import_job_submit(actor=analyst, kind=fhir_bulk.KIND, upload=Huge())
    job = import_job_submit(actor=shenzhen_epi, kind=fhir_bulk.KIND,  # NDJSON is not a CSV or XLSX: taken
                            upload=SimpleUploadedFile("reports.ndjson", b'{"resourceType": "Bundle"}\n'))
    assert ImportJob.objects.filter(pk=job.pk, kind=fhir_bulk.KIND).exists()
