"""The hash chain: every event carries its predecessor's hash; edits and deletions are found, even with
the append-only trigger dropped (what a DBA with rights could do)."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from fangkong.audit.chain import GENESIS, chain_verify, chain_walk, event_digest
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record, audit_record_bounded, audit_redact


def _drop_append_only_triggers():
    """As a DBA would (on the test database, rolled back with the test)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_event_no_change ON audit_auditevent")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")


def _five_events(actor):
    return [audit_record(actor=actor, action="update", object_type="cases.case", object_id=str(i),
                         region_code="440300", detail={"n": i, "ratio": i / 3, "big": 1e300, "zh": "密切接触者"},
                         reason=f"reason {i}")
            for i in range(5)]


def test_each_event_carries_its_predecessors_hash(sysadmin):
    events = _five_events(sysadmin)
    stored = list(AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("id"))
    assert stored[0].previous_hash == (AuditEvent.objects.filter(id__lt=stored[0].id).order_by("-id")
                                       .values_list("event_hash", flat=True).first() or GENESIS)
    for before, after in zip(stored, stored[1:], strict=False):
        assert after.previous_hash == before.event_hash != ""
    report = chain_verify()
    assert report.intact and report.head_id == stored[-1].id and report.head_hash == stored[-1].event_hash
    # The hash read back from the database equals the one computed before the insert (numbers, unicode, time).
    assert all(event_digest(vars(e) | {"actor_id": e.actor_id}) == e.event_hash for e in stored)


def test_an_edited_and_a_deleted_event_are_found_with_the_trigger_dropped(sysadmin):
    events = _five_events(sysadmin)
    _drop_append_only_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET object_id = 'forged' WHERE id = %s", [events[1].pk])
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])
    report = chain_verify()
    assert not report.intact
    assert (report.first_break.event_id, report.first_break.kind) == (events[1].pk, "edited")
    with pytest.raises(CommandError, match=f"broken at event {events[1].pk} \\(edited\\)"):
        call_command("audit_verify")


def test_a_deleted_event_breaks_the_link_of_its_successor(sysadmin):
    events = _five_events(sysadmin)
    _drop_append_only_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    report = chain_verify()
    assert (report.first_break.event_id, report.first_break.kind) == (events[3].pk, "unlinked")
    assert f"follows event {events[1].pk}" in report.first_break.message


def test_a_rehashed_edit_is_found_at_the_next_event(sysadmin):
    """Editing a row and recomputing its own hash still breaks the link of the event after it."""
    events = _five_events(sysadmin)
    _drop_append_only_triggers()
    forged = AuditEvent.objects.values().get(pk=events[2].pk) | {"object_id": "forged"}
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET object_id = %s, event_hash = %s WHERE id = %s",
                       [forged["object_id"], event_digest(forged), events[2].pk])
    assert chain_verify().first_break.event_id == events[3].pk


def test_a_changed_reason_or_detail_of_a_version_2_event_is_found_at_the_event(sysadmin):
    """Version 2 hashes the digest of detail and reason: changing either (and even the digest's own hash
    input stays the same) is found at the event itself, by its content digest."""
    events = _five_events(sysadmin)
    assert {e.chain_version for e in events} == {2}
    _drop_append_only_triggers()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["nothing to see", events[2].pk])
    report = chain_verify()
    assert (report.first_break.event_id, report.first_break.kind) == (events[2].pk, "edited")


def test_a_redacted_event_keeps_the_chain_and_nothing_else_may_change(sysadmin):
    """The one UPDATE the trigger lets through: detail -> {"redacted": ref}, reason emptied (version 2)."""
    events = _five_events(sysadmin)
    assert audit_redact(events_by_reference={"p-ref": [events[1].pk, events[3].pk]}) == 2
    stored = AuditEvent.objects.get(pk=events[1].pk)
    assert (stored.detail, stored.reason, stored.action, stored.event_hash) == (
        {"redacted": "p-ref"}, "", events[1].action, events[1].event_hash)
    assert chain_verify().intact
    for sql, params in (("UPDATE audit_auditevent SET object_id = 'x' WHERE id = %s", [events[0].pk]),
                        ("UPDATE audit_auditevent SET detail = '{\"redacted\": \"r\", \"n\": 1}', reason = '' "
                         "WHERE id = %s", [events[0].pk]),
                        ("UPDATE audit_auditevent SET detail = '{\"redacted\": \"r\"}', reason = 'x' "
                         "WHERE id = %s", [events[0].pk]),
                        ("DELETE FROM audit_auditevent WHERE id = %s", [events[0].pk])):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    assert AuditEvent.objects.get(pk=events[0].pk).detail["zh"] == "密切接触者" and chain_verify().intact


def test_a_version_1_event_cannot_be_redacted(sysadmin):
    events = _five_events(sysadmin)
    _drop_append_only_triggers()
    with connection.cursor() as cursor:  # as the events written before version 2 are
        cursor.execute("UPDATE audit_auditevent SET chain_version = 1 WHERE id = %s", [events[4].pk])
    assert audit_redact(events_by_reference={"p-ref": [events[4].pk]}) == 0


