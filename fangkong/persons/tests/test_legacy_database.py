"""An installation upgraded from before the per-row keys: a database at the migration state before them (persons
before ``0004``, cross-region requests before ``0003``, travellers before ``inbound 0004``, import jobs before
``cases 0018``) holding values sealed the old way (``v1:`` under the ``PII_KEY``-derived key, hashed with the
global key) and no keyring file, migrated forward by ``migrate``: every value opens under its row's own data
key, the look-ups find the rows by their new hashes, the old global key opens and confirms nothing any more,
and a keyring rotation afterwards keeps everything readable. (The data migrations ran in an order that made the
keyring before the other holders had their key columns: fixed in 783ebfc.)

The old database is a scratch one of its own (a SQLite file, or a PostgreSQL database beside the test database),
made and migrated in a separate process: its schema goes back in time, the test database's cannot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[3]

OLD_DATABASE = textwrap.dedent("""
    import datetime as dt, json
    import django
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from fangkong.persons import keyring, protection
    from fangkong.testing.builders import citizen_id

    OLD = [("persons", "0003_irreversible_masks"), ("crossregion", "0002_outcome_label"),
           ("inbound", "0003_alter_loopbreak_closed_by_and_more"),
           ("cases", "0017_number_sequence_kind_contact_release")]
    MigrationExecutor(connection).migrate(OLD)
    old = MigrationExecutor(connection).loader.project_state(OLD).apps
    Region = old.get_model("regions", "Region")
    for code, parent, level in (("440000", None, "province"), ("440300", "440000", "city"),
                                ("440304", "440300", "county")):
        Region.objects.create(code=code, parent_id=parent, level=level, name_zh=code, name_en=code)
    user = old.get_model("accounts", "User").objects.create(username="before-the-keys")
    cid, phone, passport = citizen_id("440304"), "+8613800138000", "E12345678"
    person = old.get_model("persons", "Person").objects.create(
        name="旧库人员", address_region_id="440304", citizen_id_masked=cid[:6] + "*" * 12,
        citizen_id_hash=protection.keyed_hash(cid, "citizen_id"), citizen_id_sealed=protection.encrypt(cid, "citizen_id"),
        phone_hash=protection.keyed_hash(phone, "phone"), phone_sealed=protection.encrypt(phone, "phone"),
        phone_masked=protection.mask_phone(phone))
    port = old.get_model("inbound", "Port").objects.create(code="oldport", name_zh="旧口岸", name_en="Old port",
                                                            kind="land", region_id="440304")
    manifest = old.get_model("inbound", "Manifest").objects.create(
        port=port, region_id="440304", carrier="vehicle", carrier_no="粤Z0000港", arrival_date=dt.date(2022, 3, 1))
    traveller = old.get_model("inbound", "Traveller").objects.create(
        manifest=manifest, port=port, port_region_id="440304", destination_id="440304", holder_id="440304",
        name="旧库旅客", id_kind="passport", id_hash=protection.keyed_hash(passport, "passport"),
        id_sealed=protection.encrypt(passport, "passport"), id_masked="E1****678")
    upload = f"case_no,citizen_id\\nOLD-1,{cid}\\n".encode()
    job = old.get_model("cases", "ImportJob").objects.create(
        kind="cases", created_by=user, status="queued", data=protection.seal(upload, "cases.importjob.data"),
        file_name=protection.encrypt(f"{cid}.csv", "cases.importjob.file_name"))
    out = {"keyring_before": keyring.keyring_path().exists()}

    call_command("migrate", verbosity=0)

    from fangkong.cases.jobs import payload_open
    from fangkong.cases.models import ImportJob
    from fangkong.inbound.documents import document_reveal
    from fangkong.inbound.models import Traveller
    from fangkong.persons.models import Person
    from fangkong.persons.shredding import rotate

    def state():
        p, t, j = Person.objects.get(pk=person.pk), Traveller.objects.get(pk=traveller.pk), ImportJob.objects.get(pk=job.pk)
        return {
            "epochs": sorted(keyring.load().epochs), "key_epochs": [p.key_epoch, t.key_epoch, j.key_epoch],
            "v2": [p.citizen_id_sealed[:3], p.phone_sealed[:3], t.id_sealed[:3], bytes(j.data)[:3].decode(), j.file_name[:3]],
            "person": protection.identifiers_open(p, (p.citizen_id_sealed, "citizen_id"), (p.phone_sealed, "phone"))
                      == [cid, phone],
            "found": p.citizen_id_hash in protection.lookup_hashes(cid, "citizen_id")
                     and p.phone_hash in protection.lookup_hashes(phone, "phone")
                     and t.id_hash in protection.lookup_hashes(passport, "passport"),
            "global_key_confirms": p.citizen_id_hash == protection.keyed_hash(cid, "citizen_id")
                                   or t.id_hash == protection.keyed_hash(passport, "passport"),
            "traveller": document_reveal(t) == passport,
            "job": payload_open(j) == upload and j.shown_file_name == f"{cid}.csv",
        }

    out["migrated"] = state()
    rotation = rotate()
    out["rotated"] = state()
    out["rekeyed"] = rotation.rekeyed
    print("RESULT " + json.dumps(out))
""")


@contextmanager
def _scratch_database(tmp_path: Path):
    """The URL of an empty database for the old installation: a SQLite file, or (when the suite runs on
    PostgreSQL) a database made beside the test database and dropped after."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'before-the-keys.sqlite3'}"
        return
    import psycopg

    settings = connection.settings_dict
    name = f"{settings['NAME']}_before_keys"
    server = {"host": settings["HOST"] or "127.0.0.1", "port": settings["PORT"] or 5432, "user": settings["USER"],
              "password": settings["PASSWORD"] or None}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        password = f":{server['password']}" if server["password"] else ""
        yield f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_database_from_before_the_per_row_keys_migrates_and_every_sealed_value_opens(tmp_path):
    with _scratch_database(tmp_path) as url:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
        env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="fangkong.settings", PYTHONPATH=str(REPO),
                   FANGKONG_PERSONS_KEYRING=str(tmp_path / "keys" / "persons-keyring"))
        done = subprocess.run([sys.executable, "-c", OLD_DATABASE], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=900, check=False)
    result = next((line for line in done.stdout.splitlines() if line.startswith("RESULT ")), None)
    assert result is not None, done.stderr[-3000:]
    out = json.loads(result.removeprefix("RESULT "))
    assert out["keyring_before"] is False  # an installation from before the keyring: the migration made it
    expected = {"person": True, "found": True, "global_key_confirms": False, "traveller": True, "job": True,
                "v2": ["v2:"] * 5}
    assert out["migrated"] == {**expected, "epochs": [1], "key_epochs": [1, 1, 1]}
    assert out["rotated"] == {**expected, "epochs": [2], "key_epochs": [2, 2, 2]}
    assert out["rekeyed"]["persons.Person"] == out["rekeyed"]["inbound.Traveller"] == out["rekeyed"]["cases.ImportJob"] == 1
