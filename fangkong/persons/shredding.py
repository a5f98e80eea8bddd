"""Crypto-shredding: the keyring rotation that makes every earlier copy of deleted persons' identifiers unreadable.

Every model that holds a person's identifiers declares ``SEALED_IDENTIFIERS`` (identifier → (hash field or "",
sealed field); the identifier is the purpose its values are sealed and hashed for, unless ``SEALED_PURPOSES``
names a field whose value gives it per row) and has ``key_wrapped`` / ``key_epoch`` fields (``fangkong.persons.protection``: a data key per
row, wrapped under a keyring epoch). ``rotate`` is what the purge runs after it has deleted persons (and the
other rows holding their identifiers):

1. open a new keyring epoch (``keyring.epoch_open``): from then on new rows are written under it;
2. walk every holder table in primary-key order, ``batch`` rows per transaction: unwrap each row's data key
   with the old epoch's KEK, rewrap it under the new one, open its identifiers and rehash them with the new
   epoch's hash key;
3. when no row is left under an old epoch (checked under a ``SHARE`` lock of the holder tables on PostgreSQL,
   so no writer that started before is still inserting under the old epoch), **destroy** the old epochs
   (``keyring.epochs_destroy_before``).

It is resumable: progress is in the rows themselves (``key_epoch``), so a rotation killed at any point and run
again finishes the same work (step 1 resumes the epoch already opened). Two rotations do not run at once (a
lock file beside the keyring). After step 3 a database dump taken before the purge keeps the deleted persons'
wrapped data keys and hashes, but nothing the server has — settings, ``PII_KEY``, the keyring file — opens the
keys or confirms a guessed citizen ID or phone against the hashes (``tests/test_shredding.py`` tries).

``legacy_upgrade`` turns the identifiers sealed before per-row keys (``v1:``, under the key derived from
``PII_KEY``, and hashed with the global key) into the scheme above (the data migrations run it; ``rotate``
runs it first too). A dump taken *before that upgrade* stays readable with ``PII_KEY``: see
``docs/crypto-shredding.md``.
"""

from __future__ import annotations

import fcntl
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Q

from fangkong.persons import keyring, protection


def holders(registry=apps) -> list:
    """The models holding a person's identifiers (those that declare ``SEALED_IDENTIFIERS``): registry rows,
    and rows such as an import job that keep a file of them under a data key of their own."""
    return [model for model in registry.get_models() if getattr(model, "SEALED_IDENTIFIERS", None)]


def legacy_upgrade_of(model) -> Callable:
    """How ``model``'s rows sealed before per-row keys get one: ``legacy_upgrade``, or the function a model names
    in ``SEALED_LEGACY_UPGRADE`` (a dotted path) when its sealed values are not all identifiers (an import job's
    file is bytes). The function takes ``(model, *, batch)`` — ``model`` possibly a migration's historical one —
    and returns the rows upgraded."""
    from django.utils.module_loading import import_string

    current = apps.get_model(model._meta.label)
    path = getattr(current, "SEALED_LEGACY_UPGRADE", "")
    return import_string(path) if path else legacy_upgrade


@dataclass
class Rotation:
    """What a rotation did: the epoch it moved to, the rows rekeyed per model, the epochs destroyed."""

    epoch: int
    rekeyed: dict[str, int] = field(default_factory=dict)
    upgraded: dict[str, int] = field(default_factory=dict)
    destroyed: list[int] = field(default_factory=list)


class RotationBusy(Exception):
    """Another rotation is running."""


