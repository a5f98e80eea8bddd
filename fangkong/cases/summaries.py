"""The daily tracing summary (``DailyTracing``): one row per region and day, kept in step with the rows.

A row holds, for one region (the contacts' *managing* region, the cases' region *of report*: the same
fields the scope rule uses) and one day (a contact's local *listing* date, a case's *report* date):

- close contacts listed that day; of them listed within 24 h of their source case's report, quarantined
  (a quarantine time is recorded), quarantined within 24 h of being listed;
- contacts of close contacts listed that day;
- contacts of either category listed that day whose status is *quarantined* now;
- cases reported that day; of them found among listed contacts ("under management").

Every write that changes a case or a contact calls ``tracing_summary_refresh`` with the (region, day)
keys it touched — the old and the new ones when a row moves — inside its own transaction: the rows of
those keys are deleted and recomputed from the contacts and cases with one grouped ``INSERT … SELECT``
per batch of keys. ``tracing_summary_rebuild`` recomputes everything (after a loader that writes with
COPY or ``bulk_create``; ``fangkong tracing_summary_rebuild`` on the command line).

Concurrency (PostgreSQL): a refresh first takes ``SHARE ROW EXCLUSIVE`` on the summary table (readers
are not blocked; a second refresher waits until the first one's transaction ends), so its grouped read
sees every committed write and the writes of its own transaction: of two concurrent writes to the same
key, the one that commits last recomputes the row with both. SQLite serialises writers anyway.

A refresh also bumps the data generation (``fangkong.data_generation``) on commit: the dashboard's
cached figures are keyed on it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction

from fangkong.cases.models import Case, Contact, ContactCategory, ContactStatus, DailyTracing
from fangkong.data_generation import bump_data_generation

#: Keys recomputed per statement (a day's regions go into one ``IN`` list).
BATCH_KEYS = 1000

SUMMARY_COLUMNS = ("region_id", "day", "close_contacts", "listed_24h", "quarantined", "quarantined_24h",
                   "secondary_contacts", "in_quarantine", "new_cases", "under_management")


def _grouped_select(contact_where: str, case_where: str) -> str:
    """The summary rows of the contacts and cases matching the two WHERE clauses (one grouped SELECT)."""
    close, secondary = ContactCategory.CLOSE.value, ContactCategory.SECONDARY.value
    quarantined = ContactStatus.QUARANTINED.value
    counted = ", ".join(f"SUM({c})" for c in SUMMARY_COLUMNS[2:])
    # Only model names, choice values and placeholders go into the text; values are parameters.
    return f"""
        SELECT region_id, day, {counted} FROM (
            SELECT region_id, listed_date AS day,
                   SUM(CASE WHEN category = '{close}' THEN 1 ELSE 0 END) AS close_contacts,
                   SUM(CASE WHEN category = '{close}' AND listed_within_24h THEN 1 ELSE 0 END) AS listed_24h,
                   SUM(CASE WHEN category = '{close}' AND quarantined_at IS NOT NULL THEN 1 ELSE 0 END)
                       AS quarantined,
                   SUM(CASE WHEN category = '{close}' AND quarantined_within_24h THEN 1 ELSE 0 END)
                       AS quarantined_24h,
                   SUM(CASE WHEN category = '{secondary}' THEN 1 ELSE 0 END) AS secondary_contacts,
                   SUM(CASE WHEN status = '{quarantined}' THEN 1 ELSE 0 END) AS in_quarantine,
                   0 AS new_cases, 0 AS under_management
              FROM {Contact._meta.db_table}
             WHERE listed_date IS NOT NULL AND category IN ('{close}', '{secondary}') AND ({contact_where})
             GROUP BY region_id, listed_date
            UNION ALL
            SELECT report_region_id, report_date, 0, 0, 0, 0, 0, 0, COUNT(*),
                   SUM(CASE WHEN found_under_management THEN 1 ELSE 0 END)
              FROM {Case._meta.db_table}
             WHERE {case_where}
             GROUP BY report_region_id, report_date
        ) AS parts
        GROUP BY region_id, day"""  # noqa: S608


def _insert(contact_where: str, case_where: str, params: list) -> None:
    columns = ", ".join(SUMMARY_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {DailyTracing._meta.db_table} ({columns}) "
                       f"{_grouped_select(contact_where, case_where)}", params)


def _lock() -> None:
    """Serialise refreshers (PostgreSQL): see the module docstring."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {DailyTracing._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def _normalised(keys: Iterable[tuple[str, dt.date]]) -> dict[dt.date, list[str]]:
    """{day: sorted region codes}; keys without a region or a day are dropped."""
    by_day: dict[dt.date, set[str]] = defaultdict(set)
    for code, day in keys:
        if not code or day is None:
            continue
        if isinstance(day, dt.datetime):
            raise TypeError("summary keys take local dates, not datetimes")
        by_day[day].add(str(code))
    return {day: sorted(codes) for day, codes in sorted(by_day.items())}


def _batches(by_day: dict[dt.date, list[str]]):
    """Lists of (day, codes) holding at most ``BATCH_KEYS`` keys each."""
    batch, size = [], 0
    for day, codes in by_day.items():
        for start in range(0, len(codes), BATCH_KEYS):
            part = codes[start:start + BATCH_KEYS]
            if batch and size + len(part) > BATCH_KEYS:
                yield batch
                batch, size = [], 0
            batch.append((day, part))
            size += len(part)
    if batch:
        yield batch


@transaction.atomic
def tracing_summary_refresh(keys: Iterable[tuple[str, dt.date]]) -> int:
    """Recompute the summary rows of the given (region code, local date) keys from the contacts and cases.

    Call it in the transaction of the write, after the write, with every key the write touched (old and
    new region/date of a row that moved). Returns the number of keys refreshed.
    """
    by_day = _normalised(keys)
    if not by_day:
        return 0
    _lock()
    for batch in _batches(by_day):
        params_delete: list = []
        params_contacts: list = []
        params_cases: list = []
        clauses_delete, clauses_contacts, clauses_cases = [], [], []
        for day, codes in batch:
            marks = ", ".join(["%s"] * len(codes))
            clauses_delete.append(f"(day = %s AND region_id IN ({marks}))")
            clauses_contacts.append(f"(listed_date = %s AND region_id IN ({marks}))")
            clauses_cases.append(f"(report_date = %s AND report_region_id IN ({marks}))")
            value = connection.ops.adapt_datefield_value(day)
            for params in (params_delete, params_contacts, params_cases):
                params.extend([value, *codes])
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {DailyTracing._meta.db_table} WHERE {' OR '.join(clauses_delete)}",  # noqa: S608
                           params_delete)
        _insert(" OR ".join(clauses_contacts), " OR ".join(clauses_cases), params_contacts + params_cases)
    bump_data_generation()
    return sum(len(codes) for codes in by_day.values())


@transaction.atomic
def tracing_summary_rebuild() -> int:
    """Recompute every summary row from all contacts and cases; returns the number of rows."""
    _lock()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DailyTracing._meta.db_table}")  # noqa: S608 (the model's table)
    _insert("1 = 1", "1 = 1", [])
    bump_data_generation()
    return DailyTracing.objects.count()


def contact_keys(*contacts) -> set[tuple[str, dt.date]]:
    """The summary keys of contacts (instances, or dicts/tuples of region code and listing date)."""
    return {(c.region_id, c.listed_date) for c in contacts if c is not None}


def case_keys(*cases) -> set[tuple[str, dt.date]]:
    """The summary keys of cases (their region of report and report date)."""
    return {(c.report_region_id, c.report_date) for c in cases if c is not None}
