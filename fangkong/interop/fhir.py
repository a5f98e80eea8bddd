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

**Laboratory results.** The person's single specimens with a result (``laboratory.selectors.person_results``)
go as a Specimen, an Observation (LOINC 94500-6, the verdict as SNOMED CT, one component per gene target with
its Ct value) and the performing laboratory as an Organization; pools are not sent (a pool is not the person's
result).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pydantic import ValidationError as ModelError

from fangkong.accounts.access import can
from fangkong.accounts.roles import Capability
from fangkong.cases.models import Case, Classification, DetectionRoute, Outcome, Severity
from fangkong.persons import protection
from fangkong.persons.services import CITIZEN_ID

from .apps import SEND_CASES
from .fhir_structure import StructureCheck
from .models import Destination, OutboundMessage
from .services import message_enqueue, payload_hash

SYSTEM = "https://fangkong.example.org/fhir"  # the namespace of fangkong's own code systems and identifiers
CASE_REPORT = {"system": "http://loinc.org", "code": "55751-2", "display": "Public health Case report"}
VERIFICATION = {Classification.CONFIRMED: "confirmed", Classification.ASYMPTOMATIC: "confirmed",
                Classification.SUSPECTED: "provisional", Classification.EXCLUDED: "refuted"}
GENDER = {"M": "male", "F": "female"}
NAMESPACE = uuid.UUID("0b7d3f7e-7d8e-4a4e-9a51-6b1f3c2a9d24")
EXTENSION = f"{SYSTEM}/StructureDefinition"
#: The test of the laboratory module (核酸检测), as LOINC names it; its verdicts as SNOMED CT codes; Ct values in
#: UCUM's arbitrary unit.
NAAT = {"system": "http://loinc.org", "code": "94500-6",
        "display": "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory specimen by NAA with probe detection"}
SNOMED = "http://snomed.info/sct"
VERDICT = {"positive": ("10828004", "Positive"), "negative": ("260385009", "Negative"),
           "inconclusive": ("419984006", "Inconclusive")}
CT_UNIT = {"unit": "Ct", "system": "http://unitsofmeasure.org", "code": "{Ct}"}
#: The case's fields FHIR's Condition has no element for, carried as extensions of the Condition (the way
#: DEMIS and eICR carry theirs): name → (value type, the code system of a coded value).
CASE_EXTENSIONS = {"detection-route": ("valueCoding", f"{SYSTEM}/detection-route"),
                   "imported": ("valueBoolean", ""), "origin": ("valueString", ""),
                   "outcome": ("valueCoding", f"{SYSTEM}/case-outcome"),
                   "sampling-date": ("valueDate", ""), "first-visit": ("valueDateTime", ""),
                   "isolated": ("valueDateTime", ""), "residence-region": ("valueCoding", f"{SYSTEM}/region")}


def _uuid(*parts) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, ':'.join(str(p) for p in parts))}"


def _instant(value: dt.datetime) -> str:
    """In the platform's time zone (``TIME_ZONE``), whatever zone the sender's request activated: the same
    case version is the same Bundle."""
    return value.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")


def pseudonym(destination: Destination, person_id: int) -> str:
    """The patient's identifier for a destination not entitled to identifiers: stable for that destination,
    unlinkable across destinations, not reversible without the PII key."""
    return protection.keyed_hash(f"{destination.pk}:{person_id}", "interop.pseudonym")[:32]


@functools.cache
def _display(choices, code: str) -> str:
    """A code's display, in English whatever the sender's language: the same case version is the same Bundle."""
    with translation.override("en"):
        return str(choices(code).label)


def _case_extensions(case: Case) -> list[dict]:
    """The Condition's extensions of ``case`` (``CASE_EXTENSIONS``), only those with a value."""
    values = {"detection-route": (case.detection_route, DetectionRoute), "imported": case.imported,
              "origin": case.origin, "outcome": (case.outcome, Outcome),
              "sampling-date": case.sampling_date.isoformat() if case.sampling_date else None,
              "first-visit": _instant(case.first_visit_at) if case.first_visit_at else None,
              "isolated": _instant(case.isolated_at) if case.isolated_at else None,
              "residence-region": (case.residence_region_id, None)}
    extensions = []
    for name, (kind, system) in CASE_EXTENSIONS.items():
        value = values[name]
        if value is None or value == "":
            continue
        if kind == "valueCoding":
            code, choices = value
            value = {"system": system, "code": code}
            if choices is not None:
                value["display"] = _display(choices, code)
        extensions.append({"url": f"{EXTENSION}/{name}", kind: value})
    return extensions


