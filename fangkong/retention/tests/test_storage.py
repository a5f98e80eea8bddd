"""After a purge the raw storage holds none of the purged persons' names, citizen IDs or phones: the SQLite
database's bytes (every page, free ones included: ``PRAGMA secure_delete``) and, on PostgreSQL, every table
read as text (``COPY … TO STDOUT``). The persons kept are still there (the check would see them)."""

from __future__ import annotations

import pytest
from django.db import connection

from fangkong.retention.services import purge_decide, purge_plan, purge_run

from .conftest import AS_OF

# In the test's transaction: SQLite's serialised image and PostgreSQL's COPY both read this connection's
# pages and rows, the purge's changes included (``secure_delete`` zeroes a deleted cell in its page at once).
pytestmark = pytest.mark.django_db


def _storage_bytes() -> bytes:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.serialize()  # the database file's pages, byte for byte
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            with cursor.cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                chunks.extend(bytes(data) for data in copy)
    return b"".join(chunks)


def _needles(identity) -> list[bytes]:
    name, cid, phone = identity
    return [name.encode(), cid.encode(), phone.encode(), phone[-8:].encode()]


def test_the_storage_keeps_nothing_of_the_purged_persons(scenario, admin1, admin2):
    stored = _storage_bytes()
    assert all(needle in stored for needle in _needles(scenario.identities[0])[:1])  # the check sees names
    purge = purge_plan(actor=admin1, region="440000", as_of=AS_OF)
    purge_decide(actor=admin2, purge=purge, approve=True)
    purge = purge_run(purge_id=purge.pk)
    assert purge.status == "done"
    stored = _storage_bytes()
    found = [needle.decode() for identity in scenario.identities for needle in _needles(identity) if needle in stored]
    assert found == []
    assert all(identity[0].encode() in stored for identity in scenario.kept_identities)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's free pages: PostgreSQL's COPY reads live rows")
def test_without_secure_delete_the_sqlite_bytes_would_still_hold_them(scenario, admin1, admin2, monkeypatch):
    """The check above is not empty: the same purge without ``secure_delete`` leaves names in freed space."""
    from fangkong.retention import purge as purging

    monkeypatch.setattr(purging, "_secure_storage", lambda: None)
    # nor the keyring's rotation after it, whose rewriting of every kept row may reuse the freed pages: this
    # test shows what secure_delete alone does
    monkeypatch.setattr(purging, "_keys_shred", lambda purge: None)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete = OFF")
    purge = purge_plan(actor=admin1, region="440000", as_of=AS_OF)
    purge_decide(actor=admin2, purge=purge, approve=True)
    purge_run(purge_id=purge.pk)
    stored = _storage_bytes()
    assert any(needle in stored for identity in scenario.identities for needle in _needles(identity))
