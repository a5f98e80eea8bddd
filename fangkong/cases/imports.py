"""CSV/XLSX import of cases and contacts: every row validated, all or nothing, idempotent, audited.

- Each row names its person by citizen ID (required, so that a re-import finds the same person); new
  persons are registered through ``persons_import``.
- Errors come back as a list of ``{"row", "column", "message"}`` (rows numbered as in the file, the
  header being row 1) and nothing is saved when any row fails (``ImportRejected``).
- A row whose case or contact number is already registered is skipped, so importing the same file twice
  creates no duplicate.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.cases.models import Case, ClassificationChange, Contact, Disease
from fangkong.cases.services import build_case, build_contact
from fangkong.persons import protection
from fangkong.persons.citizen_id import CitizenIdError, parse_citizen_id
from fangkong.persons.models import Person
from fangkong.persons.services import CITIZEN_ID, persons_import
from fangkong.protocols.models import ProtocolVersion
from fangkong.regions.models import Region

PERSON_COLUMNS = ["name", "citizen_id", "phone", "sex", "birth_date", "address_region"]
CASE_COLUMNS = ["case_no", *PERSON_COLUMNS, "disease", "classification", "onset_date", "sampling_date",
                "diagnosed_at", "reported_at", "detection_route", "imported", "origin", "severity", "outcome",
                "report_region", "infector_case_no"]
CONTACT_COLUMNS = ["contact_no", *PERSON_COLUMNS, "category", "source_case_no", "region", "exposure_type",
                   "exposure_start", "exposure_end", "listed_at", "quarantined_at", "quarantine_place"]
COLUMNS = {"cases": CASE_COLUMNS, "contacts": CONTACT_COLUMNS}
MAX_BYTES = 200 * 1024 * 1024


class ImportRejected(Exception):
    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass(frozen=True)
class ImportOutcome:
    created: int
    existing: int
    persons_created: int


def template_csv(kind: str) -> bytes:
    return ("\ufeff" + ",".join(COLUMNS[kind]) + "\r\n").encode("utf-8")


def read_table(data: bytes, filename: str) -> list[dict]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX file as dicts of stripped strings."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise ImportRejected([{"row": 0, "column": "", "message": _("Not a readable XLSX file.")}]) from exc
        values = list(book.active.iter_rows(values_only=True))
        if not values:
            return []
        header = [str(h or "").strip() for h in values[0]]
        return [{h: _cell(v) for h, v in zip(header, row, strict=False)} for row in values[1:]
                if any(v not in (None, "") for v in row)]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected([{"row": 0, "column": "", "message": _("The file is not UTF-8 text.")}]) from exc
    reader = csv.DictReader(io.StringIO(text))
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader
            if any((v or "").strip() for v in row.values())]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


class _Row:
    """Typed access to one row's cells, collecting (column, message) errors."""

    def __init__(self, values: dict):
        self.values, self.errors = values, []

    def text(self, name: str) -> str:
        return (self.values.get(name) or "").strip()

    def date(self, name: str, required: bool = False) -> dt.date | None:
        value = self.text(name)
        if not value:
            if required:
                self.errors.append((name, _("Required.")))
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            self.errors.append((name, _("Enter a date as YYYY-MM-DD.")))
            return None

    def moment(self, name: str, required: bool = False) -> dt.datetime | None:
        value = self.text(name)
        if not value:
            if required:
                self.errors.append((name, _("Required.")))
            return None
        try:
            moment = dt.datetime.fromisoformat(value.replace("/", "-"))
        except ValueError:
            self.errors.append((name, _("Enter a time as YYYY-MM-DD HH:MM.")))
            return None
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment

    def flag(self, name: str) -> bool:
        return self.text(name).lower() in ("1", "true", "yes", "y", "是")


def _check_columns(rows: list[dict], kind: str) -> None:
    if not rows:
        raise ImportRejected([{"row": 0, "column": "", "message": _("The file has no data rows.")}])
    missing = [c for c in COLUMNS[kind] if c not in rows[0]]
    if missing:
        raise ImportRejected([{"row": 1, "column": c, "message": _("This column is missing.")} for c in missing])


