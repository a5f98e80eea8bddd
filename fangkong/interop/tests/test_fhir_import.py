"""FHIR import of a case-report Bundle (``fhir_import``, API ``/api/v1/interop-fhir/Bundle/``): the export of a
case imported into an instance without it reproduces the person and the case exactly, once however often it
is sent; every refusal — a missing Patient, an unknown disease code, an invalid citizen ID, a date in the
future, malformed JSON, a 50 MB body, a structure FHIR does not allow, a pseudonymous report, another Bundle
under a used identifier, a caller without the right — is an OperationOutcome naming the element (valid FHIR
itself), and nothing is stored."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from fangkong.audit.models import AuditEvent
from fangkong.cases.models import Case
from fangkong.cases.tests.builders import at, make_case
from fangkong.laboratory.models import Specimen
from fangkong.persons import protection
from fangkong.persons.models import Person
from fangkong.persons.services import CITIZEN_ID
from fangkong.testing.builders import citizen_id, make_person

from .. import fhir
from ..models import ImportedBundle
from ..services import destination_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/interop-fhir/Bundle/"
FHIR_JSON = "application/fhir+json"


def _destination(sysadmin, *, entitled: bool = True):
    return destination_create(actor=sysadmin, region="440000", name="省平台" if entitled else "统计平台",
                              kind="fhir", base_url="https://fhir.example.org/r4", regions=["440300"],
                              identifiers_entitled=entitled, reason="病例报告交换")


#: The case's fields a Bundle of one case does not carry: the row's own bookkeeping (number, version, who and
#: when in this instance), what the platform derives on registration (deadline, lateness, found under
#: management: recomputed, and compared below), and links to other cases (infector, cluster: a report of one
#: case names no other).
NOT_CARRIED = {"id", "person", "version", "created_by", "created_at", "updated_at", "infector", "cluster"}


def _case_fields(case: Case) -> dict:
    return {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields if f.name not in NOT_CARRIED}


def _laboratory_results(epi, cid: str) -> None:
    """Two results of the person's throat swabs at a Shenzhen laboratory: negative, then positive with Ct."""
    from fangkong.accounts.models import User
    from fangkong.accounts.roles import Role
    from fangkong.laboratory.models import Laboratory
    from fangkong.laboratory.services import laboratory_create, result_record, specimen_record
    from fangkong.testing.builders import make_user

    staff = User.objects.filter(username="sz_lab_fhir").first() or make_user("sz_lab_fhir", ("440300", Role.LABORATORY))
    lab = Laboratory.objects.filter(name="深圳市疾控中心实验室").first() or laboratory_create(
        actor=epi, name="深圳市疾控中心实验室", region="440300", daily_capacity=5000, staff=[staff])
    for code, day, outcome, ct in (("SZ-0315-001", "2022-03-15", "negative", {}),
                                   ("SZ-0316-007", "2022-03-16", "positive", {"ORF1ab": 28.5, "N": 27.13})):
        specimen_record(actor=staff, laboratory=lab, code=code, subject="person", kind="throat",
                        sampled_at=at(day, 10), sampling_point="福田发热门诊", sampler="王护士", citizen_id=cid)
        result_record(actor=staff, laboratory=lab, code=code, outcome=outcome, ct_values=ct,
                      received_at=at(day, 12), resulted_at=at(day, 18))


def _results_of(person_id: int) -> list[tuple]:
    return [(s.laboratory.name, s.code, s.kind, s.sampled_at, s.result.received_at, s.result.resulted_at,
             s.result.outcome, {k: float(v) for k, v in s.result.ct_values.items()})
            for s in Specimen.objects.filter(person_id=person_id).select_related("laboratory", "result")
            .order_by("sampled_at")]


