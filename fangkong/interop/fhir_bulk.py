"""Case reports by the thousand: FHIR case-report Bundles exported to, and imported from, NDJSON files.

FHIR's Bulk Data Access specification moves resources as NDJSON — one resource per line. A backfill of a
national system, or a hospital group's week of notifications, is such a file of case-report document Bundles
(the shape of ``fhir.case_bundle``; the mapping is the module README's table).

**Export** (``case_reports_export``): the case reports of a region's subtree and a period of report dates, for
a FHIR destination — identifiers only where the destination is entitled, and then only for a sender who may
export them in clear, with a reason. The same rights as sending one report (``fhir.fhir_case_export``), checked
once for the file; the rows are those the sender reads by name. One audit event for the file (destination,
region, period, number of reports, reason) before the first line is written; every Bundle validated
(``fhir_structure``: the library in full once per shape). The lines are produced one at a time (the
file is streamed to the caller, never kept on the server).

**Import** (``bundles_import``, the platform's import job of kind ``fhir_bundles``): every line read as the
Bundle endpoint reads one (``fhir_import``: structure, the same mapping, the same element paths), then all the
cases registered at once through the case import (``fangkong.cases.imports.cases_import``: the same checks as
the case form, persons found or registered by citizen ID, one transaction) — all or none. A refusal names the
line (the job's "row") and the element (its "column", a FHIRPath expression). Once: a Bundle imported before
(by the file or the endpoint: same identifier, same content) is skipped; another content under a used
identifier, or a case number registered otherwise, is refused. A file needs each Bundle's case number (the
case import numbers nothing it cannot give back), and the case's region of residence is the patient's address
(the case import's rule): a Bundle whose residence extension says otherwise is refused — send it alone to the
Bundle endpoint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import ValidationError as ModelError

from fangkong.accounts.access import can
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record, reason_clean
from fangkong.cases.imports import ImportOutcome, ImportRejected, cases_import
from fangkong.cases.models import Case, Disease
from fangkong.regions.codes import subtree_prefix

from .apps import SEND_CASES
from .fhir import bundle_check, case_bundle
from .fhir_import import _fields, _path, _Reader, bundle_digest
from .models import Destination, ImportedBundle
from .services import covers

KIND = "fhir_bundles"  # the import kind declared in apps.py
MEDIA_TYPE = "application/fhir+ndjson"
#: The largest file taken: 10,000 reports of ~4 KB are 40 MB.
MAX_FILE_BYTES = 200 * 1024 * 1024
LINES_MAX = 100_000
CHUNK = 2000  # cases read (and their laboratory results) at a time


@dataclass(frozen=True)
class Export:
    """A file of case reports about to be streamed: its lines (produced as they are read), count, name."""

    lines: Iterator[bytes]
    count: int
    filename: str


def case_reports_export(*, actor, destination: int, region: str, reported_from: dt.date, reported_to: dt.date,
                        reason: str = "", request=None) -> Export:
    """The user's action (``inputs.CaseReportsExportInput``, page and API): the case reports of ``region``'s
    subtree reported from ``reported_from`` to ``reported_to`` (inclusive), for the FHIR destination numbered
    ``destination`` (module docstring). ``PermissionDenied`` or ``ValidationError`` (by field) before anything
    is read or audited."""
    if not can(actor, SEND_CASES, region):
        raise PermissionDenied(_("You may not send case reports out of the platform."))
    errors: dict[str, list[str]] = {}
    # a destination switched off for the queue may still be the file's: on an isolated network a file is how
    # the reports travel
    destination = Destination.objects.filter(pk=destination, kind=Destination.Kind.FHIR).first()
    if destination is None:
        raise ValidationError({"destination": [_("No FHIR destination with this number.")]})
    if not any(covers(code, region) for code in destination.regions):
        errors["region"] = [_("This destination may not receive this region's data.")]
    if reported_to < reported_from:
        errors["reported_to"] = [_("The end of the period is before its start.")]
    if destination.identifiers_entitled:
        if not can(actor, Capability.PERSON_EXPORT_CLEAR, region):
            raise PermissionDenied(_("This destination receives identifiers in clear: you may not export them."))
        try:
            reason = reason_clean(reason)
        except ValidationError as exc:
            errors["reason"] = exc.messages
    if errors:
        raise ValidationError(errors)
    from fangkong.cases.selectors import case_list

    cases = (case_list(user=actor, category=Category.NAMED)
             .filter(report_region__code__startswith=subtree_prefix(region),
                     report_date__gte=reported_from, report_date__lte=reported_to)
             .select_related("person", "disease", "report_region").order_by("report_date", "id"))
    count = cases.count()
    audit_record(actor=actor, action=AuditEvent.Action.EXPORT, object_type="cases.case", region_code=region,
                 request=request, reason=reason if destination.identifiers_entitled else "",
                 detail={"format": MEDIA_TYPE, "destination": destination.pk, "region": region,
                         "from": reported_from.isoformat(), "to": reported_to.isoformat(), "reports": count,
                         "clear": destination.identifiers_entitled})

    def lines() -> Iterator[bytes]:
        check = bundle_check()
        chunk: list[Case] = []
        for case in cases.iterator(chunk_size=CHUNK):
            chunk.append(case)
            if len(chunk) == CHUNK:
                yield from _lines(chunk, destination, check)
                chunk = []
        yield from _lines(chunk, destination, check)

    name = f"case-reports-{region}-{reported_from:%Y%m%d}-{reported_to:%Y%m%d}.ndjson"
    return Export(lines=lines(), count=count, filename=name)


def _lines(cases: list[Case], destination: Destination, check) -> Iterator[bytes]:
    """The Bundles of ``cases`` as NDJSON lines, their persons' laboratory results read at once."""
    from fangkong.laboratory.selectors import person_results

    specimens = person_results({case.person_id for case in cases}) if cases else {}
    for case in cases:
        bundle = case_bundle(case, destination, specimens=specimens.get(case.person_id, []))
        check.validate(bundle)
        yield json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def allowed(actor) -> None:
    """The import job's gate, before the upload is read: the role registers cases somewhere."""
    if not can(actor, Capability.CASE_WRITE):
        raise PermissionDenied(_("Your role may not register cases."))