def test_a_rewritten_tail_is_caught_by_the_kept_head(sysadmin, capsys):
    events = _five_events(sysadmin)
    call_command("audit_verify")
    head = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    assert head == f"{events[-1].pk}:{events[-1].event_hash}"
    call_command("audit_verify", expect=head)
    _drop_append_only_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    call_command("audit_verify")  # the chain alone cannot see a cut end …
    with pytest.raises(CommandError, match="rewritten"):
        call_command("audit_verify", expect=head)  # … the kept head does
    with pytest.raises(CommandError, match="ID:HASH"):
        call_command("audit_verify", expect="12:short")


def test_the_walk_reports_the_first_event_when_the_start_was_cut():
    row = {"id": 7, "occurred_at": dt.datetime(2022, 3, 17, tzinfo=dt.UTC), "actor_id": None, "actor_username": "",
           "action": "create", "object_type": "", "object_id": "", "region_code": "", "source_ip": None,
           "detail": {}, "reason": "", "previous_hash": "a" * 64}
    row["event_hash"] = event_digest(row)
    report = chain_walk([row])
    assert report.first_break.event_id == 7 and "start of the trail" in report.first_break.message


def test_the_digest_does_not_depend_on_how_the_database_gives_numbers_back():
    base = {"occurred_at": dt.datetime(2022, 3, 17, tzinfo=dt.UTC), "actor_id": 1, "actor_username": "u",
            "action": "create", "object_type": "t", "object_id": "1", "region_code": "", "source_ip": "::ffff:10.0.0.1",
            "reason": "", "previous_hash": GENESIS}
    as_written = event_digest(base | {"detail": {"a": 1.0, "b": 1e300, "c": [0.1, 2]}})
    as_read = event_digest(base | {"detail": {"a": 1, "b": 10**300, "c": [0.1, 2.0]}, "source_ip": "::ffff:a00:1"})
    assert as_written == as_read
    assert event_digest(base | {"detail": {"a": "1"}}) != event_digest(base | {"detail": {"a": 1}})


def test_bounded_records_stop_at_the_limit_and_say_so(sysadmin):
    window = dt.timedelta(minutes=10)
    per_user = (3, window, {"action": "access_refused", "actor": sysadmin})
    written = [audit_record_bounded(limits=[per_user], actor=sysadmin, action="access_refused",
                                    object_type="cases.case", object_id=str(i)) for i in range(10)]
    assert [w is not None for w in written] == [True, True, True] + [False] * 7
    assert written[2].detail == {"limit_reached": True} and written[0].detail == {}
    assert AuditEvent.objects.filter(action="access_refused").count() == 3
    assert chain_verify().intact


def test_every_limit_of_a_bounded_record_holds(sysadmin, analyst):
    window = dt.timedelta(minutes=10)
    overall = (4, window, {"action": "access_refused"})
    for user in (sysadmin, analyst):
        for i in range(3):
            audit_record_bounded(limits=[(2, window, {"action": "access_refused", "actor": user}), overall],
                                 actor=user, action="access_refused", object_id=str(i))
    assert AuditEvent.objects.filter(action="access_refused", actor=sysadmin).count() == 2
    assert AuditEvent.objects.filter(action="access_refused", actor=analyst).count() == 2
    audit_record_bounded(limits=[overall], actor=None, action="access_refused")
    assert AuditEvent.objects.filter(action="access_refused").count() == 4


def _in_own_connection(work):
    """Run ``work`` on a fresh connection (autocommit) in a thread: outside the test's transaction."""
    failures = []

    def run():
        try:
            work()
        except Exception as exc:  # noqa: BLE001 (reported below)
            failures.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, failures


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="PostgreSQL: SQLite's test database is one in-memory file that serialises writers itself")
def test_concurrent_writers_never_fork_the_chain(db):
    """Writers on several connections at once, each committing: every event follows exactly one predecessor.

    Without the advisory lock two writers read the same newest event and both chain onto it. The writers
    commit (real concurrency needs it), so their events are removed afterwards, trigger suspended.
    """
    def writer(n):
        return lambda: [audit_record(actor=None, action="update", object_type="test.concurrency",
                                     object_id=f"{n}-{i}") for i in range(10)]

    def remove():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_change")
            cursor.execute("DELETE FROM audit_auditevent WHERE object_type = 'test.concurrency'")
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_change")

    try:
        running = [_in_own_connection(writer(n)) for n in range(4)]
        for thread, _failures in running:
            thread.join()
        assert [f for _thread, failures in running for f in failures] == []
        hashes = list(AuditEvent.objects.filter(object_type="test.concurrency").values_list("previous_hash", flat=True))
        assert len(hashes) == len(set(hashes)) == 40
        assert chain_verify().intact
    finally:
        thread, failures = _in_own_connection(remove)
        thread.join()
        assert failures == []
