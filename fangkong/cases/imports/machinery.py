"""What the imports of cases and of contacts share: the columns and the file's limits, reading the table
and checking its columns, the texts of a column, dates and times parsed once per distinct text, the row's
own number, the verdict of a region, the persons of the rows (found or checked and registered), the
look-ups by set, the outcome and the refusal."""


from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong import inputs, table_files
from fangkong.accounts.access import can, in_scope
from fangkong.accounts.need_to_know import Category, read_prefixes
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.bulk_copy import ids_reserve
from fangkong.cases import import_columns, rules
from fangkong.cases.models import Case
from fangkong.persons import protection
from fangkong.persons.citizen_id import CitizenId
from fangkong.persons.models import Person
from fangkong.persons.services import (
    CITIZEN_ID,
    PersonChecker,
    PersonElsewhereError,
    citizen_ids_parse_many,
    persons_insert_many,
)
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


def check_columns(rows: list[dict], kind: str) -> None:
    import_columns.canonical_rows(rows)  # the template's Chinese headers read as the codes
    if not rows:
        raise ImportRejected([{"row": 0, "column": "", "message": _("The file has no data rows.")}])
    missing = [c for c in COLUMNS[kind] if c not in rows[0] and c not in OPTIONAL_COLUMNS]
    if missing:
        raise ImportRejected([{"row": 1, "column": c, "message": _("This column is missing.")} for c in missing])


def column_texts(rows: list[dict], name: str) -> list[str]:
    """One column's stripped texts (empty when the cell or the column is missing); in a coded column, a
    Chinese or English label stands for its code (确诊病例 → confirmed)."""
    texts = [(row.get(name) or "").strip() for row in rows]
    if name in import_columns.CHOICES or name in import_columns.EXTRA_VALUES:
        return [import_columns.coded(name, text) for text in texts]
    return texts


