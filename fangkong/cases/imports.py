"""CSV/XLSX import of cases and contacts: every row validated, all or nothing, idempotent, audited.

- Each row names its person by citizen ID (required, so that a re-import finds the same person); a person
  not yet registered is registered with the row (citizen ID and phone hashed and encrypted, never stored
  in clear), under the rules of ``person_register``; a registered person outside the importing user's
  regions is refused.
- Every row is checked under the rules of ``build_case`` / ``build_contact`` (scope of the user, protocol
  version in force on the listing day and its test schedule, reporting deadline of the disease's class);
  the errors come back as a list of ``{"row", "column", "message"}`` (rows numbered as in the file, the
  header being row 1) and nothing is saved when any row fails (``ImportRejected``).
- A row whose case or contact number is already registered is skipped, so importing the same file twice
  creates no duplicate (an import that meets a concurrent writer of the same numbers checks again).
- What is saved: the new persons, the rows with their timeliness flags (``listed_within_24h``,
  ``quarantined_within_24h``, ``listed_date``; ``Case.found_under_management``), one audit event per
  kind of row written, and the daily tracing summary of the (region, day) keys the import touched —
  all in one transaction.

Speed (one million contacts in under two minutes on PostgreSQL, ``benchmarks/bench_cases.py``): the rows
are checked without building a model instance each (``fangkong.persons.services.PersonChecker``, the
citizen IDs in one vectorised pass, parsed dates and times, protocols and test schedules cached per
distinct value), and on PostgreSQL persons and contacts are written with COPY and their foreign keys
checked by set (``fangkong.bulk_copy.foreign_keys_checked_by_set``). The checking runs outside
the write transaction, so that on SQLite (one writer at a time) the job can record its progress while it
runs; the write transaction follows. ``tests/test_imports_scale.py`` holds this path to the row-by-row
services' results.

Case columns ``first_visit_at``, ``isolated_at`` and ``treatment_at`` (the "four earlies", optional: a file
without them is accepted): not in the future; the first medical visit not before the onset day nor after
the report; admission for treatment not before the first visit. Isolation has no lower bound: a case found
in quarantine was isolated before its onset and its report.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong import table_files
from fangkong.accounts.access import can, in_scope, memberships_of
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.bulk_copy import copy_available, copy_rows, copy_text, foreign_keys_checked_by_set, ids_reserve
from fangkong.cases import import_columns
from fangkong.cases.case_earlies import case_earlies_refresh
from fangkong.cases.models import (
    Case,
    Classification,
    ClassificationChange,
    Contact,
    ContactCategory,
    ContactStatus,
    DetectionRoute,
    Disease,
    DiseaseStatus,
    ExposureType,
    Outcome,
    Severity,
)
from fangkong.cases.services import cases_found_under_management_mark
from fangkong.cases.summaries import tracing_summary_refresh
from fangkong.persons import protection
from fangkong.persons.citizen_id import CitizenId
from fangkong.persons.models import Person
from fangkong.persons.services import (
    CITIZEN_ID,
    PersonChecker,
    citizen_ids_parse_many,
    persons_insert_many,
)
from fangkong.protocols.models import ProtocolVersion
from fangkong.regions.models import Region
from fangkong.table_files import Row, TableLimits

PERSON_COLUMNS = ["name", "citizen_id", "phone", "sex", "birth_date", "address_region"]
EARLIES_COLUMNS = ["first_visit_at", "isolated_at", "treatment_at"]
CASE_COLUMNS = ["case_no", *PERSON_COLUMNS, "disease", "classification", "onset_date", "sampling_date",
                "diagnosed_at", "reported_at", "detection_route", "imported", "origin", "severity", "outcome",
                "report_region", "infector_case_no", *EARLIES_COLUMNS]
CONTACT_COLUMNS = ["contact_no", *PERSON_COLUMNS, "category", "source_case_no", "region", "exposure_type",
                   "exposure_start", "exposure_end", "listed_at", "quarantined_at", "quarantine_place"]
COLUMNS = {"cases": CASE_COLUMNS, "contacts": CONTACT_COLUMNS}
OPTIONAL_COLUMNS = frozenset(EARLIES_COLUMNS)  # in the template; a file may leave them out
# 200 MB holds a million contacts in CSV; no spreadsheet holds more than 1,048,576 rows (the header included)
LIMITS = TableLimits(max_bytes=200 * 1024 * 1024, max_rows=1_048_575, max_columns=64)
MAX_BYTES = LIMITS.max_bytes
NUMBER_LENGTH = 40  # Case.case_no, Contact.contact_no
LOOKUP_CHUNK = 10000
SOON = dt.timedelta(minutes=5)  # clock skew allowed for "not in the future"
DAY = dt.timedelta(days=1)


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
    """The template of ``kind``: Chinese headers and an example row (``fangkong.cases.import_columns``)."""
    return import_columns.template_csv(kind, COLUMNS[kind])


def read_table(data, filename: str) -> list[Row]:
    """The rows of a CSV or XLSX file of cases or contacts, read within ``LIMITS`` (``fangkong.table_files``);
    ``ImportRejected`` naming the cap or the fault otherwise."""
    try:
        return table_files.read_table(data, filename, LIMITS)
    except table_files.TableRejected as exc:
        raise ImportRejected([{"row": exc.row, "column": "", "message": exc.message}]) from exc


def _check_columns(rows: list[dict], kind: str) -> None:
    import_columns.canonical_rows(rows)  # the template's Chinese headers read as the codes
    if not rows:
        raise ImportRejected([{"row": 0, "column": "", "message": _("The file has no data rows.")}])
    missing = [c for c in COLUMNS[kind] if c not in rows[0] and c not in OPTIONAL_COLUMNS]
    if missing:
        raise ImportRejected([{"row": 1, "column": c, "message": _("This column is missing.")} for c in missing])


def _column(rows: list[dict], name: str) -> list[str]:
    """One column's stripped texts (empty when the cell or the column is missing); in a coded column, a
    Chinese or English label stands for its code (确诊病例 → confirmed)."""
    texts = [(row.get(name) or "").strip() for row in rows]
    if name in import_columns.CHOICES or name in import_columns.EXTRA_VALUES:
        return [import_columns.coded(name, text) for text in texts]
    return texts


def _unknown(column: str) -> str:
    return _("Unknown value: use one of %(values)s.") % {"values": import_columns.accepted_values(column)}


def _not_future(row_errors: list, column: str, day, today) -> None:
    if day is not None and day > today:
        row_errors.append((column, _("This date is in the future.")))


def _report(progress, done: int, total: int) -> None:
    """Call ``progress(done, total)`` every 1,000 rows (every 0.5% of a larger file) and at the last one."""
    if progress is not None and (done % max(1000, total // 200) == 0 or done == total):
        progress(done, total)


def _rows_by(model, key: str, values, fields: tuple[str, ...] = ()) -> list[tuple]:
    """``(key, *fields)`` of the rows of ``model`` whose ``key`` is one of ``values`` (empty ones ignored):
    one query with an array parameter on PostgreSQL, ``IN`` lists of ``LOOKUP_CHUNK`` elsewhere."""
    wanted = sorted({v for v in values if v})
    if not wanted:
        return []
    if connection.vendor == "postgresql":
        meta = model._meta
        columns = ", ".join(meta.get_field(name).column for name in (key, *fields))
        with connection.cursor() as cursor:  # only the model's own table and column names go into the text
            cursor.execute(f"SELECT {columns} FROM {meta.db_table} "  # noqa: S608
                           f"WHERE {meta.get_field(key).column} = ANY(%s)", [wanted])
            return cursor.fetchall()
    found: list[tuple] = []
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        found.extend(model.objects.filter(**{f"{key}__in": wanted[start:start + LOOKUP_CHUNK]})
                     .values_list(key, *fields))
    return found


def _existing_numbers(model, field: str, numbers: list[str]) -> set[str]:
    return {row[0] for row in _rows_by(model, field, numbers)}


def _retrying(run):
    """Run an import; when a concurrent writer registered one of the same numbers or citizen IDs between
    the check and the write (the unique constraints refuse the write), check again and write once more:
    the rows written meanwhile are then known and skipped or reused."""
    try:
        return run()
    except IntegrityError:
        return run()


def _rejected(errors: list[dict]) -> ImportRejected:
    return ImportRejected(sorted(errors, key=lambda e: (e["row"], e["column"])))


class _Values:
    """Dates and times of a file, parsed once per distinct text (they recur: a day, a minute)."""

    def __init__(self):
        self.zone = timezone.get_current_timezone()
        self._dates: dict[str, dt.date | str] = {}
        self._moments: dict[str, tuple[dt.datetime, dt.date, str] | str] = {}

    def date(self, value: str) -> dt.date | str | None:
        """The date, None when empty, or the error message."""
        if not value:
            return None
        parsed = self._dates.get(value)
        if parsed is None:
            try:
                parsed = dt.date.fromisoformat(value[:10])
            except ValueError:
                parsed = _("Enter a date as YYYY-MM-DD.")
            self._dates[value] = parsed
        return parsed

    def moment(self, value: str) -> tuple[dt.datetime, dt.date, str] | str | None:
        """(aware time, its local date, ISO text), None when empty, or the error message."""
        if not value:
            return None
        parsed = self._moments.get(value)
        if parsed is None:
            try:
                moment = dt.datetime.fromisoformat(value.replace("/", "-"))
            except ValueError:
                parsed = _("Enter a time as YYYY-MM-DD HH:MM.")
            else:
                moment = timezone.make_aware(moment, self.zone) if timezone.is_naive(moment) else moment
                parsed = (moment, moment.astimezone(self.zone).date(), moment.isoformat())
            self._moments[value] = parsed
        return parsed


def _take(row_errors: list, column: str, parsed, required: bool = False):
    """The parsed value of ``_Values.date``/``moment``, recording its error (or a missing required one)."""
    if isinstance(parsed, str):
        row_errors.append((column, parsed))
        return None
    if parsed is None and required:
        row_errors.append((column, _("Required.")))
    return parsed


def _own_number(row_errors: list, column: str, number: str, seen: set, duplicate_message: str) -> None:
    """A row's own number: required, at most 40 characters, unique within the file."""
    if not number:
        row_errors.append((column, _("Required.")))
    elif number.startswith(import_columns.EXAMPLE_PREFIX):
        row_errors.append((column, _("This is the template's example row: delete it before importing.")))
    elif number in seen:
        row_errors.append((column, duplicate_message))
    elif len(number) > NUMBER_LENGTH:
        row_errors.append((column, _("At most %(limit)d characters.") % {"limit": NUMBER_LENGTH}))
    seen.add(number)


