"""The hash chain of the audit trail: how an event is hashed, how appends are serialised, how it is verified.

Every event stores ``previous_hash`` (the ``event_hash`` of the event before it in id order; 64 zeros
for the first) and ``event_hash`` = SHA-256 of the canonical serialisation below, which includes
``previous_hash``. Editing a row changes its hash; deleting a row leaves its successor pointing at a hash
that no longer precedes it. ``chain_verify`` walks the events in id order and reports the first event
where either shows.

The canonical serialisation is frozen (changing it would break every stored chain): a JSON object with
sorted keys, no whitespace, non-ASCII kept, of the fields in ``CHAINED_FIELDS`` where

- ``occurred_at`` is ISO 8601 in UTC with microseconds;
- ``source_ip`` is the address as Python's ``ipaddress`` writes it (or null);
- every number inside ``detail`` is written as a normalised decimal (``1.0``, ``1`` and ``1e0`` all as
  ``"1"``), because PostgreSQL's ``jsonb`` keeps numbers as decimals and may give back ``1e300`` as an
  integer: the hash must not depend on the database.

Appends are serialised so that two writers never hash onto the same predecessor: on PostgreSQL a
transaction-level advisory lock (held until the writer's transaction ends, so the next writer reads a
committed predecessor), on SQLite the write lock every transaction takes at BEGIN IMMEDIATE (settings).
Cost: audit appends, and so the writes that audit, queue one behind another until each writer commits.

Chain version 2 (every event written since retention purging exists; ``chain_version`` = 2): personal
details must be droppable from the trail when the person they are about is purged (PIPL art. 47,
``fangkong.retention``), and a hash over ``detail`` and ``reason`` would break at the first dropped detail.
So a version-2 event stores ``content_digest`` = SHA-256 of ``{"detail": …, "reason": …}`` (the same
canonical JSON as above, numbers normalised), and its ``event_hash`` is taken over the version-1 document
with ``detail`` and ``reason`` replaced by ``content_digest`` and with ``"chain_version": 2`` added — the
version-1 serialisation itself is unchanged. The verification of a version-2 event checks its hash (as for
version 1) and then its content: ``detail`` and ``reason`` must give ``content_digest`` again, unless the
event was *redacted* — ``detail`` is exactly ``{"redacted": <pseudonymous reference>}`` and ``reason`` is
empty (``fangkong.audit.services.audit_redact``, the only UPDATE the append-only trigger lets through:
nothing but ``detail`` and ``reason`` may change, on version-2 rows only, and only into that shape). A
redacted event keeps its action, time, actor, object, region and hash: the chain holds, and what was
dropped can still be proven to have been what it was by whoever kept a copy (its digest is kept).

Version-1 events (written before; ``0004_chain_existing_events`` chained them) keep their details: their
hash covers ``detail`` and ``reason``, so dropping either would break the chain there. The platform writes
no name or identifier into ``detail`` (``fangkong/cases/tests/test_audit_names.py``: persons by row id,
cases and contacts by number); a version-1 ``reason`` typed by a user may name someone, and stays until
the trail's own retention period ends. The purge counts such events on its certificate (``v1_kept`` of the
audit category) instead of hiding them.

What the chain cannot show: someone with write access who rewrites *every* hash after the row they
changed, or who removes the newest events. Against both, keep the head that ``fangkong audit_verify``
prints somewhere else (a ticket, a signed mail) and check it later with ``--expect ID:HASH``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from django.db import connection

GENESIS = "0" * 64
# pg_advisory_xact_lock key: "fangkong" in ASCII.
CHAIN_LOCK_KEY = 0x66616E676B6F6E67
CHAINED_FIELDS = ("occurred_at", "actor_id", "actor_username", "action", "object_type", "object_id",
                  "region_code", "source_ip", "detail", "reason", "previous_hash")
#: The version new events are written with, and the fields a reader must give ``chain_walk`` for either.
CHAIN_VERSION = 2
STORED_FIELDS = (*CHAINED_FIELDS, "chain_version", "content_digest")
REDACTED = "redacted"


def _canonical_value(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return _decimal_text(Decimal(value))
    if isinstance(value, float):
        return _decimal_text(Decimal(repr(value)))
    if isinstance(value, dict):
        return {str(k): _canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_value(v) for v in value]
    raise TypeError(f"audit detail holds a {type(value).__name__}, which JSON cannot store")


def _decimal_text(number: Decimal) -> str:
    normal = number.normalize()
    return "#" + (format(normal, "f") if -30 < normal.adjusted() < 30 else str(normal))


def canonical_ip(value: str | None) -> str | None:
    return str(ipaddress.ip_address(value)) if value else None


def content_digest(detail: dict | None, reason: str | None) -> str:
    """SHA-256 (hex) of what a version-2 event's hash covers in place of its ``detail`` and ``reason``."""
    document = {"detail": _canonical_value(detail or {}), "reason": reason or ""}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_redacted(fields: dict) -> bool:
    """Whether a version-2 event's details were dropped by ``audit_redact`` (the one shape allowed)."""
    detail = fields["detail"] or {}
    return (set(detail) == {REDACTED} and isinstance(detail[REDACTED], str) and not fields["reason"])


