"""HL7 FHIR R4 export of one case as a document Bundle, validated before it is queued.

The Bundle follows the structure of the published public-health case-report documents (HL7 eICR; Germany's
DEMIS notification bundle): a ``document`` Bundle whose first entry is the Composition, then the Patient, the
Condition, the Encounter when the case was admitted, the reporting Organization and a Provenance. The mapping,
field by field, is the table in this module's README.

**Identifiers.** A destination entitled to identifiers (``Destination.identifiers_entitled``) receives the
patient's name, birth date and citizen ID (decrypted for this message only; the sender must hold
``person.export_clear``); any other receives a pseudonymous identifier — a keyed hash of the destination and
the person, so two destinations cannot link their patients — with sex and the region code, no name, no birth
date.

**Validation.** ``bundle_validate`` parses the Bundle with ``fhir.resources`` (pinned in ``pyproject.toml``),
model ``fhir.resources.R4B``: recent releases of the library model R5 by default and keep R4B, not R4; the
resources used here (Bundle, Composition, Patient, Condition, Encounter, Organization, Provenance,
Observation) have the same structure in R4 and R4B (R4B changed medication definitions, evidence and
subscriptions), so a Bundle valid for R4B is valid R4 for them. A refusal names the element
(``entry.0.resource.author``).

Laboratory Observations are not sent yet: the platform records no laboratory results to map (no laboratory
module); the Condition's classification carries the verdict.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError as ModelError

from fangkong.accounts.access import can
from fangkong.accounts.roles import Capability
from fangkong.cases.models import Case, Classification
from fangkong.persons import protection
from fangkong.persons.services import CITIZEN_ID

from .apps import SEND_CASES
from .models import Destination, OutboundMessage
from .services import message_enqueue, payload_hash

SYSTEM = "https://fangkong.example.org/fhir"  # the namespace of fangkong's own code systems and identifiers
CASE_REPORT = {"system": "http://loinc.org", "code": "55751-2", "display": "Public health Case report"}
VERIFICATION = {Classification.CONFIRMED: "confirmed", Classification.ASYMPTOMATIC: "confirmed",
                Classification.SUSPECTED: "provisional", Classification.EXCLUDED: "refuted"}
GENDER = {"M": "male", "F": "female"}
NAMESPACE = uuid.UUID("0b7d3f7e-7d8e-4a4e-9a51-6b1f3c2a9d24")


def _uuid(*parts) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, ':'.join(str(p) for p in parts))}"


def _instant(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def pseudonym(destination: Destination, person_id: int) -> str:
    """The patient's identifier for a destination not entitled to identifiers: stable for that destination,
    unlinkable across destinations, not reversible without the PII key."""
    return protection.keyed_hash(f"{destination.pk}:{person_id}", "interop.pseudonym")[:32]


def case_bundle(case: Case, destination: Destination, *, now: dt.datetime | None = None) -> dict:
    """The document Bundle of ``case`` for ``destination`` (module docstring); the same case version gives
    the same Bundle (its time stamp is the case's last change), so that it is queued once."""
    now = now or case.updated_at
    person, region = case.person, case.report_region
    ids = {name: _uuid(case.case_no, case.version, name) for name in
           ("bundle", "composition", "patient", "condition", "encounter", "organization", "provenance")}
    patient: dict = {"resourceType": "Patient", "gender": GENDER.get(person.sex, "unknown"),
                     "address": [{"district": person.address_region_id or ""}] if person.address_region_id else []}
    if destination.identifiers_entitled:
        patient["identifier"] = ([{"system": f"{SYSTEM}/citizen-id",
                                   "value": protection.identifier_open(person, person.citizen_id_sealed,
                                                                       CITIZEN_ID)}]
                                 if person.citizen_id_sealed else [])
        patient["name"] = [{"text": person.name}]
        if person.birth_date:
            patient["birthDate"] = person.birth_date.isoformat()
    else:
        patient["identifier"] = [{"system": f"{SYSTEM}/pseudonym/{destination.pk}",
                                  "value": pseudonym(destination, person.pk)}]
    patient = {k: v for k, v in patient.items() if v != []}
    condition = {
        "resourceType": "Condition",
        "identifier": [{"system": f"{SYSTEM}/case-number", "value": case.case_no}],
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "inactive" if case.classification == Classification.EXCLUDED
                                       else "active"}]},
        "verificationStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "code": VERIFICATION[case.classification]}]},
        "category": [{"coding": [{"system": f"{SYSTEM}/case-classification", "code": case.classification,
                                  "display": str(Classification(case.classification).label)}]}],
        "code": {"coding": [{"system": f"{SYSTEM}/disease", "code": case.disease.code,
                             "display": case.disease.name_en}], "text": case.disease.name_zh},
        "subject": {"reference": ids["patient"]},
        "recordedDate": _instant(case.diagnosed_at),
    }
    if case.onset_date:
        condition["onsetDateTime"] = case.onset_date.isoformat()
    organization = {"resourceType": "Organization",
                    "identifier": [{"system": f"{SYSTEM}/region", "value": region.code}],
                    "name": f"{region.name_zh}疾病预防控制机构"}
    entries = [("patient", patient), ("condition", condition), ("organization", organization)]
    sections = [{"title": "Condition", "entry": [{"reference": ids["condition"]}]}]
    if case.treatment_at:
        entries.append(("encounter", {
            "resourceType": "Encounter", "status": "in-progress",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP",
                      "display": "inpatient encounter"},
            "subject": {"reference": ids["patient"]}, "period": {"start": _instant(case.treatment_at)}}))
        sections.append({"title": "Encounter", "entry": [{"reference": ids["encounter"]}]})
    composition = {"resourceType": "Composition", "status": "final", "type": {"coding": [CASE_REPORT]},
                   "subject": {"reference": ids["patient"]}, "date": _instant(case.reported_at),
                   "author": [{"reference": ids["organization"]}],
                   "title": f"传染病报告 {case.case_no}", "section": sections}
    provenance = {"resourceType": "Provenance",
                  "target": [{"reference": ids["composition"]}, {"reference": ids["condition"]}],
                  "recorded": _instant(now),
                  "agent": [{"type": {"coding": [{
                      "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                      "code": "author"}]}, "who": {"reference": ids["organization"]}}]}
    entries = [("composition", composition), *entries, ("provenance", provenance)]
    return {"resourceType": "Bundle", "type": "document",
            "identifier": {"system": f"{SYSTEM}/case-report", "value": f"{case.case_no}/v{case.version}"},
            "timestamp": _instant(now),
            "entry": [{"fullUrl": ids[name], "resource": resource} for name, resource in entries]}


def bundle_validate(bundle: dict) -> None:
    """``ValidationError`` naming each element that does not conform to the FHIR structure (R4B model)."""
    from fhir.resources.R4B.bundle import Bundle

    try:
        Bundle.model_validate(bundle)
    except ModelError as exc:
        raise ValidationError({"bundle": [f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
                                          for error in exc.errors()[:20]]}) from exc


def fhir_case_export(*, actor, destination: Destination, case: Case, request=None) -> OutboundMessage:
    """Queue a case's Bundle for a FHIR destination: needs ``interop.send_cases`` in the case's region, and
    ``person.export_clear`` there too when the destination is entitled to identifiers; the Bundle is validated
    first (a Bundle that does not conform is never queued). Idempotent: the same case version is one message."""
    if not can(actor, SEND_CASES, case.report_region_id):
        raise PermissionDenied(_("You may not send case reports out of the platform."))
    if destination.identifiers_entitled and not can(actor, Capability.PERSON_EXPORT_CLEAR, case.report_region_id):
        raise PermissionDenied(_("This destination receives identifiers in clear: you may not export them."))
    if destination.kind != Destination.Kind.FHIR:
        raise ValidationError({"destination": [_("This destination is not a FHIR server.")]})
    bundle = case_bundle(case, destination)
    bundle_validate(bundle)
    return message_enqueue(actor=actor, destination=destination, kind=OutboundMessage.Kind.FHIR_BUNDLE,
                           region=case.report_region_id, path="/", payload=bundle,
                           idempotency_key=f"case:{case.case_no}:v{case.version}:{payload_hash(bundle)[:12]}",
                           capability=SEND_CASES, request=request)


def case_report_send(*, actor, destination: int, case_no: str, request=None) -> OutboundMessage:
    """The user's action "send this case's report" (``inputs.CaseReportSendInput``, page and API): the case
    among those the actor may read by name (another region's number is answered like an unknown one), an
    active FHIR destination, then ``fhir_case_export``."""
    from fangkong.accounts.need_to_know import Category
    from fangkong.cases.selectors import case_list

    if not can(actor, SEND_CASES):
        raise PermissionDenied(_("You may not send case reports out of the platform."))
    case = case_list(user=actor, category=Category.NAMED).filter(case_no=case_no.strip()).first()
    if case is None:
        raise ValidationError({"case_no": [_("No case with this number in your regions.")]})
    found = Destination.objects.filter(pk=destination, kind=Destination.Kind.FHIR, active=True).first()
    if found is None:
        raise ValidationError({"destination": [_("No active FHIR destination with this number.")]})
    return fhir_case_export(actor=actor, destination=found, case=case, request=request)