def report_progress(progress, done: int, total: int) -> None:
    """Call ``progress(done, total)`` every 1,000 rows (every 0.5% of a larger file) and at the last one."""
    if progress is not None and (done % max(1000, total // 200) == 0 or done == total):
        progress(done, total)


def rows_by(model, key: str, values, fields: tuple[str, ...] = ()) -> list[tuple]:
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


def readable_cases_by_number(actor, numbers, fields: tuple[str, ...]) -> list[tuple]:
    """``(case_no, *fields)`` of the cases named in ``numbers`` that ``actor`` may read — the look-up of the
    page and the API (``case_list``): a case outside the actor's area is unknown to an import as well, so a
    file cannot link a row to it, nor learn from the verdict which case numbers exist elsewhere."""
    prefixes = tuple(read_prefixes(actor, Category.PSEUDONYMISED))
    return [row[:-1] for row in rows_by(Case, "case_no", numbers, (*fields, "report_region"))
            if row[-1].startswith(prefixes)]


def existing_numbers(model, field: str, numbers: list[str]) -> set[str]:
    return {row[0] for row in rows_by(model, field, numbers)}


def retrying(run):
    """Run an import; when a concurrent writer registered one of the same numbers or citizen IDs between
    the check and the write (the unique constraints refuse the write), check again and write once more:
    the rows written meanwhile are then known and skipped or reused."""
    try:
        return run()
    except IntegrityError:
        return run()


def rejection(errors: list[dict]) -> ImportRejected:
    return ImportRejected(sorted(errors, key=lambda e: (e["row"], e["column"])))


class FileValues:
    """The dates of a file's columns that no form asks for (a person's birth date), parsed once per
    distinct text."""

    def __init__(self):
        self._dates: dict[str, dt.date | str] = {}

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


class SchemaCells:
    """A file's cells read through the action's input schema (``fangkong.inputs.ColumnReader``): each
    cell gets the verdict, the messages and the value its text gets as a field of the page's form, each
    distinct text of a column once. Before that, a file's own conventions are read as a form's: a label for
    a code (``column_texts``), ``2022/03/10`` for ``2022-03-10`` in a time. A time comes back as (aware
    time, its local date, ISO text), what the rows and the COPY stream need."""

    def __init__(self, schema):
        self.reader = inputs.ColumnReader(schema)
        self.zone = timezone.get_current_timezone()
        self._moments: dict[tuple[str, str], tuple] = {}

    def value(self, row_errors: list, name: str, text: str):
        """The field's value for ``text`` (None when empty or refused), its messages into ``row_errors``."""
        value, messages = self.reader.read(name, text)
        if messages:
            row_errors.extend((name, message) for message in messages)
        return None if value is inputs.ABSENT else value

    def moment(self, row_errors: list, name: str, text: str) -> tuple[dt.datetime, dt.date, str] | None:
        key = (name, text)
        found = self._moments.get(key)
        if found is None:
            if len(self._moments) >= self.reader.KEPT:
                self._moments.clear()
            value, messages = self.reader.read(name, text.replace("/", "-"))
            if value is inputs.ABSENT or value is None:
                found = (None, messages)
            else:
                found = ((value, value.astimezone(self.zone).date(), value.isoformat()), messages)
            self._moments[key] = found
        if found[1]:
            row_errors.extend((name, message) for message in found[1])
        return found[0]


def own_number(row_errors: list, column: str, number: str, seen: set, duplicate_message: str) -> None:
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


class RegionCheck:
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


ELSEWHERE = object()  # RowPersons.resolve: the citizen ID is registered outside the importer's regions


def elsewhere_error(column: str = "citizen_id") -> tuple[str, str]:
    """The row's only error when its person is registered elsewhere (the page's ``PersonElsewhereError``)."""
    return column, str(PersonElsewhereError())


class RowPersons:
    """The person of each row, by citizen-ID hash: a registered person (in the user's scope), or a new one
    checked here (``PersonChecker``) and registered when the rows are written.

    ``resolve`` returns a reference to the person, recording the row's errors otherwise: the id of a
    registered person; for a new one, its reserved id (``reserve=True``, PostgreSQL: rows can then be
    written before their persons) or ``-(k + 1)`` for the k-th new person, which ``person_id`` turns into
    an id once ``write`` has registered them.
    """

    def __init__(self, *, actor, rows: list[dict], pending: list[int], codes, reserve: bool = False,
                 residence_default: str = "", residence_errors_under_default: bool = False):
        self.actor = actor
        # An empty region of residence is the row's ``residence_default`` column (as the form and the API
        # of the same action take it), its errors then under that column when ``..._under_default``.
        self.residence_default, self.under_default = residence_default, residence_errors_under_default
        self.checker = PersonChecker(actor=actor, regions=codes)
        self.rows = rows
        parsed = citizen_ids_parse_many([(rows[i].get("citizen_id") or "") for i in pending])
        self.parsed = dict(zip(pending, parsed, strict=True))
        valid = [(i, p.number) for i, p in self.parsed.items() if isinstance(p, CitizenId)]
        lookup = protection.identifier_lookup([number for _i, number in valid], CITIZEN_ID)
        hashes = lookup.current
        self.hash_of = {i: h for (i, _n), h in zip(valid, hashes, strict=True)}
        self.known: dict[str, tuple[int, str]] = {
            lookup.canonical(h): (pk, region)
            for h, pk, region in rows_by(Person, "citizen_id_hash", lookup.hashes, ("id", "address_region"))}
        self.reserved: dict[str, int] | None = None
        if reserve:
            unknown = sorted(set(hashes) - self.known.keys())
            self.reserved = dict(zip(unknown, ids_reserve(Person, len(unknown)), strict=True))
        self.fresh: list = []  # CheckedPerson, in the order they will be written
        self._fresh_ref: dict[str, int] = {}
        self._failed_row: dict[str, int] = {}  # hash -> the file row whose person fields were wrong
        self._values = FileValues()
        self.region_of: dict[int, str] = {}  # reference -> address region code
        self.known_used: set[int] = set()  # ids of the registered persons the rows refer to
        self._ids: list[int] = []

    def resolve(self, i: int, row_errors: list) -> int | None:
        parsed = self.parsed[i]
        if not (self.rows[i].get("citizen_id") or "").strip():
            row_errors.extend(rules.person_named(""))
            return None
        if not isinstance(parsed, CitizenId):
            row_errors.append(("citizen_id", parsed))
            return None
        h = self.hash_of[i]
        known = self.known.get(h)
        if known is not None and not in_scope(self.actor, known[1]):
            # As the page: the person's fields are checked as for a new person (the registry does not say
            # the number is known elsewhere until they pass), then the row is refused for that alone.
            if self._person_checked(i, h, parsed, row_errors) is None:
                return None
            return ELSEWHERE
        if known is not None:
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
        checked = self._person_checked(i, h, parsed, row_errors)
        if checked is None:
            self._failed_row[h] = i + 2
            return None
        self.fresh.append(checked)
        reference = self.reserved[h] if self.reserved is not None else -len(self.fresh)
        self._fresh_ref[h] = reference
        self.region_of[reference] = checked.address_region_id
        return reference

    def _person_checked(self, i: int, h: str, parsed: CitizenId, row_errors: list):
        """The row's person as a new one (``PersonChecker``), or None with its errors in ``row_errors``."""
        row = self.rows[i]
        birth = self._values.date((row.get("birth_date") or "").strip())
        birth_error = birth if isinstance(birth, str) else None
        address_region = (row.get("address_region") or "").strip()
        defaulted = not address_region and bool(self.residence_default)
        if defaulted:
            address_region = (row.get(self.residence_default) or "").strip()
        checked, errors = self.checker.check(
            name=row.get("name") or "", address_region=address_region,
            sex=import_columns.coded("sex", (row.get("sex") or "").strip()),
            birth_date=None if birth_error else birth, parsed_id=parsed, citizen_id_hash=h,
            phone=(row.get("phone") or "").strip())
        if birth_error:
            row_errors.append(("birth_date", birth_error))
        if errors or birth_error:
            rename = {"address_region": self.residence_default} if defaulted and self.under_default else {}
            row_errors.extend((rename.get(field, field), message) for field, messages in errors.items()
                              for message in messages)
            return None
        return checked

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
