"""FHIR export of a case: a document Bundle that validates against the FHIR structure (``fhir.resources``,
R4B model), Composition first; a destination not entitled to identifiers gets a pseudonym and no name, birth
date or citizen ID; an entitled one gets them only from a sender allowed to export identifiers; the same
case version is queued once; a Bundle that does not conform is refused naming the element."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.cases.tests.builders import at, make_case
from fangkong.testing.builders import citizen_id, make_person

from .. import fhir
from ..models import OutboundMessage
from ..services import destination_create

pytestmark = pytest.mark.django_db


def _destination(sysadmin, *, entitled: bool, name: str = "国家平台"):
    return destination_create(actor=sysadmin, region="440000", name=name, kind="fhir",
                              base_url="https://fhir.example.org/r4", regions=["440300"],
                              identifiers_entitled=entitled, reason="接入国家传染病报告平台")


def _case(actor, cid: str):
    person = make_person(actor, name="张三", region="440304", cid=cid)  # born 1990-01-01, as the ID says
    return make_case(actor, region="440304", day="2022-03-17", person=person, onset_date=dt.date(2022, 3, 15),
                     treatment_at=at("2022-03-17", 15))


def test_a_case_bundle_is_a_valid_document_without_identifiers_for_a_destination_not_entitled(
        sysadmin, shenzhen_epi):
    cid = citizen_id("440304", born=dt.date(1990, 1, 1))
    case = _case(shenzhen_epi, cid)
    destination = _destination(sysadmin, entitled=False)
    bundle = fhir.case_bundle(case, destination)
    fhir.bundle_validate(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["Composition", "Patient", "Condition", "Organization", "Encounter", "Provenance"]
    assert bundle["type"] == "document" and bundle["identifier"]["value"] == f"{case.case_no}/v{case.version}"
    text = json.dumps(bundle, ensure_ascii=False)
    assert cid not in text and "张三" not in text and "1990-01-01" not in text
    patient = bundle["entry"][1]["resource"]
    assert patient["identifier"][0]["value"] == fhir.pseudonym(destination, case.person_id)
    other = _destination(sysadmin, entitled=False, name="另一平台")
    assert fhir.pseudonym(other, case.person_id) != fhir.pseudonym(destination, case.person_id)
    condition = bundle["entry"][2]["resource"]
    assert (condition["onsetDateTime"], condition["verificationStatus"]["coding"][0]["code"],
            condition["code"]["coding"][0]["code"]) == ("2022-03-15", "confirmed", "covid-19")
    references = {e["fullUrl"] for e in bundle["entry"]}
    composition = bundle["entry"][0]["resource"]
    assert composition["subject"]["reference"] in references
    assert all(r["reference"] in references for s in composition["section"] for r in s["entry"])


def test_an_entitled_destination_gets_the_identifiers_only_from_a_sender_allowed_to_export_them(
        sysadmin, shenzhen_epi, futian_commander):
    cid = citizen_id("440304", born=dt.date(1990, 1, 1))
    case = _case(shenzhen_epi, cid)
    destination = _destination(sysadmin, entitled=True)
    with pytest.raises(PermissionDenied):  # a commander may send case reports, not identifiers in clear
        fhir.fhir_case_export(actor=futian_commander, destination=destination, case=case)
    message = fhir.fhir_case_export(actor=shenzhen_epi, destination=destination, case=case)
    patient = message.payload["entry"][1]["resource"]
    assert patient["identifier"][0]["value"] == cid and patient["name"] == [{"text": "张三"}]
    assert fhir.fhir_case_export(actor=shenzhen_epi, destination=destination, case=case).pk == message.pk
    assert OutboundMessage.objects.count() == 1


def test_a_sender_without_the_right_or_outside_the_region_queues_nothing(
        sysadmin, shenzhen_epi, guangzhou_epi, analyst):
    case = _case(shenzhen_epi, citizen_id("440304"))
    destination = _destination(sysadmin, entitled=False)
    for actor in (guangzhou_epi, analyst):
        with pytest.raises(PermissionDenied):
            fhir.fhir_case_export(actor=actor, destination=destination, case=case)
    assert OutboundMessage.objects.count() == 0


def test_a_bundle_that_does_not_conform_is_refused_naming_the_element():
    broken = {"resourceType": "Bundle", "type": "document", "entry": [
        {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Composition", "status": "final",
                                               "type": {"text": "x"}, "date": "2022-03-17", "title": "t"}}]}
    with pytest.raises(ValidationError) as refused:
        fhir.bundle_validate(broken)
    assert any(m.startswith("entry.0.resource.author") for m in refused.value.message_dict["bundle"])
    with pytest.raises(ValidationError) as refused:
        fhir.bundle_validate({"resourceType": "Bundle", "type": "document", "timestamp": "yesterday"})
    assert any(m.startswith("timestamp") for m in refused.value.message_dict["bundle"])