def _persons_for(actor, rows: list[tuple[int, _Row]], errors: list[dict]) -> tuple[dict[int, Person], int]:
    """The person of each (file row number, row) by citizen-ID hash, registering those not yet known."""
    hashes: dict[int, str] = {}
    for number, row in rows:
        try:
            hashes[number] = protection.keyed_hash(parse_citizen_id(row.text("citizen_id")).number, CITIZEN_ID)
        except CitizenIdError as exc:
            row.errors.append(("citizen_id", str(exc) or _("Not a valid citizen ID.")))
    known = {p.citizen_id_hash: p for p in Person.objects.filter(citizen_id_hash__in=set(hashes.values()))}
    fresh_rows, fresh_numbers, seen = [], [], set()
    for number, row in rows:
        h = hashes.get(number)
        if h is None or h in known or h in seen:
            continue
        seen.add(h)
        birth = row.date("birth_date")
        fresh_rows.append({"name": row.text("name"), "citizen_id": row.text("citizen_id"), "phone": row.text("phone"),
                           "sex": row.text("sex"), "birth_date": birth, "address_region": row.text("address_region")})
        fresh_numbers.append(number)
    created = 0
    if fresh_rows:
        try:
            with transaction.atomic():
                created = persons_import(actor=actor, rows=fresh_rows, source="cases import").created
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                number = fresh_numbers[int(key.split()[-1]) - 1]
                for message in messages:
                    column, _sep, text = message.partition(": ")
                    errors.append({"row": number, "column": column, "message": text})
            return {}, 0
        known.update({p.citizen_id_hash: p for p in Person.objects.filter(citizen_id_hash__in=set(hashes.values()))})
    return {n: known[h] for n, h in hashes.items() if h in known}, created


def _report(progress, done: int, total: int, every: int = 1000) -> None:
    """Call ``progress(done, total)`` every ``every`` rows and at the last one."""
    if progress is not None and (done % every == 0 or done == total):
        progress(done, total)



def _file_number(row, field: str, seen: set, duplicate_message) -> str:
    """A row's own number: required, and unique within the file (``seen`` collects them)."""
    number = row.text(field)
    if not number:
        row.errors.append((field, _("Required.")))
    elif number in seen:
        row.errors.append((field, duplicate_message))
    seen.add(number)
    return number

def _collect(errors: list[dict], number: int, row: _Row, exc: ValidationError | None = None) -> None:
    for column, message in row.errors:
        errors.append({"row": number, "column": column, "message": str(message)})
    if exc is not None:
        for column, messages in exc.message_dict.items():
            for message in messages:
                errors.append({"row": number, "column": column, "message": message})


@transaction.atomic
def cases_import(*, actor, rows: list[dict], source: str = "", request=None, progress=None) -> ImportOutcome:
    """Import case rows (``CASE_COLUMNS``); all or nothing; rows with a known case number are skipped."""
    _check_columns(rows, "cases")
    typed = [_Row(r) for r in rows]
    existing_nos = set(Case.objects.filter(case_no__in=[r.text("case_no") for r in typed if r.text("case_no")])
                       .values_list("case_no", flat=True))
    pending = [(n, r) for n, r in enumerate(typed, start=2) if r.text("case_no") not in existing_nos]
    errors: list[dict] = []
    persons, persons_created = _persons_for(actor, pending, errors)
    diseases = {d.code: d for d in Disease.objects.all()}
    regions = {r.code: r for r in Region.objects.all().only("code")}
    file_nos = {r.text("case_no") for _n, r in pending}
    infector_nos = {r.text("infector_case_no") for _n, r in pending if r.text("infector_case_no")}
    infectors = {c.case_no: c for c in Case.objects.filter(case_no__in=infector_nos)}
    built, numbers, seen = [], [], set()
    for count, (number, row) in enumerate(pending, start=1):
        _report(progress, count, len(pending))
        case_no = _file_number(row, "case_no", seen, _("This case number appears twice in the file."))
        disease = diseases.get(row.text("disease"))
        if disease is None:
            row.errors.append(("disease", _("Unknown disease code.")))
        infector_no = row.text("infector_case_no")
        if infector_no and infector_no not in infectors and infector_no not in file_nos:
            row.errors.append(("infector_case_no", _("No case with this number.")))
        fields = {
            "onset_date": row.date("onset_date"), "sampling_date": row.date("sampling_date"),
            "diagnosed_at": row.moment("diagnosed_at", required=True), "reported_at": row.moment("reported_at"),
        }
        try:
            case = build_case(
                actor=actor, person=persons.get(number), disease=disease,
                classification=row.text("classification"), report_region=row.text("report_region"),
                detection_route=row.text("detection_route") or "other", imported=row.flag("imported"),
                origin=row.text("origin"), severity=row.text("severity") or "mild",
                outcome=row.text("outcome") or "under_treatment",
                infector=infectors.get(infector_no), case_no=case_no, regions=regions, **fields)
        except ValidationError as exc:
            _collect(errors, number, row, exc)
            continue
        except PermissionDenied as exc:
            row.errors.append(("report_region", str(exc)))
        if row.errors:
            _collect(errors, number, row)
            continue
        built.append(case)
        numbers.append((case, infector_no))
    if errors:
        transaction.set_rollback(True)
        raise ImportRejected(sorted(errors, key=lambda e: (e["row"], e["column"])))
    first_listed: dict[int, object] = {}
    for person_id, listed in Contact.objects.filter(person_id__in={c.person_id for c in built}).values_list(
            "person_id", "listed_at"):
        first_listed[person_id] = min(listed, first_listed.get(person_id, listed))
    for case in built:
        listed = first_listed.get(case.person_id)
        case.found_under_management = listed is not None and listed <= case.reported_at
    Case.objects.bulk_create(built, batch_size=1000)
    by_no = {c.case_no: c for c in Case.objects.filter(case_no__in=[c.case_no for c in built])}
    late_links = [(by_no[c.case_no], by_no[no]) for c, no in numbers if no and no in by_no and c.infector_id is None]
    for case, infector in late_links:
        case.infector = infector
    Case.objects.bulk_update([c for c, _i in late_links], ["infector"], batch_size=1000)
    ClassificationChange.objects.bulk_create(
        [ClassificationChange(case=by_no[c.case_no], classification=c.classification, changed_at=c.reported_at,
                              changed_by=actor) for c in built], batch_size=1000)
    audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="cases.case", object_id=source[:64],
                 request=request, detail={"created": len(built), "existing": len(rows) - len(pending)})
    return ImportOutcome(created=len(built), existing=len(rows) - len(pending), persons_created=persons_created)


