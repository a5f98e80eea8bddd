"""A day's health checks imported as the platform's import jobs (``ModuleConfig.import_kinds``, run by
``fangkong.cases.jobs``: the upload kept sealed while the job may run, its progress and every refused row on
the job's page ``cases:import-job``): a quarantine site's or a district's sheet of the day, up to a million
rows.

The file's columns are the fields of the check's input schema, the one the page and the API use
(``inputs.CheckFields``: ``subject``, ``day``, ``slot``, ``temperature``, ``symptoms``, ``not_possible``,
``note``, ``checked_at``, ``reason``; ``subject``, ``day`` and ``slot`` required). Each cell is read as the
page reads its field, each distinct text of a column once (``fangkong.inputs.ColumnReader``), several
symptoms in one cell separated by ``;``, ``,`` or ``、``; then every row goes through the rule across the
fields (``inputs.check_complete``) and the service's rules on the time of the check, and its outcome is
decided as a single check's (``services.check_outcome``). What needs the database — the person, their
period, a check already recorded — is checked by set and written by set (``services.health_checks_import``):
all rows or none, a file imported twice changes nothing, audited once. Errors name the row (the header being
row 1) and the column, never a cell's value.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong import table_files
from fangkong.accounts.access import can
from fangkong.cases.imports import ImportOutcome, ImportRejected
from fangkong.inputs import ABSENT, ColumnReader
from fangkong.table_files import TableLimits, TableRejected, read_table

from . import services
from .apps import RECORD
from .inputs import CheckFields, check_complete

CHECKS = "followup_checks"  # the import job's kind (``apps.py``)
#: A day's checks of a city: a million rows in CSV (about 60 MB), no more rows than a spreadsheet holds.
LIMITS = TableLimits(max_bytes=200 * 1024 * 1024, max_rows=1_048_575, max_columns=16)
REQUIRED = ("subject", "day", "slot")
SEPARATORS = re.compile(r"\s*[;,、，；]\s*")
PROGRESS_EVERY = 10_000


def checks_allowed(actor) -> None:
    if not can(actor, RECORD):
        raise PermissionDenied(_("Your role may not record follow-ups."))


def checks_run(*, actor, data: bytes, name: str, source: str, progress=None) -> ImportOutcome:
    """The import job's run (``fangkong.modules.ImportKind.run``): ``ImportRejected`` with every refused row,
    nothing stored; otherwise the checks created or corrected, and those already recorded as the file says."""
    result = checks_import(actor=actor, data=data, name=name, source=source, progress=progress)
    if result.errors:
        raise ImportRejected(result.errors)
    return ImportOutcome(created=result.created + result.corrected, existing=result.existing, persons_created=0)


def checks_import(*, actor, data: bytes, name: str, source: str = "", progress=None,
                  request=None) -> services.ChecksImported:
    """Read the file's rows (module docstring) and hand them to ``services.health_checks_import``."""
    checks_allowed(actor)
    try:
        header, cells = table_read(data, name)
    except TableRejected as exc:
        return services.ChecksImported(errors=[{"row": exc.row, "column": "", "message": exc.message}])
    staged, errors = rows_read(header, cells, progress=progress)
    return services.health_checks_import(actor=actor, rows=staged, errors=errors, source=source,
                                         file_type=name.rpartition(".")[2][:8].lower(), request=request)