def event_digest(fields: dict) -> str:
    """SHA-256 (hex) of one event, from a mapping holding ``CHAINED_FIELDS`` (and, for a version-2 event,
    ``chain_version`` and ``content_digest``)."""
    occurred = fields["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds")
    document = {
        "occurred_at": occurred,
        "actor_id": fields["actor_id"],
        "actor_username": fields["actor_username"],
        "action": fields["action"],
        "object_type": fields["object_type"],
        "object_id": fields["object_id"],
        "region_code": fields["region_code"],
        "source_ip": canonical_ip(fields["source_ip"]),
        "detail": _canonical_value(fields["detail"] or {}),
        "reason": fields["reason"],
        "previous_hash": fields["previous_hash"],
    }
    if (fields.get("chain_version") or 1) >= 2:
        del document["detail"], document["reason"]
        document["content_digest"] = fields["content_digest"]
        document["chain_version"] = _canonical_value(fields["chain_version"])
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_lock() -> None:
    """Serialise appends until the current transaction ends (PostgreSQL); SQLite's write lock does it there."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    kind: str  # "edited": the row's content no longer gives its hash (or, version 2, its content digest);
    # "unlinked": its predecessor is not the one it was chained to
    message: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_id: int | None
    head_hash: str
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def chain_walk(rows: Iterable[dict]) -> ChainReport:
    """Check events given in id order (each a mapping with ``id``, ``event_hash`` and ``STORED_FIELDS``;
    a mapping without ``chain_version`` is a version-1 event)."""
    expected_previous, previous_id, checked = GENESIS, None, 0
    for row in rows:
        checked += 1
        if row["previous_hash"] != expected_previous:
            after = f"event {previous_id}" if previous_id is not None else "the start of the trail"
            return ChainReport(checked, previous_id, expected_previous, ChainBreak(
                row["id"], "unlinked",
                f"event {row['id']} was chained to {row['previous_hash'][:12]}…, but follows {after} "
                f"(hash {expected_previous[:12]}…): an event between them was deleted, or {after} was rewritten"))
        if event_digest(row) != row["event_hash"]:
            return ChainReport(checked, previous_id, expected_previous, ChainBreak(
                row["id"], "edited", f"event {row['id']} no longer matches its hash: its content was changed"))
        if ((row.get("chain_version") or 1) >= 2 and not is_redacted(row)
                and content_digest(row["detail"], row["reason"]) != row["content_digest"]):
            return ChainReport(checked, previous_id, expected_previous, ChainBreak(
                row["id"], "edited", f"event {row['id']}'s detail or reason no longer matches its digest: "
                                     f"they were changed"))
        expected_previous, previous_id = row["event_hash"], row["id"]
    return ChainReport(checked, previous_id, expected_previous, None)


def chain_verify(*, chunk_size: int = 5000) -> ChainReport:
    """Walk the whole stored trail in id order and report the first broken link (if any)."""
    from fangkong.audit.models import AuditEvent

    rows = AuditEvent.objects.order_by("id").values("id", "event_hash", *STORED_FIELDS)
    return chain_walk(rows.iterator(chunk_size=chunk_size))