@transaction.atomic
def contacts_import(*, actor, rows: list[dict], source: str = "", request=None, progress=None) -> ImportOutcome:
    """Import contact rows (``CONTACT_COLUMNS``); all or nothing; known contact numbers are skipped."""
    _check_columns(rows, "contacts")
    typed = [_Row(r) for r in rows]
    existing_nos = set(Contact.objects.filter(
        contact_no__in=[r.text("contact_no") for r in typed if r.text("contact_no")]).values_list("contact_no", flat=True))
    pending = [(n, r) for n, r in enumerate(typed, start=2) if r.text("contact_no") not in existing_nos]
    errors: list[dict] = []
    persons, persons_created = _persons_for(actor, pending, errors)
    regions = {r.code: r for r in Region.objects.all().only("code")}
    protocols = list(ProtocolVersion.objects.order_by("-effective_from"))
    sources = {c.case_no: c for c in Case.objects.filter(
        case_no__in={r.text("source_case_no") for _n, r in pending})}
    built, seen = [], set()
    for count, (number, row) in enumerate(pending, start=1):
        _report(progress, count, len(pending))
        contact_no = _file_number(row, "contact_no", seen, _("This contact number appears twice in the file."))
        source_case = sources.get(row.text("source_case_no"))
        if source_case is None:
            row.errors.append(("source_case_no", _("No case with this number.")))
        fields = {"exposure_start": row.date("exposure_start"), "exposure_end": row.date("exposure_end"),
                  "listed_at": row.moment("listed_at", required=True),
                  "quarantined_at": row.moment("quarantined_at")}
        try:
            contact = build_contact(
                actor=actor, person=persons.get(number), source_case=source_case, category=row.text("category"),
                region=row.text("region"), exposure_type=row.text("exposure_type") or "other",
                quarantine_place=row.text("quarantine_place"), contact_no=contact_no, regions=regions,
                protocols=protocols, **fields)
        except ValidationError as exc:
            _collect(errors, number, row, exc)
            continue
        except PermissionDenied as exc:
            row.errors.append(("region", str(exc)))
        if row.errors:
            _collect(errors, number, row)
            continue
        built.append(contact)
    if errors:
        transaction.set_rollback(True)
        raise ImportRejected(sorted(errors, key=lambda e: (e["row"], e["column"])))
    Contact.objects.bulk_create(built, batch_size=2000)
    audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="cases.contact", object_id=source[:64],
                 request=request, detail={"created": len(built), "existing": len(rows) - len(pending)})
    return ImportOutcome(created=len(built), existing=len(rows) - len(pending), persons_created=persons_created)