class _RegionCheck:
    """Per region code, once: the errors of writing a row managed there (scope, then capability)."""

    def __init__(self, actor, codes, capability: str, denied_message: str):
        self.actor, self.codes, self.capability, self.denied = actor, codes, capability, denied_message
        self._verdicts: dict[str, list[str]] = {}

    def __call__(self, code: str) -> list[str]:
        verdict = self._verdicts.get(code)
        if verdict is None:
            if code not in self.codes or not in_scope(self.actor, code):
                verdict = [_("Choose a region within your area.")]
            elif not can(self.actor, self.capability, code):
                verdict = [self.denied]
            else:
                verdict = []
            self._verdicts[code] = verdict
        return verdict


class _RowPersons:
    """The person of each row, by citizen-ID hash: a registered person (in the user's scope), or a new one
    checked here (``PersonChecker``) and registered when the rows are written.

    ``resolve`` returns a reference to the person, recording the row's errors otherwise: the id of a
    registered person; for a new one, its reserved id (``reserve=True``, PostgreSQL: rows can then be
    written before their persons) or ``-(k + 1)`` for the k-th new person, which ``person_id`` turns into
    an id once ``write`` has registered them.
    """

    def __init__(self, *, actor, rows: list[dict], pending: list[int], codes, reserve: bool = False):
        self.actor = actor
        self.checker = PersonChecker(actor=actor, regions=codes)
        self.rows = rows
        parsed = citizen_ids_parse_many([(rows[i].get("citizen_id") or "") for i in pending])
        self.parsed = dict(zip(pending, parsed, strict=True))
        valid = [(i, p.number) for i, p in self.parsed.items() if isinstance(p, CitizenId)]
        hashes = protection.keyed_hashes([number for _i, number in valid], CITIZEN_ID)
        self.hash_of = {i: h for (i, _n), h in zip(valid, hashes, strict=True)}
        self.known: dict[str, tuple[int, str]] = {
            h: (pk, region) for h, pk, region in _rows_by(Person, "citizen_id_hash", hashes, ("id", "address_region"))}
        self.reserved: dict[str, int] | None = None
        if reserve:
            unknown = sorted(set(hashes) - self.known.keys())
            self.reserved = dict(zip(unknown, ids_reserve(Person, len(unknown)), strict=True))
        self.fresh: list = []  # CheckedPerson, in the order they will be written
        self._fresh_ref: dict[str, int] = {}
        self._failed_row: dict[str, int] = {}  # hash -> the file row whose person fields were wrong
        self._values = _Values()
        self.region_of: dict[int, str] = {}  # reference -> address region code
        self.known_used: set[int] = set()  # ids of the registered persons the rows refer to
        self._ids: list[int] = []

    def resolve(self, i: int, row_errors: list) -> int | None:
        parsed = self.parsed[i]
        if not isinstance(parsed, CitizenId):
            row_errors.append(("citizen_id", parsed))
            return None
        h = self.hash_of[i]
        known = self.known.get(h)
        if known is not None:
            if not in_scope(self.actor, known[1]):
                row_errors.append(("person", _("Choose a person registered in your area.")))
                return None
            self.region_of[known[0]] = known[1]
            self.known_used.add(known[0])
            return known[0]
        reference = self._fresh_ref.get(h)
        if reference is not None:
            return reference
        if h in self._failed_row:
            row_errors.append(("person", _("This person could not be registered: see row %(row)d.")
                               % {"row": self._failed_row[h]}))
            return None
        row = self.rows[i]
        birth = self._values.date((row.get("birth_date") or "").strip())
        birth_error = birth if isinstance(birth, str) else None
        checked, errors = self.checker.check(
            name=row.get("name") or "", address_region=(row.get("address_region") or "").strip(),
            sex=import_columns.coded("sex", (row.get("sex") or "").strip()), birth_date=None if birth_error else birth, parsed_id=parsed,
            citizen_id_hash=h, phone=(row.get("phone") or "").strip())
        if birth_error:
            row_errors.append(("birth_date", birth_error))
        if errors or birth_error:
            row_errors.extend((field, message) for field, messages in errors.items() for message in messages)
            self._failed_row[h] = i + 2
            return None
        self.fresh.append(checked)
        reference = self.reserved[h] if self.reserved is not None else -len(self.fresh)
        self._fresh_ref[h] = reference
        self.region_of[reference] = checked.address_region_id
        return reference

    def write(self, *, source: str, request=None) -> None:
        """Register the new persons (one audit event, as ``persons_import`` records)."""
        self.insert()
        self.audit(source=source, request=request)

    def insert(self) -> None:
        ids = None if self.reserved is None else [self.reserved[p.citizen_id_hash] for p in self.fresh]
        self._ids = persons_insert_many(actor=self.actor, persons=self.fresh, ids=ids)

    def audit(self, *, source: str, request=None) -> None:
        if self._ids:
            audit_record(actor=self.actor, action=AuditEvent.Action.IMPORT, object_type="persons.person",
                         object_id=source[:64], request=request, detail={"created": len(self._ids), "existing": 0})

    def person_id(self, reference: int) -> int:
        return reference if reference > 0 else self._ids[-reference - 1]