def _exported(sysadmin, epi, *, entitled: bool = True) -> tuple[dict, dict]:
    """A case's Bundle, and what the case and its person were, before both are removed (the empty instance).
    Every field the case has is set to something other than its default, so that a field the Bundle dropped
    shows."""
    cid = citizen_id("440304", born=dt.date(1987, 6, 5), male=False)
    person = make_person(epi, name="李四", region="440304", cid=cid, sex="F", birth_date=dt.date(1987, 6, 5))
    case = make_case(epi, region="440304", day="2022-03-17", person=person, onset_date=dt.date(2022, 3, 15),
                     sampling_date=dt.date(2022, 3, 16), first_visit_at=at("2022-03-16", 8),
                     isolated_at=at("2022-03-16", 11), treatment_at=at("2022-03-17", 15),
                     classification="asymptomatic", detection_route="inbound_screening", imported=True,
                     origin="香港", severity="moderate", outcome="recovered", residence_region="440305")
    _laboratory_results(epi, cid)
    bundle = fhir.case_bundle(case, _destination(sysadmin, entitled=entitled))
    was = {"citizen_id": cid, "name": person.name, "sex": person.sex, "birth_date": person.birth_date,
           "address_region": person.address_region_id, "case": _case_fields(case), "results": _results_of(person.pk)}
    from fangkong.laboratory.models import Result

    Result.objects.filter(specimen__person=person).delete()
    Specimen.objects.filter(person=person).delete()
    Case.objects.filter(pk=case.pk).delete()
    Person.objects.filter(pk=person.pk).delete()
    return bundle, was


def _post(client, body, content_type=FHIR_JSON):
    data = body if isinstance(body, bytes | str) else json.dumps(body, ensure_ascii=False)
    return client.post(URL, data, content_type=content_type)


def _stored() -> tuple[int, int, int, int]:
    return (Person.objects.count(), Case.objects.count(), ImportedBundle.objects.count(),
            _imports().count())


def _imports():
    return AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT, object_type="cases.case")


def _outcome(response) -> dict:
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    assert response["Content-Type"].startswith(FHIR_JSON), (response.status_code, response["Content-Type"], response.content[:300])
    body = response.json()
    OperationOutcome.model_validate(body)  # the answer is FHIR itself
    return body


def test_an_exported_case_imported_into_an_instance_without_it_is_the_same_person_and_case_once(
        client, sysadmin, shenzhen_epi):
    bundle, was = _exported(sysadmin, shenzhen_epi)
    client.force_login(shenzhen_epi)
    answer = _post(client, bundle)
    assert answer.status_code == 201, answer.content
    assert was["case"]["case_no"] in _outcome(answer)["issue"][0]["diagnostics"]
    case = Case.objects.select_related("person").get()
    person = case.person
    assert protection.identifier_open(person, person.citizen_id_sealed, CITIZEN_ID) == was["citizen_id"]
    assert {"name": person.name, "sex": person.sex, "birth_date": person.birth_date,
            "address_region": person.address_region_id} == {k: was[k] for k in ("name", "sex", "birth_date",
                                                                                 "address_region")}
    assert _case_fields(case) == was["case"]
    assert was["case"]["imported"] and was["case"]["severity"] == "moderate"  # not the defaults
    assert _results_of(person.pk) == was["results"] and len(was["results"]) == 2  # with the Ct values
    event = _imports().get()
    assert event.detail["format"] == "fhir-bundle" and was["citizen_id"] not in json.dumps(event.detail)
    stored = _stored()
    again = _post(client, bundle)  # the same Bundle sent again
    assert again.status_code == 200 and was["case"]["case_no"] in _outcome(again)["issue"][0]["diagnostics"]
    assert _stored() == stored == (1, 1, 1, 1)


def _without(bundle: dict, kind: str) -> dict:
    changed = copy.deepcopy(bundle)
    changed["entry"] = [e for e in changed["entry"] if e["resource"]["resourceType"] != kind]
    return changed


def _entry(bundle: dict, kind: str, nth: int) -> int:
    """The index of the ``nth`` entry of resource type ``kind``."""
    return [n for n, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] == kind][nth]


def _at(bundle: dict, name: str) -> int:
    """The index of the Condition's extension ``name`` (``fhir.CASE_EXTENSIONS``) in ``bundle``."""
    urls = [e["url"] for e in bundle["entry"][2]["resource"]["extension"]]
    return urls.index(f"{fhir.EXTENSION}/{name}")


def _extension(condition: dict, name: str) -> dict:
    return next(e for e in condition["extension"] if e["url"] == f"{fhir.EXTENSION}/{name}")


def _changed(bundle: dict, index: int, change) -> dict:
    changed = copy.deepcopy(bundle)
    change(changed["entry"][index]["resource"])
    return changed