def table_read(data: bytes, name: str) -> tuple[list[str], list[list[str]]]:
    """The header (names stripped and lower-cased) and the rows' cells of the file, within ``LIMITS``; blank
    rows left out. An XLSX is read by the platform's reader (``fangkong.table_files.read_table``); a CSV, on
    the same rules (its kind, its size, UTF-8 with or without BOM, no NUL, the caps on rows and columns), by
    ``csv`` straight into lists — a million ``Row``s cost more than the rest of the import."""
    table_files.size_check(len(data), LIMITS)
    if table_files.kind_of(name, bytes(data[:len(table_files.XLSX_MAGIC)])) == "xlsx":
        rows = read_table(data, name, LIMITS)
        if not rows:
            return [], []
        index = type(rows[0]).index
        header = [""] * (max(index.values()) + 1)
        for column, position in index.items():
            header[position] = column
        return header, [list(row.cells) for row in rows]
    if b"\x00" in data:
        raise TableRejected(_("The file holds a NUL character, which cannot be stored."), row=0)
    try:
        lines = list(csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")))
    except UnicodeDecodeError as exc:
        raise TableRejected(_("The file is not UTF-8 text.")) from exc
    except csv.Error as exc:
        raise TableRejected(_("The file cannot be read as CSV: %(error)s") % {"error": exc}) from exc
    if not lines:
        return [], []
    header = [text.strip().lower() for text in lines[0]]
    cells = [line for line in lines[1:] if any(line)]
    if len(cells) > LIMITS.max_rows:
        raise TableRejected(_("The file has more than %(cap)s rows (the cap is met at row %(row)s).")
                            % {"cap": f"{LIMITS.max_rows:,}", "row": f"{LIMITS.max_rows + 2:,}"}, row=LIMITS.max_rows + 2)
    if len(header) > LIMITS.max_columns or any(len(line) > LIMITS.max_columns for line in cells):
        raise TableRejected(_("The file has more than %(cap)d columns.") % {"cap": LIMITS.max_columns}, row=1)
    return header, cells


class _Column:
    """One column of the file read through the check's schema: each distinct text once (``ColumnReader``)."""

    def __init__(self, reader: ColumnReader, name: str, texts):
        self.verdicts = {text: reader.read(name, text.strip()) for text in set(texts)}
        self.refused = {text for text, (_value, messages) in self.verdicts.items() if messages}


def rows_read(header: list[str], cells: list[list[str]], *, progress=None) -> tuple[list[tuple], list[dict]]:
    """The rows as ``services.health_checks_import`` stages them, and the errors of those refused here.

    Column by column, each distinct text once: a day's file holds a million subjects but a handful of days,
    slots, temperatures, times and notes. A ``subject`` that is a plain decimal number (ASCII digits, no
    sign, no leading zero, at most 18 digits) is the id the schema's ``Id`` field reads it as (``int``; the
    test ``test_a_plain_number_reads_as_the_schema_reads_it`` holds them together); any other text goes
    through the field. The rule across the fields (``inputs.check_complete``) and the outcome
    (``services.check_outcome``) are decided once per distinct combination of the cells they read."""
    if not cells:
        return [], []
    fields = list(CheckFields().fields)
    names = [name for name in header if name]
    unknown = [c for c in names if c not in fields]
    missing = [c for c in REQUIRED if c not in names]
    if unknown or missing:
        return [], ([{"row": 1, "column": c, "message": _("This column is missing.")} for c in missing]
                    + [{"row": 1, "column": c, "message": _("Unknown column: the columns are %(columns)s.")
                        % {"columns": ", ".join(fields)}} for c in unknown])
    reader = ColumnReader(CheckFields)
    total = len(cells)
    by_name = dict(zip(header, itertools.zip_longest(*cells, fillvalue=""), strict=False))
    blank = ("",) * total
    columns = {name: by_name.get(name, blank) for name in fields}
    errors: list[dict] = []

    def refuse(name: str, column: _Column) -> None:
        for i, text in enumerate(columns[name]):
            if text in column.refused:
                errors.extend({"row": i + 2, "column": name, "message": str(m)} for m in column.verdicts[text][1])

    read = {}
    for name in ("day", "slot", "temperature", "not_possible", "note", "checked_at", "reason"):
        read[name] = _Column(reader, name, columns[name]) if name in by_name else None
        if read[name] is not None and read[name].refused:
            refuse(name, read[name])
    subjects, bad_subjects = [], {}
    for text in columns["subject"]:
        if text.isascii() and text.isdigit() and text[0] != "0" and len(text) <= 18:
            subjects.append(int(text))
        else:
            found = bad_subjects.get(text) or reader.read("subject", text.strip())
            bad_subjects[text] = found
            subjects.append(found[0] if not found[1] else None)
    for i, text in enumerate(columns["subject"]):
        if subjects[i] is None:
            errors.extend({"row": i + 2, "column": "subject", "message": str(m)} for m in bad_subjects[text][1])
    symptoms = {text: _symptoms(reader, text) for text in set(columns["symptoms"])}
    for i, text in enumerate(columns["symptoms"]):
        if symptoms[text][1]:
            errors.extend({"row": i + 2, "column": "symptoms", "message": str(m)} for m in symptoms[text][1])
    if progress is not None:
        progress(total // 2, total)

    def value(name: str, text: str):
        column = read[name]
        if column is None:
            found = reader.read(name, None)
            return None if found[0] is ABSENT else found[0]
        found = column.verdicts[text]
        return None if found[0] is ABSENT else found[0]

    refused = {e["row"] for e in errors}
    now = timezone.now()
    late, decided = now + services.LATE, {}
    staged = []
    for i, key in enumerate(zip(columns["day"], columns["temperature"], columns["symptoms"], columns["not_possible"],
                                columns["note"], columns["checked_at"], columns["slot"], columns["reason"],
                                strict=True)):
        if i + 2 in refused:
            continue
        verdict = decided.get(key)
        if verdict is None:
            verdict = decided[key] = _decide(key, value, symptoms, now, late)
        if verdict[0]:
            errors.extend({"row": i + 2, "column": c, "message": str(m)} for c, m in verdict[0])
        else:
            staged.append((i + 2, subjects[i], *verdict[1]))
    if progress is not None:
        progress(total, total)
    errors.sort(key=lambda e: (e["row"], e["column"]))
    return staged, errors


def _symptoms(reader: ColumnReader, text: str) -> tuple[list[str], list]:
    """The symptoms of a cell (several separated by ``;``, ``,`` or ``、``), each read by the schema's field."""
    chosen, messages = set(), []
    for piece in filter(None, SEPARATORS.split(text.strip())):
        value, refused = reader.read("symptoms", piece)
        messages.extend(refused)
        chosen.update(value if value is not ABSENT else ())
    return sorted(chosen), messages


def _decide(key: tuple, value, symptoms: dict, now, late) -> tuple[list, tuple]:
    """The faults of a row with these cells (but its subject), or what is staged of it after the subject."""
    day_text, temperature_text, symptoms_text, not_possible_text, note_text, at_text, slot_text, reason_text = key
    day = value("day", day_text)
    attrs = {"temperature": value("temperature", temperature_text), "symptoms": symptoms[symptoms_text][0],
             "not_possible": bool(value("not_possible", not_possible_text)), "note": value("note", note_text) or ""}
    faults = [(name, m) for name, messages in check_complete(attrs).items() for m in messages]
    checked_at = value("checked_at", at_text)
    if not faults and checked_at is not None:
        if checked_at > late:
            faults.append(("checked_at", _("The time of the check is in the future.")))
        elif timezone.localtime(checked_at).date() < day:
            faults.append(("checked_at", _("A check cannot be made before its day.")))
    if faults:
        return faults, ()
    outcome, temperature, chosen = services.check_outcome(attrs["temperature"], attrs["symptoms"],
                                                          attrs["not_possible"])
    return [], (day, value("slot", slot_text), outcome, temperature, json.dumps(chosen), attrs["note"].strip(),
                checked_at or now, (value("reason", reason_text) or "").strip())