# ------------------------------------------------------------------------------------------------ contacts


def contacts_import(*, actor, rows: list[dict], source: str = "", request=None, progress=None) -> ImportOutcome:
    """Import contact rows (``CONTACT_COLUMNS``); all or nothing; known contact numbers are skipped.

    PostgreSQL: one transaction in which the rows are checked while the checked ones stream to COPY (the
    server writes while Python checks), then the new persons are written, their foreign keys checked once
    per key rather than once per row when the role may (``fangkong.bulk_copy``), then the audit and the
    summary; any error rolls it all back. Elsewhere: every row checked first, then one write transaction.
    """
    _check_columns(rows, "contacts")
    return _retrying(lambda: _contacts_import(actor, rows, source, request, progress))


def _contacts_import(actor, rows, source, request, progress) -> ImportOutcome:
    if copy_available():
        with transaction.atomic():
            # Entered before the persons' ids are reserved: the check covers every row written here.
            with foreign_keys_checked_by_set(Contact, Person):
                check = _ContactCheck(actor=actor, rows=rows, progress=progress, reserve=True)
                copy_rows(Contact._meta.db_table, CONTACT_COPY_COLUMNS, check.copy_chunks())
                if check.errors:
                    raise _rejected(check.errors)  # inside the transaction: the rows already sent are rolled back
                check.persons.insert()
            return _contacts_finish(check, source, request)
    check = _ContactCheck(actor=actor, rows=rows, progress=progress)
    checked = list(check)
    if check.errors:
        raise _rejected(check.errors)
    with transaction.atomic():
        check.persons.insert()
        Contact.objects.bulk_create(_contact_objects(checked, check.persons, check.now), batch_size=2000)
        return _contacts_finish(check, source, request)