def _laboratory_entries(specimens, ids: dict, case: Case) -> list[tuple[str, dict]]:
    """The results of the person's single specimens: per specimen a Specimen, an Observation (verdict, one
    component per gene target with its Ct value) and the performing laboratory as an Organization (once)."""
    from fangkong.laboratory.models import Specimen

    entries, laboratories = [], {}
    for specimen in specimens:
        result, laboratory = specimen.result, specimen.laboratory
        key = f"laboratory-{laboratory.pk}"
        if key not in laboratories:
            ids[key] = laboratories[key] = _uuid(case.case_no, case.version, key)
            entries.append((key, {"resourceType": "Organization",
                                  "identifier": [{"system": f"{SYSTEM}/laboratory", "value": laboratory.name}],
                                  "name": laboratory.name}))
        for name in ("specimen", "observation"):
            ids[f"{name}-{specimen.pk}"] = _uuid(case.case_no, case.version, name, specimen.code, laboratory.pk)
        entries.append((f"specimen-{specimen.pk}", {
            "resourceType": "Specimen",
            "identifier": [{"system": f"{SYSTEM}/laboratory/specimen", "value": specimen.code}],
            "type": {"coding": [{"system": f"{SYSTEM}/specimen-type", "code": specimen.kind,
                                 "display": _display(Specimen.Kind, specimen.kind)}]},
            "subject": {"reference": ids["patient"]}, "receivedTime": _instant(result.received_at),
            "collection": {"collectedDateTime": _instant(specimen.sampled_at)}}))
        code, display = VERDICT[result.outcome]
        observation = {
            "resourceType": "Observation", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [NAAT]}, "subject": {"reference": ids["patient"]},
            "effectiveDateTime": _instant(specimen.sampled_at), "issued": _instant(result.resulted_at),
            "performer": [{"reference": laboratories[key]}],
            "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
            "specimen": {"reference": ids[f"specimen-{specimen.pk}"]}}
        if result.ct_values:
            observation["component"] = [
                {"code": {"coding": [{"system": f"{SYSTEM}/gene-target", "code": gene}]},
                 "valueQuantity": {"value": float(value), **CT_UNIT}}
                for gene, value in sorted(result.ct_values.items())]
        entries.append((f"observation-{specimen.pk}", observation))
    return entries


def case_bundle(case: Case, destination: Destination, *, now: dt.datetime | None = None,
                specimens: list | None = None) -> dict:
    """The document Bundle of ``case`` for ``destination`` (module docstring); the same case version gives
    the same Bundle (its time stamp is the case's last change), so that it is queued once. ``specimens``: the
    person's resulted specimens (``laboratory.selectors.person_results``), read here when not given."""
    now = now or case.updated_at
    if specimens is None:
        from fangkong.laboratory.selectors import person_results

        specimens = person_results([case.person_id]).get(case.person_id, [])
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
        "extension": _case_extensions(case),
        "identifier": [{"system": f"{SYSTEM}/case-number", "value": case.case_no}],
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "inactive" if case.classification == Classification.EXCLUDED
                                       else "active"}]},
        "verificationStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "code": VERIFICATION[case.classification]}]},
        "category": [{"coding": [{"system": f"{SYSTEM}/case-classification", "code": case.classification,
                                  "display": _display(Classification, case.classification)}]}],
        "code": {"coding": [{"system": f"{SYSTEM}/disease", "code": case.disease.code,
                             "display": case.disease.name_en}], "text": case.disease.name_zh},
        "severity": {"coding": [{"system": f"{SYSTEM}/severity", "code": case.severity,
                                 "display": _display(Severity, case.severity)}]},
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
    laboratory = _laboratory_entries(specimens, ids, case)
    entries.extend(laboratory)
    if laboratory:
        sections.append({"title": "Laboratory results",
                         "entry": [{"reference": ids[key]} for key, _r in laboratory if key.startswith("observation")]})
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


@functools.cache
def bundle_check():
    """The structure check of Bundles (``fhir_structure``; the R4B model), one per process: it keeps the
    shapes it has validated in full."""
    from fhir.resources.R4B.bundle import Bundle

    return StructureCheck(Bundle)


def bundle_validate(bundle: dict) -> None:
    """``ValidationError`` naming each element that does not conform to the FHIR structure (R4B model)."""
    try:
        bundle_check().validate(bundle)
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