def rotate(*, batch: int = 5000, progress: Callable[[str, int], None] | None = None,
           stop_after_batches: int | None = None) -> Rotation:
    """Rotate the keyring (module docstring): rekey every holder row, then destroy the old epochs.

    ``progress(model label, rows rekeyed so far)`` after each batch. ``stop_after_batches`` stops early, as a
    crash would (the tests kill a rotation half-way with it); the old epochs are then not destroyed.

    It must run outside any transaction (``RuntimeError`` otherwise: each batch commits on its own, durable):
    inside one, a rollback after the old epoch was destroyed would bring back rows wrapped under it. A purge
    deletes and commits first, then rotates.
    """
    with transaction.atomic(durable=True):  # RuntimeError inside a transaction (see above), before any change
        pass
    path = keyring.keyring_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".rotation"), "a+b") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RotationBusy("a keyring rotation is already running") from None
        try:
            return _rotate(batch, progress, stop_after_batches)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _rotate(batch, progress, stop_after_batches) -> Rotation:
    models = holders()
    result = Rotation(epoch=0)
    for model in models:
        result.upgraded[model._meta.label] = legacy_upgrade_of(model)(model, batch=batch)
    ring = keyring.epoch_open()
    result.epoch = ring.current
    batches = 0
    while True:
        for model in models:
            label = model._meta.label
            last = 0
            while last is not None:
                if stop_after_batches is not None and batches >= stop_after_batches:
                    return result
                with transaction.atomic(durable=True):
                    done, last = _rekey_batch(model, ring, after=last, batch=batch)
                batches += 1
                result.rekeyed[label] = result.rekeyed.get(label, 0) + done
                if progress is not None and done:
                    progress(label, result.rekeyed[label])
        with transaction.atomic(durable=True):
            if connection.vendor == "postgresql":
                # Wait for every transaction that is writing to these tables (it may have wrapped keys under the
                # old epoch before it opened), and hold new writers off while the old epochs are destroyed.
                with connection.cursor() as cursor:
                    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
                    cursor.execute(f"LOCK TABLE {tables} IN SHARE MODE")
            if any(m.objects.filter(key_epoch__gt=0, key_epoch__lt=ring.current).exists() for m in models):
                continue  # rows written under the old epoch meanwhile: rekey them too
            result.destroyed = keyring.epochs_destroy_before(ring.current)
            return result


def _purposes(model, rows: list[tuple], offset: int) -> dict[str, list[str]]:
    """identifier → the purpose of each row: the identifier's name, or — for a model declaring
    ``SEALED_PURPOSES = {identifier: (field, {value: purpose})}`` (a traveller's document: citizen ID, passport,
    permit) — the purpose its field's value names; that field's value is at ``offset`` (+ its rank) in the row."""
    declared = getattr(model, "SEALED_PURPOSES", {})
    out = {}
    for identifier in model.SEALED_IDENTIFIERS:
        if identifier in declared:
            rank = list(declared).index(identifier)
            mapping = declared[identifier][1]
            out[identifier] = [mapping[row[offset + rank]] for row in rows]
        else:
            out[identifier] = [identifier] * len(rows)
    return out


def _purpose_fields(model) -> list[str]:
    return [field for field, _mapping in getattr(model, "SEALED_PURPOSES", {}).values()]


def _rekey_batch(model, ring: keyring.Keyring, *, after: int, batch: int) -> tuple[int, int | None]:
    """Rekey the rows still under an old epoch among the next ``batch`` primary keys above ``after``: (rows
    rekeyed, the last key looked at, or None at the end of the table)."""
    identifiers = model.SEALED_IDENTIFIERS
    sealed_fields = [sealed for _hash, sealed in identifiers.values()]
    keys = list(model.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch])
    if not keys:
        return 0, None
    rows = list(model.objects.filter(pk__gte=keys[0], pk__lte=keys[-1], key_epoch__gt=0,
                                     key_epoch__lt=ring.current)
                .order_by("pk").values_list("pk", "key_wrapped", "key_epoch", *sealed_fields,
                                            *_purpose_fields(model)))
    if not rows:
        return 0, keys[-1]  # nothing left under an old epoch in this stretch of keys
    new = ring.now
    purposes = _purposes(model, rows, 3 + len(sealed_fields))
    openers = {number: protection.data_key_opener(epoch) for number, epoch in ring.epochs.items()}
    data_keys = [openers[row[2]](row[1]) for row in rows]
    hashed = {}
    for k, (identifier, (hash_field, _sealed)) in enumerate(identifiers.items()):
        if not hash_field:
            continue
        digests: dict[int, str] = {}
        by_purpose: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            if row[3 + k]:
                by_purpose.setdefault(purposes[identifier][i], []).append(i)
        for purpose, present in by_purpose.items():
            values = [protection.identifier_open_with(data_keys[i], rows[i][3 + k], purpose) for i in present]
            digests.update(zip(present, protection.hashes_under(new.hash_key, values, purpose), strict=True))
        hashed[hash_field] = [digests.get(i) for i in range(len(rows))]
    updates = [(row[0], protection.data_key_wrap(key, new), new.number, *(hashed[f][i] for f in hashed))
               for i, (row, key) in enumerate(zip(rows, data_keys, strict=True))]
    _update(model, ["key_wrapped", "key_epoch", *hashed], updates)
    return len(rows), keys[-1]