def _contacts_finish(check: _ContactCheck, source: str, request) -> ImportOutcome:
    """After the persons and contacts are written: the audit events, the tracing summary."""
    check.persons.audit(source=source, request=request)
    found = cases_found_under_management_mark(check.persons.known_used)  # new persons have no case yet
    audit_record(actor=check.actor, action=AuditEvent.Action.IMPORT, object_type="cases.contact",
                 object_id=source[:64], request=request,
                 detail={"created": check.created, "existing": check.existing,
                         "cases_now_found_under_management": len(found)})
    tracing_summary_refresh(check.keys | set(found.values()))
    return ImportOutcome(created=check.created, existing=check.existing, persons_created=len(check.persons.fresh))


class _ContactCheck:
    """The checks of ``build_contact`` over the rows of a file; iterating yields the checked rows (tuples)
    as long as no row has failed, ``errors`` collects every error of every row."""

    def __init__(self, *, actor, rows: list[dict], progress=None, reserve: bool = False):
        self.actor, self.rows, self.progress = actor, rows, progress
        self.now = timezone.now()
        self.numbers = _column(rows, "contact_no")
        existing = _existing_numbers(Contact, "contact_no", self.numbers)
        self.pending = [i for i, number in enumerate(self.numbers) if not number or number not in existing]
        self.existing = len(rows) - len(self.pending)
        self.codes = set(Region.objects.values_list("code", flat=True))
        self.persons = _RowPersons(actor=actor, rows=rows, pending=self.pending, codes=self.codes, reserve=reserve)
        self.source_nos = _column(rows, "source_case_no")
        self.sources: dict[str, tuple[int, dt.datetime]] = {
            case_no: (pk, reported_at) for case_no, pk, reported_at
            in _rows_by(Case, "case_no", {self.source_nos[i] for i in self.pending}, ("id", "reported_at"))}
        self.protocols = list(ProtocolVersion.objects.order_by("-effective_from"))
        memberships_of(actor)  # read now and kept on the user: no query may run while the rows stream to COPY
        self.errors: list[dict] = []
        self.created = 0
        self.keys: set[tuple[str, dt.date]] = set()  # (region, listing day) of the rows written

    def __iter__(self):
        rows, pending, numbers, progress = self.rows, self.pending, self.numbers, self.progress
        persons, sources, protocols, errors = self.persons, self.sources, self.protocols, self.errors
        protocol_on: dict[dt.date, ProtocolVersion | None] = {}
        schedules: dict[tuple, tuple[list, str, dt.date | None]] = {}
        region_errors = _RegionCheck(self.actor, self.codes, Capability.CASE_WRITE,
                                     _("Your role may not register contacts."))
        values = _Values()
        categories, exposure_types = set(ContactCategory.values), set(ExposureType.values)
        category_col, region_col = _column(rows, "category"), _column(rows, "region")
        exposure_col, place_col = _column(rows, "exposure_type"), _column(rows, "quarantine_place")
        start_col, end_col = _column(rows, "exposure_start"), _column(rows, "exposure_end")
        listed_col, quarantined_col = _column(rows, "listed_at"), _column(rows, "quarantined_at")
        source_nos, keys = self.source_nos, self.keys
        latest = self.now + SOON
        today = timezone.localtime(latest).date()
        duplicate = _("This contact number appears twice in the file.")
        seen: set[str] = set()
        for count, i in enumerate(pending, start=1):
            _report(progress, count, len(pending))
            row_errors: list[tuple[str, str]] = []
            _own_number(row_errors, "contact_no", numbers[i], seen, duplicate)
            person = persons.resolve(i, row_errors)
            source_case = sources.get(source_nos[i])
            if source_case is None:
                row_errors.append(("source_case_no", _("No case with this number.")))
            region = region_col[i]
            row_errors.extend(("region", message) for message in region_errors(region))
            category = category_col[i]
            if category not in categories:
                row_errors.append(("category", _unknown("category")))
            exposure_type = exposure_col[i] or ExposureType.OTHER
            if exposure_type not in exposure_types:
                row_errors.append(("exposure_type", _unknown("exposure_type")))
            exposure_start = _take(row_errors, "exposure_start", values.date(start_col[i]))
            exposure_end = _take(row_errors, "exposure_end", values.date(end_col[i]))
            _not_future(row_errors, "exposure_start", exposure_start, today)
            _not_future(row_errors, "exposure_end", exposure_end, today)
            if exposure_start and exposure_end and exposure_end < exposure_start:
                row_errors.append(("exposure_end", _("The exposure ends before it starts.")))
            listed = _take(row_errors, "listed_at", values.moment(listed_col[i]), required=True)
            if listed is not None:
                for name, value in (("exposure_start", exposure_start), ("exposure_end", exposure_end)):
                    if value is not None and value > listed[1]:
                        row_errors.append((name, _("The exposure cannot be after the day the contact was listed.")))
            quarantined = _take(row_errors, "quarantined_at", values.moment(quarantined_col[i]))
            if listed is not None:
                if listed[0] > latest:
                    row_errors.append(("listed_at", _("The listing time is in the future.")))
                elif quarantined is not None and quarantined[0] < listed[0]:
                    row_errors.append(("quarantined_at", _("A contact cannot be quarantined before being listed.")))
            place = place_col[i]
            if len(place) > 200:
                row_errors.append(("quarantine_place", _("At most %(limit)d characters.") % {"limit": 200}))
            protocol = None
            if listed is not None:
                day = listed[1]
                if day not in protocol_on:
                    protocol_on[day] = next((p for p in protocols if p.effective_from <= day), None)
                protocol = protocol_on[day]
                if protocol is None:
                    row_errors.append(("listed_at", _("No protocol version was in force on that date.")))
                elif category == ContactCategory.SECONDARY and not protocol.secondary_contacts_traced:
                    row_errors.append(("category", _("The protocol in force (%(name)s) no longer traces contacts "
                                                     "of close contacts.") % {"name": protocol.name}))
            if row_errors:
                errors.extend({"row": i + 2, "column": column, "message": str(message)}
                              for column, message in row_errors)
                continue
            if errors:
                continue  # the file is refused: nothing more to write
            key = (protocol.pk, category, exposure_end, listed[1])
            schedule = schedules.get(key)
            if schedule is None:  # counted from the last exposure, else the listing date
                plan, release_due = protocol.contact_plan(category, exposure_end=exposure_end, listed_date=listed[1])
                schedule = schedules[key] = (plan, copy_text(json.dumps(plan)), release_due)
            self.created += 1
            keys.add((region, listed[1]))
            yield (numbers[i], person, region, category, source_case[0], exposure_type, exposure_start,
                   exposure_end, listed, quarantined, place, protocol.pk, schedule,
                   listed[0] - source_case[1] <= DAY, (quarantined[0] - listed[0] <= DAY) if quarantined else None)

    def copy_chunks(self, chunk: int = 20000):
        """The checked rows as COPY text (PostgreSQL, the new persons' ids reserved), ``chunk`` rows at a time."""
        flag = {True: "t", False: "f", None: "\\N"}
        tail = f"\t1\t{self.now.isoformat()}\t{self.now.isoformat()}\n"
        lines: list[str] = []
        for (number, person, region, category, source_id, exposure_type, exposure_start, exposure_end, listed,
             quarantined, place, protocol_id, schedule, within_24h, quarantined_24h) in self:
            lines.append(
                f"{copy_text(number)}\t{person}\t{region}\t{category}\t{source_id}\t{exposure_type}\t"
                f"{copy_text(exposure_start)}\t{copy_text(exposure_end)}\t{listed[2]}\t{listed[1].isoformat()}\t"
                f"{quarantined[2] if quarantined else '\\N'}\t{copy_text(place)}\t{protocol_id}\t{schedule[1]}\t"
                f"{copy_text(schedule[2])}\t{_status(quarantined)}\t{flag[within_24h]}\t{flag[quarantined_24h]}"
                f"{tail}")
            if len(lines) >= chunk:
                yield "".join(lines)
                lines = []
        if lines:
            yield "".join(lines)


