"""Bulk writes to PostgreSQL with COPY, in the caller's transaction (the import paths of persons and contacts).

- ``copy_text`` / ``copy_rows``: values in COPY's text format, streamed to the server while Python
  prepares the next chunk; ``ids_reserve``: primary keys drawn ahead, so rows can refer to rows not yet
  written.
- ``foreign_keys_checked_by_set``: the referential checks of a bulk write done once per foreign key
  instead of once per row and key. PostgreSQL checks a foreign key with a trigger per inserted row; for
  a million contacts (six keys each) and their persons (two) that is eight million trigger calls, about
  35 s at commit on the benchmark machine — more than a third of the import. Inside the block the row
  triggers are off (``SET LOCAL session_replication_role = replica``, as ``pg_restore --disable-triggers``
  does); at its end every foreign key of the models written is checked for the rows written in the block
  with one statement that both proves every referenced row exists and locks it ``FOR KEY SHARE`` (what
  the per-row check does: a concurrent deletion of a referenced case or region then waits for this
  transaction and fails after it). A missing row raises ``IntegrityError`` and the caller's transaction
  is rolled back, as a failed trigger check would.

  Setting ``session_replication_role`` needs a superuser or, from PostgreSQL 15, a grant::

      GRANT SET ON PARAMETER session_replication_role TO fangkong;

  Without it (or when a table written has a trigger of its own, which replica mode would silence, or on
  another database) the block changes nothing and the per-row triggers check as usual: the result is the
  same, only slower.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import DatabaseError, IntegrityError, connection, transaction
from psycopg.copy import QueuedLibpqWriter


def copy_text(value) -> str:
    """A value in PostgreSQL's COPY text format (``\\N`` for None; backslash, tab and newlines escaped)."""
    if value is None:
        return "\\N"
    text = value if isinstance(value, str) else value.isoformat() if hasattr(value, "isoformat") else str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def copy_rows(table: str, columns: list[str], chunks) -> None:
    """COPY ``chunks`` (strings of tab-separated rows, each ending in a newline) into ``table`` on the
    default connection, inside the caller's transaction (PostgreSQL with psycopg 3).

    A worker thread of psycopg sends the data (``QueuedLibpqWriter``) while this thread formats the next
    chunk, so the server ingests while Python prepares. ``chunks`` may be a generator doing work of its
    own, but no query: the connection is busy with the COPY (a query would wait for it forever, so it is
    refused with ``RuntimeError``).
    """
    with connection.cursor() as cursor, connection.execute_wrapper(_no_query_during_copy):
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN", writer=QueuedLibpqWriter(raw)) as copy:
            for chunk in chunks:
                copy.write(chunk)


def _no_query_during_copy(execute, sql, params, many, context):
    raise RuntimeError(f"a query while COPY is writing on the same connection: {sql[:80]}")


def copy_available() -> bool:
    return connection.vendor == "postgresql" and hasattr(connection.connection, "cursor")


def ids_reserve(model, count: int) -> list[int]:
    """``count`` fresh primary keys from the table's sequence (PostgreSQL), for rows written later with
    explicit ids — so that other rows can refer to them before they exist (foreign keys are checked at
    commit or by ``foreign_keys_checked_by_set``)."""
    if count <= 0:
        return []
    meta = model._meta
    with connection.cursor() as cursor:  # only the model's own table and column names go into the text
        cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{meta.db_table}', '{meta.pk.column}')) "  # noqa: S608
                       "FROM generate_series(1, %s)", [count])
        return [row[0] for row in cursor.fetchall()]


@contextmanager
def foreign_keys_checked_by_set(*models, proven: dict[str, str] | None = None):
    """Within the block (inside a transaction), rows of ``models`` are written without per-row foreign-key
    triggers when the database role may turn them off; on leaving it without an exception, every foreign
    key of ``models`` is checked (and its referenced rows locked) for the rows whose primary key is
    above the largest one at entry. Yields whether the triggers are off.

    ``proven``: ``"model_label.field"`` → why that key needs no check — the caller wrote its values from the
    referenced rows, read in this transaction, that cannot be deleted before it commits (say why: another
    foreign key protects them). Locking a million referenced rows ``FOR KEY SHARE`` costs seconds that such a
    key does not need; every other key is checked as above.

    The rows written in the block must take their primary keys from the table's sequence after entry (or
    from ids drawn from it after entry), so that "above the largest at entry" covers all of them; rows
    other transactions committed meanwhile are checked again, harmlessly.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("foreign_keys_checked_by_set needs a transaction")
    if not copy_available() or _own_triggers(models):
        yield False
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        previous = cursor.fetchone()[0]
        try:
            with transaction.atomic():  # a savepoint: a refused SET leaves the transaction usable
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            yield False
            return
        bounds = {}
        for model in models:
            meta = model._meta
            cursor.execute(f"SELECT COALESCE(MAX({meta.pk.column}), 0) FROM {meta.db_table}")  # noqa: S608
            bounds[model] = cursor.fetchone()[0]
    try:
        yield True
    except DatabaseError:
        raise  # the transaction is aborted: its rollback undoes the SET LOCAL
    except BaseException:
        _role_set(previous)
        raise
    _role_set(previous)
    for model, bound in bounds.items():
        for field in model._meta.concrete_fields:
            if field.remote_field is not None and field.db_constraint \
                    and f"{model._meta.label_lower}.{field.name}" not in (proven or {}):
                _foreign_key_check(model, field, bound)


def _role_set(role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('session_replication_role', %s, true)", [role])


def _own_triggers(models) -> bool:
    """Whether a table of ``models`` has a trigger other than PostgreSQL's own constraint triggers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE NOT tgisinternal "
                       "AND tgrelid = ANY(%s::regclass[]))", [[m._meta.db_table for m in models]])
        return cursor.fetchone()[0]


def _foreign_key_check(model, field, bound) -> None:
    """Every distinct non-null value of ``field`` among the rows above ``bound`` exists in the referenced
    table; the referenced rows are locked ``FOR KEY SHARE`` as the per-row trigger locks them."""
    meta, target = model._meta, field.target_field
    table, column, pk = meta.db_table, field.column, meta.pk.column
    ref_table, ref_column = target.model._meta.db_table, target.column
    sql = (f"WITH wanted AS MATERIALIZED (SELECT DISTINCT {column} AS k FROM {table} "  # noqa: S608 (names from the models)
           f"WHERE {pk} > %s AND {column} IS NOT NULL), "
           f"found AS (SELECT r.{ref_column} FROM {ref_table} r JOIN wanted ON r.{ref_column} = wanted.k "
           f"FOR KEY SHARE OF r) "
           f"SELECT (SELECT count(*) FROM wanted), (SELECT count(*) FROM found)")
    with connection.cursor() as cursor:
        cursor.execute(sql, [bound])
        wanted, found = cursor.fetchone()
    if found != wanted:
        raise IntegrityError(f"{table}.{column}: {wanted - found} value(s) not present in {ref_table}.{ref_column}")
