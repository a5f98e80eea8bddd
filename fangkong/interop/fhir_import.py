"""HL7 FHIR R4 import of one case-report document Bundle — the shape ``fhir.case_bundle`` writes (and the
module README maps field by field) — into a person and a case, through the persons and cases services.

**All or nothing.** The Bundle is read within ``MAX_BUNDLE_BYTES`` (the length is checked before a byte is
read), parsed as JSON, validated against the FHIR structure (``fhir.resources``, R4B model: see ``fhir``), then
its Patient, Condition, Composition, reporting Organization and (when present) Encounter are mapped to the
services' fields and registered in one transaction. Any refusal — of the structure or of a service — is an
``OperationOutcome`` whose issues name the element (a FHIRPath expression such as
``Bundle.entry[1].resource.identifier[0].value``), and nothing is stored.

**Once.** The Bundle's identifier (``system|value``) is kept with the SHA-256 of the bytes received
(``ImportedBundle``): the same Bundle sent again registers nothing and answers with the case it registered;
another Bundle under an identifier already taken is refused. A case number already registered is refused too
(a Bundle does not update a case).

**Identifiers.** The citizen ID is read from a Patient identifier of ``<system>/citizen-id`` only (what an
entitled destination receives); a pseudonymous Bundle has no name and is refused: the platform registers named
persons. The person is registered (or found, by citizen ID) in the region of ``Patient.address.district`` and
the case reported by the region of the Organization that authored the Composition, each within the caller's
scope and rights — the services decide, as for a page or an import file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import ValidationError as ModelError

from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.cases.models import Case, Classification, Disease
from fangkong.cases.services import case_register
from fangkong.persons.services import PersonElsewhereError, person_register

from .fhir import CASE_EXTENSIONS, EXTENSION, NAAT, SNOMED, SYSTEM, VERDICT, bundle_check
from .models import ImportedBundle

#: The largest Bundle taken (bytes): a case report is a few kilobytes; the platform's request limit is higher.
MAX_BUNDLE_BYTES = 2 * 1024 * 1024
SEX = {"male": "M", "female": "F"}
#: The Condition's extensions (``fhir.CASE_EXTENSIONS``) → the case's fields of ``cases.services.build_case``.
EXTENDED_FIELDS = {"detection-route": "detection_route", "imported": "imported", "origin": "origin",
                   "outcome": "outcome", "sampling-date": "sampling_date", "first-visit": "first_visit_at",
                   "isolated": "isolated_at", "residence-region": "residence_region"}
CLASSIFICATION_BY_VERIFICATION = {"confirmed": Classification.CONFIRMED, "provisional": Classification.SUSPECTED,
                                  "refuted": Classification.EXCLUDED}


@dataclass(frozen=True)
class Issue:
    """One issue of an OperationOutcome: FHIR's issue type (``invalid``, ``structure``, ``required``, ``value``,
    ``code-invalid``, ``too-long``, ``duplicate``, ``forbidden``), the message, the element (FHIRPath)."""

    code: str
    diagnostics: str
    expression: str = "Bundle"


class BundleRefused(Exception):
    """A Bundle not taken: its issues, and the HTTP status to answer with."""

    def __init__(self, issues: list[Issue], status: int = 400):
        super().__init__("; ".join(f"{i.expression}: {i.diagnostics}" for i in issues))
        self.issues, self.status = issues, status


@dataclass(frozen=True)
class Imported:
    case: Case
    created: bool  # False: this Bundle was imported before, nothing registered now


def operation_outcome(issues: list[Issue], severity: str = "error") -> dict:
    """The FHIR ``OperationOutcome`` of ``issues``."""
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": i.code, "diagnostics": i.diagnostics,
                       "expression": [i.expression]} for i in issues]}


def bundle_read(body: bytes, declared_length: int | None = None) -> dict:
    """The Bundle of a request body: within ``MAX_BUNDLE_BYTES`` (``declared_length``, the request's
    Content-Length, is checked before the body is read), JSON, a ``Bundle`` resource valid for the FHIR
    structure. ``BundleRefused`` otherwise."""
    too_long = BundleRefused([Issue("too-long", _("The Bundle is larger than %(limit)s bytes.")
                                    % {"limit": MAX_BUNDLE_BYTES})], status=413)
    if declared_length is not None and declared_length > MAX_BUNDLE_BYTES:
        raise too_long
    if len(body) > MAX_BUNDLE_BYTES:
        raise too_long
    try:
        bundle = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BundleRefused([Issue("structure", _("The body is not JSON."))]) from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BundleRefused([Issue("structure", _("The body is not a FHIR Bundle resource."))])
    try:
        bundle_check().validate(bundle)
    except ModelError as exc:
        raise BundleRefused([Issue("structure", error["msg"], _path(error["loc"]))
                             for error in exc.errors()[:20]]) from None
    return bundle


def _path(location) -> str:
    """A pydantic error location as a FHIRPath expression: ``('entry', 0, 'resource')`` → ``Bundle.entry[0].resource``."""
    path = "Bundle"
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class _Reader:
    """The Bundle's resources by type, with their FHIRPath prefixes, and the issues found while reading them."""

    def __init__(self, bundle: dict):
        self.bundle, self.issues = bundle, []
        self.results: list[dict] = []  # the laboratory results (``_observations``)
        self.result_elements: dict[str, str] = {}
        self.by_url, self.first = {}, {}
        for n, entry in enumerate(bundle.get("entry") or []):
            resource = entry.get("resource") or {}
            where = f"Bundle.entry[{n}].resource"
            if entry.get("fullUrl"):
                self.by_url[entry["fullUrl"]] = (resource, where)
            self.first.setdefault(resource.get("resourceType"), (resource, where))

    def need(self, kind: str) -> tuple[dict, str] | tuple[None, str]:
        if kind not in self.first:
            self.issues.append(Issue("required", _("The Bundle has no %(kind)s.") % {"kind": kind}, "Bundle.entry"))
            return None, "Bundle.entry"
        return self.first[kind]

    def refer(self, reference: dict | None, kind: str, where: str) -> tuple[dict | None, str]:
        found = self.by_url.get((reference or {}).get("reference", ""))
        if found is None or found[0].get("resourceType") != kind:
            return self.need(kind)
        return found

    def moment(self, text, where: str, *, required: bool = True) -> dt.datetime | None:
        if not text:
            if required:
                self.issues.append(Issue("required", _("This date and time is required."), where))
            return None
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            value = None
        if value is None or "T" not in text or value.tzinfo is None:
            self.issues.append(Issue("value", _("A full date and time with its time zone is needed here."), where))
            return None
        return value

    def day(self, text, where: str) -> dt.date | None:
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else dt.date.fromisoformat(text)
        except ValueError:
            self.issues.append(Issue("value", _("A full date (year, month and day) is needed here."), where))
            return None

    def extensions(self, resource: dict, where: str) -> dict[str, tuple[object, str]]:
        """The values of fangkong's Condition extensions (``fhir.CASE_EXTENSIONS``) by name, each with its
        element; a coded value of another system is an issue, an unknown extension is ignored (FHIR's rule for
        extensions a receiver does not know)."""
        found = {}
        for n, extension in enumerate(resource.get("extension") or []):
            url = extension.get("url", "")
            name = url[len(EXTENSION) + 1:] if url.startswith(f"{EXTENSION}/") else ""
            if name not in CASE_EXTENSIONS:
                continue
            kind, system = CASE_EXTENSIONS[name]
            element = f"{where}.extension[{n}].{kind}"
            if kind not in extension:
                self.issues.append(Issue("structure", _("This extension needs a value of type %(kind)s.")
                                         % {"kind": kind[len("value"):]}, f"{where}.extension[{n}]"))
                continue
            value = extension[kind]
            if kind == "valueCoding":
                if value.get("system") != system:
                    self.issues.append(Issue("code-invalid", _("A code of %(system)s is needed here.")
                                             % {"system": system}, f"{element}.system"))
                    continue
                value, element = value.get("code", ""), f"{element}.code"
            found[name] = (value, element)
        return found

    def coded(self, concept: dict | None, system: str, where: str) -> tuple[str, str]:
        """The code of ``system`` in a CodeableConcept and its element ('' when there is none)."""
        for n, coding in enumerate((concept or {}).get("coding") or []):
            if coding.get("system") == system and coding.get("code"):
                return coding["code"], f"{where}.coding[{n}].code"
        return "", where


