"""CSV/XLSX import of cases and contacts: every row validated, all or nothing, idempotent, audited.

Three modules: ``machinery`` (what both imports share: columns, the file's limits, reading and checking
the table, the persons of the rows, the look-ups by set), ``contacts`` (``contacts_import``) and ``cases``
(``cases_import``); this package gives their public names.

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

from fangkong.cases.imports.cases import cases_import
from fangkong.cases.imports.contacts import CONTACT_COPY_COLUMNS, contacts_import
from fangkong.cases.imports.machinery import (
    CASE_COLUMNS,
    COLUMNS,
    CONTACT_COLUMNS,
    EARLIES_COLUMNS,
    LIMITS,
    MAX_BYTES,
    OPTIONAL_COLUMNS,
    PERSON_COLUMNS,
    ImportOutcome,
    ImportRejected,
    read_table,
    template_csv,
)

__all__ = ["CASE_COLUMNS", "COLUMNS", "CONTACT_COLUMNS", "CONTACT_COPY_COLUMNS", "EARLIES_COLUMNS", "LIMITS",
           "MAX_BYTES", "OPTIONAL_COLUMNS", "PERSON_COLUMNS", "ImportOutcome", "ImportRejected", "cases_import",
           "contacts_import", "read_table", "template_csv"]
