"""Chain the events written before the hash chain existed: hashes computed in id order.

The append-only triggers refuse the UPDATE, so they are suspended for this transaction only (PostgreSQL:
DISABLE TRIGGER inside the migration's transaction; SQLite: dropped and created again) — the same thing an
operator with database rights could do, which is why the chain exists. On SQLite the triggers are created
again in any case: the AlterField of 0003 rebuilt the table, and SQLite drops a table's triggers with it. A reason recorded in ``detail``
(reveals before the reason column) moves to the column first, so the hash covers it there.
"""

from django.db import migrations

from fangkong.audit.chain import CHAINED_FIELDS, GENESIS, event_digest

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]


def _suspend_triggers(schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_change")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")


def _restore_triggers(schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_change")
    elif schema_editor.connection.vendor == "sqlite":
        # Also after an empty table: SQLite's AlterField of 0003 rebuilt the table without its triggers.
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        for sql in _SQLITE_TRIGGERS:
            schema_editor.execute(sql)


def chain(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    _suspend_triggers(schema_editor)
    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    previous = GENESIS
    for start in range(0, len(ids), 2000):  # read a chunk, then write it: never update under an open cursor
        batch = list(AuditEvent.objects.filter(id__in=ids[start:start + 2000]).order_by("id"))
        for event in batch:
            if not event.reason and isinstance(event.detail, dict) and event.detail.get("reason"):
                event.reason = str(event.detail["reason"]).strip()
            event.previous_hash = previous
            # The stored values, as the verifier will read them back.
            event.event_hash = previous = event_digest({f: getattr(event, f) for f in CHAINED_FIELDS})
        AuditEvent.objects.bulk_update(batch, ["reason", "previous_hash", "event_hash"])
    _restore_triggers(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain")]
    operations = [migrations.RunPython(chain, migrations.RunPython.noop)]