def test_bad_bundles_are_refused_with_the_element_named_and_nothing_stored(client, sysadmin, shenzhen_epi):
    bundle, was = _exported(sysadmin, shenzhen_epi)
    wrong_cid = was["citizen_id"][:-1] + ("0" if was["citizen_id"][-1] != "0" else "1")
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).astimezone().isoformat(timespec="seconds")
    cases = [
        ("no Patient", _without(bundle, "Patient"), 400, "Bundle.entry"),
        ("unknown disease", _changed(bundle, 2, lambda r: r["code"]["coding"][0].update(code="plague-x")), 400,
         "Bundle.entry[2].resource.code.coding[0].code"),
        ("invalid citizen ID", _changed(bundle, 1, lambda r: r["identifier"][0].update(value=wrong_cid)), 400,
         "Bundle.entry[1].resource.identifier[0].value"),
        ("diagnosed in the future", _changed(bundle, 2, lambda r: r.update(recordedDate=tomorrow)), 400,
         "Bundle.entry[2].resource.recordedDate"),
        ("a date without its time zone", _changed(bundle, 2, lambda r: r.update(recordedDate="2022-03-17")), 400,
         "Bundle.entry[2].resource.recordedDate"),
        ("gender not a code", _changed(bundle, 1, lambda r: r.update(gender=5)), 400,
         "Bundle.entry[1].resource.gender"),
        # the case's fields carried as extensions of the Condition (fhir.CASE_EXTENSIONS), and its severity
        ("unknown detection route", _changed(bundle, 2, lambda r: _extension(r, "detection-route")["valueCoding"]
                                             .update(code="drone")), 400,
         f"Bundle.entry[2].resource.extension[{_at(bundle, 'detection-route')}].valueCoding.code"),
        ("a route of another code system", _changed(bundle, 2, lambda r: _extension(r, "detection-route")
                                                    ["valueCoding"].update(system="http://example.org/x")), 400,
         f"Bundle.entry[2].resource.extension[{_at(bundle, 'detection-route')}].valueCoding.system"),
        ("sampled in the future", _changed(bundle, 2, lambda r: _extension(r, "sampling-date").update(
            valueDate=tomorrow[:10])), 400,
         f"Bundle.entry[2].resource.extension[{_at(bundle, 'sampling-date')}].valueDate"),
        ("isolated without a time zone", _changed(bundle, 2, lambda r: _extension(r, "isolated").update(
            valueDateTime="2022-03-16T11:00:00")), 400,
         f"Bundle.entry[2].resource.extension[{_at(bundle, 'isolated')}].valueDateTime"),
        ("imported without its origin", _changed(bundle, 2, lambda r: r.update(extension=[
            e for e in r["extension"] if not e["url"].endswith("/origin")])), 400,
         "Bundle.entry[2].resource.extension"),
        ("an extension without its value", _changed(bundle, 2, lambda r: _extension(r, "outcome").pop(
            "valueCoding")), 400, f"Bundle.entry[2].resource.extension[{_at(bundle, 'outcome')}]"),
        ("unknown severity", _changed(bundle, 2, lambda r: r["severity"]["coding"][0].update(code="deadly")), 400,
         "Bundle.entry[2].resource.severity.coding[0].code"),
        # the library itself fails (KeyError) on a resource type it does not know: refused like any structure
        ("an unknown resource type", _changed(bundle, 3, lambda r: r.update(resourceType="Nope")), 400,
         "Bundle.entry[3].resource.resourceType"),
        ("a resource type that is a number", _changed(bundle, 3, lambda r: r.update(resourceType=7)), 400,
         "Bundle.entry[3].resource.resourceType"),
        # the laboratory results (Observations, their Specimens and the performing laboratory)
        ("a Ct value out of range", _changed(bundle, _entry(bundle, "Observation", 1), lambda r: r["component"][0]
                                             ["valueQuantity"].update(value=50)), 400,
         f"Bundle.entry[{_entry(bundle, 'Observation', 1)}].resource.component"),
        ("a laboratory the platform does not know", _changed(bundle, _entry(bundle, "Organization", 1),
                                                             lambda r: r.update(name="无名实验室")), 400,
         f"Bundle.entry[{_entry(bundle, 'Organization', 1)}].resource.name"),
        ("a verdict of another code", _changed(bundle, _entry(bundle, "Observation", 0), lambda r: r[
            "valueCodeableConcept"]["coding"][0].update(code="123")), 400,
         f"Bundle.entry[{_entry(bundle, 'Observation', 0)}].resource.valueCodeableConcept.coding[0].code"),
        ("a positive without its Ct values", _changed(bundle, _entry(bundle, "Observation", 1),
                                                      lambda r: r.pop("component")), 400,
         f"Bundle.entry[{_entry(bundle, 'Observation', 1)}].resource.component"),
        ("received before it was sampled", _changed(bundle, _entry(bundle, "Specimen", 0), lambda r: r.update(
            receivedTime="2022-03-14T09:00:00+08:00")), 400,
         f"Bundle.entry[{_entry(bundle, 'Specimen', 0)}].resource.receivedTime"),
        ("no identifier", {k: v for k, v in bundle.items() if k != "identifier"}, 400, "Bundle.identifier"),
        ("malformed JSON", json.dumps(bundle)[:-7], 400, "Bundle"),
        ("not a Bundle", {"resourceType": "Patient"}, 400, "Bundle"),
        ("a list", [bundle], 400, "Bundle"),
    ]
    client.force_login(shenzhen_epi)
    for label, body, status, element in cases:
        answer = _post(client, body)
        assert answer.status_code == status, (label, answer.content[:300])
        issues = _outcome(answer)["issue"]
        assert element in [e for i in issues for e in i["expression"]], (label, issues)
        assert _stored() == (0, 0, 0, 0), label
        assert not Specimen.objects.exists(), label  # the laboratory results went with the rest
    answer = _post(client, bundle, content_type="text/plain")
    assert answer.status_code == 415 and _stored() == (0, 0, 0, 0)