def _status(quarantined) -> str:
    return ContactStatus.QUARANTINED if quarantined else ContactStatus.LISTED


def _contact_objects(checked: list[tuple], persons: _RowPersons, now: dt.datetime):
    for (number, person, region, category, source_id, exposure_type, exposure_start, exposure_end, listed,
         quarantined, place, protocol_id, schedule, within_24h, quarantined_24h) in checked:
        yield Contact(
            contact_no=number, person_id=persons.person_id(person), region_id=region, category=category,
            source_case_id=source_id, exposure_type=exposure_type, exposure_start=exposure_start,
            exposure_end=exposure_end, listed_at=listed[0], listed_date=listed[1],
            quarantined_at=quarantined[0] if quarantined else None, quarantine_place=place,
            protocol_id=protocol_id, test_schedule=schedule[0], release_due=schedule[2],
            status=_status(quarantined), listed_within_24h=within_24h, quarantined_within_24h=quarantined_24h,
            created_at=now, updated_at=now)


CONTACT_COPY_COLUMNS = ["contact_no", "person_id", "region_id", "category", "source_case_id", "exposure_type",
                        "exposure_start", "exposure_end", "listed_at", "listed_date", "quarantined_at",
                        "quarantine_place", "protocol_id", "test_schedule", "release_due", "status",
                        "listed_within_24h", "quarantined_within_24h", "version", "created_at", "updated_at"]


