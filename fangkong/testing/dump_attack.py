"""The attack on a database dump that crypto-shredding must defeat (``fangkong.persons.shredding``), for the tests
of the persons package and of every purge (``fangkong.retention``): the persons' rows (and the import jobs'
uploaded files) as a dump taken now holds them, and an attacker holding everything the server holds (settings, ``PII_KEY``, the keyring file) trying to
open a row's sealed citizen ID, to find it by brute force against its look-up hash (the dump shows the region
and birth date beside it: a thousand candidates), or to confirm a phone number against its hash."""

from __future__ import annotations

import io
import sqlite3

from cryptography.exceptions import InvalidTag
from django.db import connection

from fangkong.persons import keyring, protection
from fangkong.persons.citizen_id import check_character

COLUMNS = ["id", "birth_date", "citizen_id_masked", "citizen_id_hash", "citizen_id_sealed", "phone_hash",
           "phone_sealed", "key_wrapped", "key_epoch"]


def table_dump(table: str, columns: list[str]) -> dict[int, dict]:
    """The rows of ``table`` (its first column the primary key) as a dump taken now holds them, read back from the
    dump — SQLite's database image, PostgreSQL's ``COPY`` text — not from the live table; binary columns as bytes."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        image = connection.connection.serialize()  # the database file's bytes
        copy = sqlite3.connect(":memory:")
        copy.deserialize(image)
        rows = copy.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()  # noqa: S608
        copy.close()
    else:
        text = io.StringIO()
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {table} ({', '.join(columns)}) TO STDOUT") as copy:
            for block in copy:
                text.write(bytes(block).decode())
        rows = [[_copy_value(v) for v in line.split("\t")] for line in text.getvalue().splitlines()]
    return {int(row[0]): dict(zip(columns, row, strict=True)) for row in rows}


def _copy_value(value: str):
    if value == "\\N":
        return None
    if value.startswith("\\\\x"):  # bytea in COPY's text format: \x and hex digits, the backslash escaped
        return bytes.fromhex(value[3:])
    return value


def persons_dump() -> dict[int, dict]:
    """The persons' rows as a dump taken now holds them."""
    return table_dump("persons_person", COLUMNS)


def import_jobs_dump() -> dict[int, dict]:
    """The import jobs' rows (their sealed uploaded file and name, their wrapped data key) as a dump taken now
    holds them."""
    return table_dump("cases_importjob", ["id", "data", "file_name", "key_wrapped", "key_epoch"])


def payload_decrypted(row: dict) -> bytes | None:
    """The attacker with the live keys on a dumped import job: every live epoch's KEK on the row's wrapped data
    key, then that key on the sealed file; and the ``PII_KEY``-derived key of the old scheme on the file itself."""
    from fangkong.cases.jobs import PAYLOAD

    data = bytes(row["data"] or b"")
    for epoch in keyring.load().epochs.values():
        try:
            key = protection.data_key_opener(epoch)(row["key_wrapped"])
        except (InvalidTag, ValueError):
            continue
        return protection.data_open_with(key, data, PAYLOAD)
    try:
        return protection.unseal(b"v1:" + data.partition(b":")[2], PAYLOAD)
    except (InvalidTag, ValueError):
        return None


def identifier_decrypted(row: dict) -> str | None:
    """The attacker with the live keys: every live epoch's KEK on the row's wrapped key, then the data key on
    the sealed ID; and the ``PII_KEY``-derived key of the old scheme on the sealed value itself."""
    for epoch in keyring.load().epochs.values():
        try:
            key = protection.data_key_opener(epoch)(row["key_wrapped"])
        except InvalidTag:
            continue
        return protection.identifier_open_with(key, row["citizen_id_sealed"], "citizen_id")
    try:
        return protection.decrypt("v1:" + row["citizen_id_sealed"].partition(":")[2], "citizen_id")
    except (InvalidTag, ValueError):
        return None


def _candidates(row: dict) -> list[str]:
    """Every citizen ID of the region (the mask's six digits) and birth date the dump shows beside the hash."""
    region, born = row["citizen_id_masked"][:6], str(row["birth_date"]).replace("-", "")
    return [first17 + check_character(first17) for first17 in (f"{region}{born}{seq:03d}" for seq in range(1000))]


def identifier_brute_forced(row: dict) -> str | None:
    """The candidate whose hash (under every live epoch's hash key, and the old global key) is the dump's."""
    candidates = _candidates(row)
    keys = [epoch.hash_key for epoch in keyring.load().epochs.values()]
    for digests in [protection.hashes_under(key, candidates, "citizen_id") for key in keys] + [
            protection.keyed_hashes(candidates, "citizen_id")]:
        if row["citizen_id_hash"] in digests:
            return candidates[digests.index(row["citizen_id_hash"])]
    return None


def phone_confirmed(row: dict, phone: str) -> bool:
    """Even knowing the phone, can the attacker confirm it against the dump's hash with any key the server has?"""
    keys = [epoch.hash_key for epoch in keyring.load().epochs.values()]
    return any(protection.hashes_under(key, [phone], "phone")[0] == row["phone_hash"] for key in keys) or \
        protection.keyed_hash(phone, "phone") == row["phone_hash"]