def test_a_50_mb_bundle_is_refused_before_it_is_read(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    body = b'{"resourceType": "Bundle", "type": "document", "entry": [' + b" " * (50 * 1024 * 1024) + b"]}"
    answer = client.post(URL, body, content_type=FHIR_JSON)
    assert answer.status_code == 413 and _outcome(answer)["issue"][0]["code"] == "too-long"
    assert _stored() == (0, 0, 0, 0)


def test_a_pseudonymous_report_another_bundle_under_a_used_identifier_and_a_taken_number_are_refused(
        client, sysadmin, shenzhen_epi):
    pseudonymous, _was = _exported(sysadmin, shenzhen_epi, entitled=False)
    client.force_login(shenzhen_epi)
    answer = _post(client, pseudonymous)
    assert answer.status_code == 400
    assert "Bundle.entry[1].resource.name" in [e for i in _outcome(answer)["issue"] for e in i["expression"]]
    assert _stored() == (0, 0, 0, 0)
    bundle, _was = _exported(sysadmin, shenzhen_epi)
    assert _post(client, bundle).status_code == 201
    stored = _stored()
    other = _changed(bundle, 2, lambda r: r.update(onsetDateTime="2022-03-14"))  # same identifier, other content
    answer = _post(client, other)
    assert answer.status_code == 409 and _outcome(answer)["issue"][0]["expression"] == ["Bundle.identifier"]
    renamed = copy.deepcopy(other)
    renamed["identifier"]["value"] += "-resent"  # a new identifier, but the case number is registered
    answer = _post(client, renamed)
    assert answer.status_code == 409
    assert _outcome(answer)["issue"][0]["expression"] == ["Bundle.entry[2].resource.identifier[0].value"]
    assert _stored() == stored


def test_a_caller_without_the_right_or_outside_the_region_registers_nothing(client, sysadmin, shenzhen_epi,
                                                                            guangzhou_epi, analyst):
    bundle, _was = _exported(sysadmin, shenzhen_epi)
    client.force_login(analyst)  # no named data for this role: the platform's gate refuses before the endpoint
    assert _post(client, bundle).status_code == 403 and _stored() == (0, 0, 0, 0)
    client.force_login(guangzhou_epi)  # may register cases, but not in Shenzhen
    answer = _post(client, bundle)
    assert answer.status_code in (400, 403), answer.content[:300]
    assert _outcome(answer)["issue"] and _stored() == (0, 0, 0, 0)