def _fields(reader: _Reader, diseases: dict[str, Disease] | None = None) -> tuple[dict, dict, dict[str, str], str]:
    """The person's and the case's fields of the services, the element of each field, the Bundle's identifier
    (``diseases``: the diseases by code, read once for a file of Bundles)."""
    composition, c_where = reader.need("Composition")
    condition, k_where = reader.need("Condition")
    patient, p_where = reader.refer((condition or {}).get("subject"), "Patient", "")
    author = ((composition or {}).get("author") or [{}])[0]
    organization, o_where = reader.refer(author, "Organization", "")
    identifier = reader.bundle.get("identifier") or {}
    if not identifier.get("system") or not identifier.get("value"):
        reader.issues.append(Issue("required", _("The Bundle needs an identifier (system and value): it is how "
                                                 "a Bundle sent again is recognised."), "Bundle.identifier"))
    elements: dict[str, str] = {}
    person: dict = {}
    case: dict = {}
    if patient is not None:
        names = patient.get("name") or []
        first = names[0] if names else {}  # a HumanName: its text, or the family name then the given names
        name = (first.get("text") or f"{first.get('family') or ''}{''.join(first.get('given') or [])}").strip()
        elements["name"] = f"{p_where}.name[0]" if names else f"{p_where}.name"
        if not name:
            reader.issues.append(Issue("required", _("The patient has no name: the platform registers named "
                                                     "persons (a pseudonymous report cannot be imported)."),
                                       elements["name"]))
        citizen_id = ""
        elements["citizen_id"] = f"{p_where}.identifier"
        for n, ident in enumerate(patient.get("identifier") or []):
            if ident.get("system") == f"{SYSTEM}/citizen-id":
                citizen_id, elements["citizen_id"] = ident.get("value", ""), f"{p_where}.identifier[{n}].value"
        addresses = patient.get("address") or []
        elements["address_region"] = f"{p_where}.address[0].district" if addresses else f"{p_where}.address"
        person = {"name": name, "citizen_id": citizen_id, "sex": SEX.get(patient.get("gender"), "U"),
                  "birth_date": reader.day(patient.get("birthDate"), f"{p_where}.birthDate"),
                  "address_region": (addresses[0].get("district") or "") if addresses else ""}
        elements.update(sex=f"{p_where}.gender", birth_date=f"{p_where}.birthDate")
    if condition is not None:
        disease, elements["disease"] = reader.coded(condition.get("code"), f"{SYSTEM}/disease", f"{k_where}.code")
        classification, elements["classification"] = reader.coded(
            (condition.get("category") or [{}])[0], f"{SYSTEM}/case-classification", f"{k_where}.category[0]")
        if not classification:
            verification, elements["classification"] = reader.coded(
                condition.get("verificationStatus"), "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                f"{k_where}.verificationStatus")
            classification = CLASSIFICATION_BY_VERIFICATION.get(verification, "")
        numbers = [(n, i.get("value", "")) for n, i in enumerate(condition.get("identifier") or [])
                   if i.get("system") == f"{SYSTEM}/case-number"]
        elements["case_no"] = f"{k_where}.identifier[{numbers[0][0]}].value" if numbers else f"{k_where}.identifier"
        elements.update(diagnosed_at=f"{k_where}.recordedDate", onset_date=f"{k_where}.onsetDateTime",
                        reported_at=f"{c_where}.date")
        severity, elements["severity"] = reader.coded(condition.get("severity"), f"{SYSTEM}/severity",
                                                      f"{k_where}.severity")
        extended = reader.extensions(condition, k_where)
        elements.update({field: extended[name][1] if name in extended else f"{k_where}.extension"
                         for name, field in EXTENDED_FIELDS.items()})
        found = (diseases.get(disease) if diseases is not None
                 else Disease.objects.filter(code=disease).first()) if disease else None
        if found is None:
            reader.issues.append(Issue("code-invalid", _("Unknown disease code."), elements["disease"]))
        case = {"disease": found, "classification": classification,
                "case_no": numbers[0][1] if numbers else "",
                "diagnosed_at": reader.moment(condition.get("recordedDate"), elements["diagnosed_at"]),
                "onset_date": reader.day(condition.get("onsetDateTime"), elements["onset_date"]),
                "reported_at": reader.moment((composition or {}).get("date"), elements["reported_at"])}
        if severity:
            case["severity"] = severity
        for name, field in EXTENDED_FIELDS.items():
            if name not in extended:
                continue
            value, element = extended[name]
            if name in ("first-visit", "isolated"):
                value = reader.moment(value, element)
            elif name == "sampling-date":
                value = reader.day(value, element)
            case[field] = value
    if organization is not None:
        regions = [(n, i.get("value", "")) for n, i in enumerate(organization.get("identifier") or [])
                   if i.get("system") == f"{SYSTEM}/region"]
        elements["report_region"] = (f"{o_where}.identifier[{regions[0][0]}].value" if regions
                                     else f"{o_where}.identifier")
        case["report_region"] = regions[0][1] if regions else ""
    encounter = reader.first.get("Encounter")
    if encounter is not None:
        elements["treatment_at"] = f"{encounter[1]}.period.start"
        case["treatment_at"] = reader.moment((encounter[0].get("period") or {}).get("start"),
                                             elements["treatment_at"], required=False)
    _observations(reader)
    return person, case, elements, f"{identifier.get('system', '')}|{identifier.get('value', '')}"


OUTCOME_BY_SNOMED = {code: outcome for outcome, (code, _display) in VERDICT.items()}


def _observations(reader: _Reader) -> None:
    """The laboratory results of the Bundle (its Observations of the test ``fhir.NAAT``; others are not read)
    into ``reader.results`` — the fields of ``laboratory.reported.reported_results_record`` — with the element
    of each field in ``reader.result_elements`` (``"<n>.<field>"``)."""
    reader.results, reader.result_elements = [], {}
    for n, entry in enumerate(reader.bundle.get("entry") or []):
        observation, where = entry.get("resource") or {}, f"Bundle.entry[{n}].resource"
        if observation.get("resourceType") != "Observation" or NAAT["code"] not in [
                c.get("code") for c in (observation.get("code") or {}).get("coding") or []
                if c.get("system") == NAAT["system"]]:
            continue
        index = len(reader.results)
        elements = {"laboratory": f"{where}.performer", "code": f"{where}.specimen", "kind": f"{where}.specimen",
                    "sampled_at": f"{where}.effectiveDateTime", "received_at": f"{where}.specimen",
                    "resulted_at": f"{where}.issued", "outcome": f"{where}.valueCodeableConcept",
                    "ct_values": f"{where}.component"}
        laboratory, l_where = reader.refer((observation.get("performer") or [{}])[0], "Organization", "")
        specimen, s_where = reader.refer(observation.get("specimen"), "Specimen", "")
        outcome, elements["outcome"] = reader.coded(observation.get("valueCodeableConcept"), SNOMED,
                                                    elements["outcome"])
        result = {"laboratory": (laboratory or {}).get("name", ""), "outcome": OUTCOME_BY_SNOMED.get(outcome, outcome),
                  "sampled_at": reader.moment(observation.get("effectiveDateTime"), elements["sampled_at"]),
                  "resulted_at": observation.get("issued", "")}
        if laboratory is not None:
            elements["laboratory"] = f"{l_where}.name"
        if specimen is not None:
            identifiers = specimen.get("identifier") or [{}]
            kind, elements["kind"] = reader.coded(specimen.get("type"), f"{SYSTEM}/specimen-type", f"{s_where}.type")
            elements.update(code=f"{s_where}.identifier[0].value", received_at=f"{s_where}.receivedTime")
            result.update(code=identifiers[0].get("value", ""), kind=kind,
                          received_at=specimen.get("receivedTime", ""))
        cts = []
        for c, component in enumerate(observation.get("component") or []):
            gene, _element = reader.coded(component.get("code"), f"{SYSTEM}/gene-target", f"{where}.component[{c}]")
            value = (component.get("valueQuantity") or {}).get("value")
            if gene and value is not None:
                cts.append(f"{gene}:{value}")
        result["ct_values"] = ";".join(cts)
        reader.results.append(result)
        reader.result_elements.update({f"{index}.{field}": element for field, element in elements.items()})


def bundle_digest(bundle: dict) -> str:
    """The SHA-256 of a Bundle's content, whatever its layout (keys sorted, no spaces): the same Bundle sent to
    the endpoint and in a file is recognised as the same."""
    return hashlib.sha256(json.dumps(bundle, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


def _refused(exc: ValidationError, elements: dict[str, str]) -> BundleRefused:
    issues = []
    for field, messages in exc.message_dict.items():
        for message in messages:
            issues.append(Issue("invalid", message, elements.get(field, "Bundle")))
    return BundleRefused(issues)


def results_record(actor, person, reader: _Reader, request=None) -> None:
    """The Bundle's laboratory results recorded for ``person`` (``laboratory.reported``); a refusal is a
    ``BundleRefused`` naming each element."""
    from fangkong.laboratory.reported import reported_results_record

    try:
        reported_results_record(actor=actor, person=person, results=reader.results, source="fhir-bundle",
                                request=request)
    except ValidationError as exc:
        raise BundleRefused([Issue("invalid", message, reader.result_elements.get(key, "Bundle"))
                             for key, messages in exc.message_dict.items() for message in messages]) from None


def fhir_case_import(*, actor, body: bytes, declared_length: int | None = None, request=None) -> Imported:
    """Register the person and the case of a case-report Bundle (module docstring): ``Imported``, or
    ``BundleRefused`` with the issues (nothing stored), or ``PermissionDenied`` for a caller who may not
    register them."""
    bundle = bundle_read(body, declared_length)
    digest = bundle_digest(bundle)
    reader = _Reader(bundle)
    person, case, elements, identifier = _fields(reader)
    if reader.issues:
        raise BundleRefused(reader.issues)
    taken = ImportedBundle.objects.select_related("case").filter(identifier=identifier).first()
    if taken is not None:
        if taken.payload_hash == digest:
            return Imported(case=taken.case, created=False)
        raise BundleRefused([Issue("duplicate", _("Another Bundle with this identifier was imported on %(day)s.")
                                   % {"day": taken.imported_at.date().isoformat()}, "Bundle.identifier")],
                            status=409)
    if case["case_no"] and Case.objects.filter(case_no=case["case_no"]).exists():
        raise BundleRefused([Issue("duplicate", _("A case with this number is registered already; a Bundle does "
                                                  "not update a case."), elements["case_no"])], status=409)
    try:
        with transaction.atomic():
            registered = person_register(actor=actor, request=request, **person).person
            made = case_register(actor=actor, request=request, person=registered, **case)
            results_record(actor, registered, reader, request)
            ImportedBundle.objects.create(identifier=identifier, payload_hash=digest, case=made,
                                          region_id=made.report_region_id, imported_by=actor)
            audit_record(actor=actor, action=AuditEvent.Action.IMPORT, obj=made, region_code=made.report_region_id,
                         request=request, detail={"format": "fhir-bundle", "bundle": identifier[:200],
                                                  "sha256": digest})
    except ValidationError as exc:
        raise _refused(exc, elements) from None
    except PersonElsewhereError as exc:
        raise BundleRefused([Issue("forbidden", str(exc), elements["citizen_id"])], status=403) from None
    return Imported(case=made, created=True)