def _update(model, columns: list[str], updates: list[tuple]) -> None:
    """Write ``updates`` — (pk, *values of ``columns``) — to their rows in one statement (PostgreSQL) or one
    prepared statement (SQLite); a None value keeps the row's own (a hash NULL or "" for no identifier)."""
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    cast = {"key_epoch": "integer"}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ["pk", *[f"c{i}" for i in range(len(columns))]]
            row = "(%s::bigint" + "".join(f", %s::{cast.get(c, 'text')}" for c in columns) + ")"
            sets = ", ".join(f"{quote(c)} = COALESCE(v.c{i}, t.{quote(c)})" for i, c in enumerate(columns))
            step = 60000 // (len(columns) + 1)  # a statement takes at most 65,535 parameters
            for start in range(0, len(updates), step):
                part = updates[start:start + step]
                cursor.execute(
                    f"UPDATE {table} AS t SET {sets} FROM (VALUES {', '.join([row] * len(part))}) "  # noqa: S608 (names from the model)
                    f"AS v({', '.join(names)}) WHERE t.{pk} = v.pk",
                    [value for update in part for value in update])
        else:
            sets = ", ".join(f"{quote(c)} = COALESCE(%s, {quote(c)})" for c in columns)
            cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s",  # noqa: S608 (names from the model)
                               [(*update[1:], update[0]) for update in updates])


def legacy_upgrade(model, *, batch: int = 2000) -> int:
    """Give every row of ``model`` still sealed the old way (``key_epoch`` 0 and a ``v1:`` value) a data key of
    its own: its identifiers opened with the ``PII_KEY``-derived key, sealed again with the row's data key and
    hashed under the keyring's current epoch. ``model`` may be a migration's historical model (its
    ``SEALED_IDENTIFIERS`` then come from the current one). The rows upgraded."""
    current = apps.get_model(model._meta.label)
    identifiers = current.SEALED_IDENTIFIERS
    sealed_fields = [sealed for _hash, sealed in identifiers.values()]
    total, last = 0, 0
    while True:
        sealed_any = reduce(operator.or_, [~Q(**{field: ""}) for field in sealed_fields])
        base = model.objects.filter(sealed_any, pk__gt=last, key_epoch=0).order_by("pk")
        rows = list(base.values_list("pk", *sealed_fields, *_purpose_fields(current))[:batch])
        if not rows:
            return total
        last = rows[-1][0]
        purposes = _purposes(current, rows, 1 + len(sealed_fields))
        data_key_list = protection.data_keys_new(len(rows))
        columns = ["key_wrapped", "key_epoch"] + [f for hash_field, sealed_field in identifiers.values()
                                                  for f in (sealed_field, hash_field) if f]
        updates = []
        for i, (row, data_key) in enumerate(zip(rows, data_key_list, strict=True)):
            values = {"key_wrapped": data_key.wrapped, "key_epoch": data_key.epoch}
            for k, (identifier, (hash_field, sealed_field)) in enumerate(identifiers.items()):
                if not row[1 + k]:
                    continue
                purpose = purposes[identifier][i]
                clear = protection.decrypt(row[1 + k], purpose)
                values[sealed_field] = protection.identifier_seal(data_key.key, clear, purpose)
                if hash_field:
                    values[hash_field] = protection.identifier_hash(clear, purpose)
            updates.append((row[0], *(values.get(c) for c in columns)))
        with transaction.atomic():
            _update(model, columns, updates)
        total += len(rows)