# --------------------------------------------------------------------------------------------------- cases


def cases_import(*, actor, rows: list[dict], source: str = "", request=None, progress=None) -> ImportOutcome:
    """Import case rows (``CASE_COLUMNS``); all or nothing; rows with a known case number are skipped."""
    _check_columns(rows, "cases")
    return _retrying(lambda: _cases_import(actor, rows, source, request, progress))


def _flag(text: str) -> bool:
    return text.lower() in ("1", "true", "yes", "y", "是")


def _cases_import(actor, rows, source, request, progress) -> ImportOutcome:
    now = timezone.now()
    latest = now + SOON
    today = timezone.localtime(latest).date()
    numbers = _column(rows, "case_no")
    existing = _existing_numbers(Case, "case_no", numbers)
    pending = [i for i, number in enumerate(numbers) if not number or number not in existing]
    codes = set(Region.objects.values_list("code", flat=True))
    persons = _RowPersons(actor=actor, rows=rows, pending=pending, codes=codes)
    diseases = {name: d for d in Disease.objects.all() for name in (d.code, d.name_zh, d.name_en)}
    statuses: dict[int, list[tuple[dt.date, int]]] = {}
    for status in DiseaseStatus.objects.order_by("-effective_from"):
        statuses.setdefault(status.disease_id, []).append((status.effective_from, status.reporting_hours))
    infector_col = _column(rows, "infector_case_no")
    file_nos = {numbers[i]: i for i in pending if numbers[i]}
    infectors: dict[str, tuple[int, int]] = {
        case_no: (pk, person_id) for case_no, pk, person_id
        in _rows_by(Case, "case_no", {infector_col[i] for i in pending}, ("id", "person"))}
    region_errors = _RegionCheck(actor, codes, Capability.CASE_WRITE, _("Your role may not register cases."))
    values = _Values()
    column = {name: _column(rows, name) for name in CASE_COLUMNS if name not in ("case_no", *PERSON_COLUMNS)}
    classifications, routes = set(Classification.values), set(DetectionRoute.values)
    severities, outcomes = set(Severity.values), set(Outcome.values)
    duplicate = _("This case number appears twice in the file.")
    errors: list[dict] = []
    checked: list[dict] = []
    person_of_row: dict[int, int] = {}
    seen: set[str] = set()
    for count, i in enumerate(pending, start=1):
        _report(progress, count, len(pending))
        row_errors: list[tuple[str, str]] = []
        number = numbers[i]
        _own_number(row_errors, "case_no", number, seen, duplicate)
        person = persons.resolve(i, row_errors)
        disease = diseases.get(column["disease"][i])
        if disease is None:
            row_errors.append(("disease", _("Unknown disease code.")))
        infector_no = column["infector_case_no"][i]
        if infector_no and infector_no == number:
            row_errors.append(("infector_case_no", _("A case cannot be its own infector.")))
        elif infector_no and infector_no not in infectors and infector_no not in file_nos:
            row_errors.append(("infector_case_no", _("No case with this number.")))
        report_region = column["report_region"][i]
        row_errors.extend(("report_region", message) for message in region_errors(report_region))
        classification = column["classification"][i]
        if classification not in classifications:
            row_errors.append(("classification", _unknown("classification")))
        route = column["detection_route"][i] or DetectionRoute.OTHER
        if route not in routes:
            row_errors.append(("detection_route", _unknown("detection_route")))
        severity = column["severity"][i] or Severity.MILD
        if severity not in severities:
            row_errors.append(("severity", _unknown("severity")))
        outcome = column["outcome"][i] or Outcome.UNDER_TREATMENT
        if outcome not in outcomes:
            row_errors.append(("outcome", _unknown("outcome")))
        onset = _take(row_errors, "onset_date", values.date(column["onset_date"][i]))
        sampling = _take(row_errors, "sampling_date", values.date(column["sampling_date"][i]))
        _not_future(row_errors, "onset_date", onset, today)
        _not_future(row_errors, "sampling_date", sampling, today)
        diagnosed = _take(row_errors, "diagnosed_at", values.moment(column["diagnosed_at"][i]), required=True)
        reported = _take(row_errors, "reported_at", values.moment(column["reported_at"][i]))
        reported_at = reported[0] if reported else now
        earlies = {name: _take(row_errors, name, values.moment(column[name][i])) for name in EARLIES_COLUMNS}
        deadline = None
        if diagnosed is not None:
            if diagnosed[0] > latest:
                row_errors.append(("diagnosed_at", _("The diagnosis time is in the future.")))
            if reported_at < diagnosed[0]:
                row_errors.append(("reported_at", _("A case cannot be reported before it is diagnosed.")))
            for name, value in (("onset_date", onset), ("sampling_date", sampling)):
                if value is not None and value > diagnosed[1]:
                    row_errors.append((name, _("This date is after the diagnosis.")))
            if disease is not None:
                hours = next((h for since, h in statuses.get(disease.pk, ()) if since <= diagnosed[1]), None)
                if hours is None:
                    row_errors.append(("disease", _("This disease was not notifiable on that date.")))
                else:
                    deadline = diagnosed[0] + dt.timedelta(hours=hours)
        if reported_at > latest:
            row_errors.append(("reported_at", _("The report time is in the future.")))
        imported, origin = _flag(column["imported"][i]), column["origin"][i]
        if imported and not origin:
            row_errors.append(("origin", _("An imported case needs its origin.")))
        if len(origin) > 100:
            row_errors.append(("origin", _("At most %(limit)d characters.") % {"limit": 100}))
        for name, value in earlies.items():
            if value is not None and value[0] > latest:
                row_errors.append((name, _("This time is in the future.")))
        first_visit, treatment = earlies["first_visit_at"], earlies["treatment_at"]
        if first_visit is not None:
            if onset is not None and first_visit[1] < onset:
                row_errors.append(("first_visit_at", _("The first medical visit is before the onset.")))
            if first_visit[0] > reported_at:
                row_errors.append(("first_visit_at", _("The first medical visit is after the report.")))
            if treatment is not None and treatment[0] < first_visit[0]:
                row_errors.append(("treatment_at", _("The admission for treatment is before the first "
                                                     "medical visit.")))
        if person is not None and infector_no in infectors and infectors[infector_no][1] == person:
            row_errors.append(("infector_case_no", _("A case cannot be its own infector.")))
        if row_errors:
            errors.extend({"row": i + 2, "column": c, "message": str(m)} for c, m in row_errors)
            continue
        person_of_row[i] = person
        if errors:
            continue
        checked.append({
            "case_no": number, "person": person, "disease": disease, "classification": classification,
            "onset_date": onset, "sampling_date": sampling, "diagnosed_at": diagnosed[0], "reported_at": reported_at,
            "report_date": reported_at.astimezone(values.zone).date(), "report_deadline": deadline,
            "reported_late": reported_at > deadline, "detection_route": route, "imported": imported,
            "origin": origin, "severity": severity, "outcome": outcome, "report_region_id": report_region,
            "infector_no": infector_no, **{name: value[0] if value else None for name, value in earlies.items()},
        })
    for i, person in person_of_row.items():  # an infector named by a row of the same file: not the same person
        infector_row = file_nos.get(column["infector_case_no"][i])
        if infector_row is not None and person_of_row.get(infector_row, 0) == person:
            errors.append({"row": i + 2, "column": "infector_case_no",
                           "message": str(_("A case cannot be its own infector."))})
    if errors:
        raise _rejected(errors)
    with transaction.atomic():
        persons.write(source=source, request=request)
        built = _case_objects(checked, persons, infectors, actor)
        # An infector named by another row of the file: on PostgreSQL the ids are drawn first and the link
        # written with the row; elsewhere it is set once the rows have ids (bulk_update's CASE WHEN per
        # batch took 18 s of a 44 s import of 100,000 cases on PostgreSQL).
        ids_first = copy_available()
        if ids_first:
            for case, pk in zip(built, ids_reserve(Case, len(built)), strict=True):
                case.pk = pk
        by_no = {case.case_no: case for case in built}
        in_file = [(case, by_no[row["infector_no"]]) for case, row in zip(built, checked, strict=True)
                   if row["infector_no"] and case.infector_id is None]
        if ids_first:
            for case, infector in in_file:
                case.infector_id = infector.pk
        Case.objects.bulk_create(built, batch_size=1000)
        if in_file and not ids_first:
            for case, infector in in_file:
                case.infector_id = infector.pk
            Case.objects.bulk_update([case for case, _infector in in_file], ["infector"], batch_size=1000)
        ClassificationChange.objects.bulk_create(
            [ClassificationChange(case=c, classification=c.classification, changed_at=c.reported_at, changed_by=actor)
             for c in built], batch_size=1000)
        audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="cases.case", object_id=source[:64],
                     request=request, detail={"created": len(built), "existing": len(rows) - len(pending)})
        tracing_summary_refresh({(c.report_region_id, c.report_date) for c in built})
        case_earlies_refresh([c.pk for c in built])
    return ImportOutcome(created=len(built), existing=len(rows) - len(pending), persons_created=len(persons.fresh))


def _case_objects(checked: list[dict], persons: _RowPersons, infectors: dict, actor) -> list[Case]:
    """The cases to write; each is "found under management" when its (registered) person was already on a
    contact list at the report time."""
    first_listed: dict[int, dt.datetime] = {}
    for person_id, listed in _rows_by(Contact, "person", {row["person"] for row in checked if row["person"] > 0},
                                      ("listed_at",)):
        first_listed[person_id] = min(listed, first_listed.get(person_id, listed))
    built = []
    for row in checked:
        fields = dict(row)
        reference, infector_no = fields.pop("person"), fields.pop("infector_no")
        listed = first_listed.get(reference) if reference > 0 else None
        built.append(Case(
            **fields, person_id=persons.person_id(reference), residence_region_id=persons.region_of[reference],
            infector_id=infectors[infector_no][0] if infector_no in infectors else None,
            found_under_management=listed is not None and listed <= row["reported_at"], created_by=actor))
    return built
