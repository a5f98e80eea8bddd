"""The append-only triggers let one UPDATE through: the redaction of a version-2 event
(``fangkong.audit.services.audit_redact``) — ``detail`` replaced by ``{"redacted": <reference>}`` and
``reason`` emptied, every other column unchanged. DELETE and every other UPDATE are refused as before.
On SQLite both triggers are created again: adding the columns (0006) rebuilt the table without them."""

from django.db import migrations

UNCHANGED = ("id", "occurred_at", "actor_id", "actor_username", "action", "object_type", "object_id",
             "region_code", "source_ip", "previous_hash", "event_hash", "chain_version", "content_digest")

SQLITE_ALLOWED = " AND ".join(
    ["OLD.chain_version >= 2", "NEW.reason = ''", "json_type(NEW.detail, '$.redacted') = 'text'",
     "(SELECT count(*) FROM json_each(NEW.detail)) = 1"]
    + [f"NEW.{column} IS OLD.{column}" for column in UNCHANGED])
# Adding the columns in 0006 rebuilt the SQLite table, which drops its triggers: both are created again.
SQLITE_NO_DELETE = [
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE = [
    *SQLITE_NO_DELETE,
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       WHEN NOT ({SQLITE_ALLOWED})
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
PG_ALLOWED = " AND ".join(
    ["TG_OP = 'UPDATE'", "OLD.chain_version >= 2", "NEW.reason = ''",
     "jsonb_typeof(NEW.detail -> 'redacted') = 'string'", "(SELECT count(*) FROM jsonb_object_keys(NEW.detail)) = 1"]
    + [f"NEW.{column} IS NOT DISTINCT FROM OLD.{column}" for column in UNCHANGED])
POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_LEVEL = 'ROW' AND {PG_ALLOWED} THEN RETURN NEW; END IF;
         RAISE EXCEPTION 'audit events are append-only';
       END; $$ LANGUAGE plpgsql;""",
]
SQLITE_BEFORE = [
    *SQLITE_NO_DELETE,
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
POSTGRESQL_BEFORE = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;""",
]


def _run(schema_editor, by_vendor):
    for sql in by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def install(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE, "postgresql": POSTGRESQL})


def remove(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_BEFORE, "postgresql": POSTGRESQL_BEFORE})


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_chain_version_2")]
    operations = [migrations.RunPython(install, remove)]