def run(*, actor, data: bytes, name: str, source: str, progress=None) -> ImportOutcome:
    """The import job's run (``ImportKind``): ``bundles_import``."""
    return bundles_import(actor=actor, data=data, source=source, progress=progress)


@dataclass
class _Line:
    number: int
    identifier: str
    digest: str
    person: dict
    case: dict
    elements: dict[str, str]
    results: list[dict]  # laboratory results (``fhir_import._observations``) and their elements
    result_elements: dict[str, str]


def _row(line: _Line) -> dict[str, str]:
    """A Bundle's person and case as a row of the case import (``CASE_COLUMNS``), in its texts."""
    def text(value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        return str(value)

    person, case = line.person, line.case
    row = {name: text(person.get(name)) for name in ("name", "citizen_id", "sex", "birth_date", "address_region")}
    row["phone"] = ""
    row.update({name: text(case.get(name)) for name in (
        "case_no", "classification", "onset_date", "sampling_date", "diagnosed_at", "reported_at",
        "detection_route", "imported", "origin", "severity", "outcome", "report_region", "first_visit_at",
        "isolated_at", "treatment_at")})
    row["disease"] = case["disease"].code if case.get("disease") else ""
    row["infector_case_no"] = ""
    return row


def _read(data: bytes, errors: list[dict]) -> list[_Line]:
    """Every non-empty line as a Bundle mapped to the services' fields; the refusals into ``errors``."""
    check = bundle_check()
    diseases = {d.code: d for d in Disease.objects.all()}
    read: list[_Line] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue

        def refuse(element: str, message: str, number=number) -> None:
            errors.append({"row": number, "column": element, "message": message})

        try:
            bundle = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            refuse("Bundle", _("The line is not JSON."))
            continue
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            refuse("Bundle", _("The line is not a FHIR Bundle resource."))
            continue
        try:
            check.validate(bundle)
        except ModelError as exc:
            for error in exc.errors()[:20]:
                refuse(_path(error["loc"]), error["msg"])
            continue
        reader = _Reader(bundle)
        person, case, elements, identifier = _fields(reader, diseases=diseases)
        for issue in reader.issues:
            refuse(issue.expression, issue.diagnostics)
        if reader.issues:
            continue
        if not case.get("case_no"):
            refuse(elements["case_no"], _("A Bundle in a file needs its case number."))
            continue
        residence = case.pop("residence_region", None)
        if residence and residence != person.get("address_region"):
            refuse(elements["residence_region"], _("In a file, the case's region of residence is the patient's "
                                                   "address; send this Bundle alone to the Bundle endpoint."))
            continue
        read.append(_Line(number, identifier, bundle_digest(bundle), person, case, elements, reader.results,
                          reader.result_elements))
    return read


def _once(read: list[_Line], errors: list[dict]) -> tuple[list[_Line], int]:
    """The lines to register: a Bundle imported before (same identifier and content), or twice in the file,
    is skipped; another content under a used identifier, or a case number registered otherwise, refused."""
    taken = dict(ImportedBundle.objects.filter(identifier__in=[line.identifier for line in read])
                 .values_list("identifier", "payload_hash"))
    numbers = set(Case.objects.filter(case_no__in=[line.case["case_no"] for line in read])
                  .values_list("case_no", flat=True))
    fresh, skipped, seen = [], 0, {}
    for line in read:
        before = taken.get(line.identifier, seen.get(line.identifier))
        if before == line.digest:
            skipped += 1
            continue
        if before is not None:
            errors.append({"row": line.number, "column": "Bundle.identifier",
                           "message": _("Another Bundle with this identifier was imported before.")})
        elif line.case["case_no"] in numbers:
            errors.append({"row": line.number, "column": line.elements["case_no"],
                           "message": _("A case with this number is registered already; a Bundle does not "
                                        "update a case.")})
        else:
            seen[line.identifier] = line.digest
            numbers.add(line.case["case_no"])
            fresh.append(line)
    return fresh, skipped


def _results_record(actor, lines: list[_Line], cases: dict[str, int], request) -> None:
    """The laboratory results of the lines that carry some, each line's for its case's person; a refusal
    names the line and the element."""
    from fangkong.laboratory.reported import reported_results_record
    from fangkong.persons.models import Person

    persons = {case.case_no: case.person for case in Case.objects.filter(
        id__in=[cases[line.case["case_no"]] for line in lines]).select_related("person")}
    errors = []
    for line in lines:
        person: Person = persons[line.case["case_no"]]
        try:
            reported_results_record(actor=actor, person=person, results=line.results, source=MEDIA_TYPE,
                                    request=request)
        except ValidationError as exc:
            errors.extend({"row": line.number, "column": line.result_elements.get(key, "Bundle"), "message": m}
                          for key, messages in exc.message_dict.items() for m in messages)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e["row"], e["column"])))


