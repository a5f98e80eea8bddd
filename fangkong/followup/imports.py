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

import json
import re

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

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
        rows = read_table(data, name, LIMITS)
    except TableRejected as exc:
        return services.ChecksImported(errors=[{"row": exc.row, "column": "", "message": exc.message}])
    staged, errors = rows_read(rows, progress=progress)
    return services.health_checks_import(actor=actor, rows=staged, errors=errors, source=source,
                                         file_type=name.rpartition(".")[2][:8].lower(), request=request)


def rows_read(rows: list, *, progress=None) -> tuple[list[tuple], list[dict]]:
    """The rows as ``services.health_checks_import`` stages them, and the errors of those refused here."""
    if not rows:
        return [], []
    header = type(rows[0]).index
    fields = list(CheckFields().fields)
    unknown = [c for c in header if c not in fields]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing:
        return [], ([{"row": 1, "column": c, "message": _("This column is missing.")} for c in missing]
                    + [{"row": 1, "column": c, "message": _("Unknown column: the columns are %(columns)s.")
                        % {"columns": ", ".join(fields)}} for c in unknown])
    reader = ColumnReader(CheckFields)
    present = [(name, header[name]) for name in fields if name in header and name != "symptoms"]
    absent = {}
    for name in fields:
        if name not in header:
            value, _messages = reader.read(name, None)
            if value is not ABSENT:
                absent[name] = value
    symptoms_at = header.get("symptoms")
    now = timezone.now()
    late, day_of = now + services.LATE, {}
    staged, errors, total = [], [], len(rows)
    for number, row in enumerate(rows, start=2):
        cells, values, faults = row.cells, dict(absent), []
        for name, position in present:
            value, messages = reader.read(name, cells[position] if position < len(cells) else "")
            if messages:
                faults.extend((name, m) for m in messages)
            elif value is not ABSENT:
                values[name] = value
        if symptoms_at is not None and symptoms_at < len(cells) and cells[symptoms_at]:
            chosen = set()
            for text in filter(None, SEPARATORS.split(cells[symptoms_at])):
                value, messages = reader.read("symptoms", text)
                faults.extend(("symptoms", m) for m in messages)
                chosen.update(value if value is not ABSENT else ())
            values["symptoms"] = chosen
        if not faults:
            faults.extend((name, m) for name, messages in check_complete(values).items() for m in messages)
        checked_at = values.get("checked_at") or now
        if not faults and checked_at is not now:
            if checked_at > late:
                faults.append(("checked_at", _("The time of the check is in the future.")))
            else:
                day = day_of.get(checked_at)
                if day is None:
                    day = day_of[checked_at] = timezone.localtime(checked_at).date()
                if day < values["day"]:
                    faults.append(("checked_at", _("A check cannot be made before its day.")))
        if faults:
            errors.extend({"row": number, "column": c, "message": str(m)} for c, m in faults)
        else:
            outcome, temperature, symptoms = services.check_outcome(values.get("temperature"), values["symptoms"],
                                                                    values.get("not_possible", False))
            staged.append((number, values["subject"], values["day"], values["slot"], outcome, temperature,
                           json.dumps(symptoms), values.get("note", "").strip(), checked_at,
                           values.get("reason", "").strip()))
        if progress is not None and (number - 1) % PROGRESS_EVERY == 0:
            progress(number - 1, total)
    if progress is not None:
        progress(total, total)
    return staged, errors