def bundles_import(*, actor, data: bytes, source: str = "", request=None, progress=None) -> ImportOutcome:
    """Register the case reports of an NDJSON file of Bundles, all or none (module docstring); ``ImportRejected``
    with every refused line and element."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRejected([{"row": 0, "column": "Bundle", "message": _("The file is larger than %(limit)s "
                                                                           "bytes.") % {"limit": MAX_FILE_BYTES}}])
    if data.count(b"\n") > LINES_MAX:
        raise ImportRejected([{"row": LINES_MAX + 1, "column": "Bundle",
                               "message": _("At most %(count)s Bundles in a file.") % {"count": LINES_MAX}}])
    errors: list[dict] = []
    fresh, skipped = _once(_read(data, errors), errors)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e["row"], e["column"])))
    if not fresh:
        return ImportOutcome(created=0, existing=skipped, persons_created=0)
    with transaction.atomic():
        try:
            outcome = cases_import(actor=actor, rows=[_row(line) for line in fresh], source=source,
                                   request=request, progress=progress)
        except ImportRejected as rejected:  # the case import's rows are the file's lines, its columns elements
            raise ImportRejected([{"row": fresh[e["row"] - 2].number,
                                   "column": fresh[e["row"] - 2].elements.get(e["column"], "Bundle"),
                                   "message": e["message"]} for e in rejected.errors]) from None
        cases = dict(Case.objects.filter(case_no__in=[line.case["case_no"] for line in fresh])
                     .values_list("case_no", "id"))
        regions = dict(Case.objects.filter(id__in=cases.values()).values_list("id", "report_region"))
        _results_record(actor, [line for line in fresh if line.results], cases, request)
        ImportedBundle.objects.bulk_create(
            [ImportedBundle(identifier=line.identifier, payload_hash=line.digest, case_id=cases[line.case["case_no"]],
                            region_id=regions[cases[line.case["case_no"]]], imported_by=actor)
             for line in fresh], batch_size=2000)
        audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="cases.case", object_id=source[:64],
                     request=request, detail={"format": MEDIA_TYPE, "bundles": len(fresh), "skipped": skipped,
                                              "sha256": hashlib.sha256(data).hexdigest()})
    return ImportOutcome(created=outcome.created, existing=skipped + outcome.existing,
                         persons_created=outcome.persons_created)

