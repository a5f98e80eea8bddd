"""Benchmark: crypto-shredding on PostgreSQL (issue 25) — registering persons with a data key each, and the keyring
rotation a purge runs after deleting persons.

    createdb -h 127.0.0.1 -U postgres fangkong_bench_shred
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_shred \\
        .venv/bin/python benchmarks/bench_shredding.py [--persons 1000000] [--deleted 0.1] [--batch 5000]

1. (set-up, timed for the record) ``--persons`` persons with a citizen ID each and a phone for 95% of them
   (``fangkong.persons.demo.synthetic_identities``, distinct IDs), registered through the bulk path of the
   imports (``persons_insert_many``: a data key per person, identifiers sealed with it and hashed under the
   keyring epoch, COPY) in transactions of 100,000; the database is rebuilt when it does not hold them;
2. ``--deleted`` of them deleted (every k-th row, one statement; not timed);
3. ``fangkong.persons.shredding.rotate(batch=--batch)``, timed: every remaining person's data key unwrapped and
   rewrapped under a new epoch, their ID and phone opened and rehashed, written back, the old epoch destroyed.

The keyring goes to a temporary folder of the run (``FANGKONG_PERSONS_KEYRING``), so that the rebuilt
database and its keyring belong together; a database built by an earlier run with another keyring is rebuilt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time

import numpy as np

KEYRING = "/tmp/fangkong-bench-shred-keyring"  # noqa: S108 (a scratch benchmark's own file)


def setup_django():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://... (a scratch database: the benchmark writes to it)")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    os.environ.setdefault("FANGKONG_PERSONS_KEYRING", KEYRING)
    import django

    django.setup()


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def build(n: int, actor) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from fangkong.persons.demo import synthetic_identities
    from fangkong.persons.models import Person
    from fangkong.persons.services import PersonChecker, citizen_ids_parse_many, persons_insert_many

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE persons_person CASCADE")
    from fangkong.persons import keyring, protection

    keyring.keyring_path().unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    leaves = [c for c in Person._meta.get_field("address_region").related_model.objects.filter(
        children__isnull=True).exclude(level="province").values_list("code", flat=True)]
    rng = np.random.default_rng(25)
    checker = PersonChecker(actor=actor)
    seen: set[str] = set()
    start, written, step = time.perf_counter(), 0, 100_000
    for chunk in range(0, n * 2, step):  # more identities than needed: repeated IDs are skipped
        if written >= n:
            break
        regions = [leaves[i] for i in rng.integers(0, len(leaves), size=step)]
        people = synthetic_identities(regions, seed=chunk, as_of=dt.date(2022, 3, 1))
        people = [p for p in people if not (p["citizen_id"] in seen or seen.add(p["citizen_id"]))][:n - written]
        parsed = citizen_ids_parse_many([p["citizen_id"] for p in people])
        hashes = protection.identifier_hashes([p["citizen_id"] for p in people], "citizen_id")  # as an import does
        checked = []
        for p, cid, digest in zip(people, parsed, hashes, strict=True):
            row, errors = checker.check(name=p["name"], address_region=p["address_region"], sex=p["sex"],
                                        birth_date=p["birth_date"], parsed_id=cid, phone=p["phone"],
                                        citizen_id_hash=digest)
            if row is not None:
                checked.append(row)
        with transaction.atomic():
            persons_insert_many(actor=actor, persons=checked)
        written += len(checked)
    elapsed = time.perf_counter() - start
    print(f"registered {written:,} persons through persons_insert_many (check + data key + seal + hash + COPY): "
          f"{elapsed:.1f} s ({written / elapsed:,.0f} persons/s); {load()}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE persons_person")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--deleted", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    setup_django()
    from cryptography.exceptions import InvalidTag
    from django.core.management import call_command
    from django.db import connection

    from fangkong.accounts.models import User
    from fangkong.persons import keyring, protection
    from fangkong.persons.models import Person
    from fangkong.persons.shredding import rotate
    from fangkong.regions.services import region_tree_load
    from fangkong.testing.builders import make_user

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; {load()}")
    call_command("migrate", verbosity=0)
    region_tree_load()
    actor = User.objects.filter(username="bench_shred").first() or make_user("bench_shred", ("440000", "epidemiologist"))
    sample = Person.objects.exclude(key_epoch=0).first()
    usable = sample is not None and keyring.keyring_path().exists()
    if usable:
        try:
            protection.identifier_open(sample, sample.citizen_id_sealed, "citizen_id")
        except (keyring.KeyringError, InvalidTag):  # another run's keyring, or an old epoch's rows
            usable = False
    if not usable or Person.objects.count() < args.persons:
        build(args.persons, actor)
    every = max(2, round(1 / args.deleted)) if args.deleted else 0
    if every:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM persons_person WHERE id %% %s = 0", [every])
            deleted = cursor.rowcount
        print(f"deleted {deleted:,} persons (every {every}th)", flush=True)
    remaining = Person.objects.exclude(key_epoch=0).count()
    print(f"rotating the keyring over {remaining:,} persons (batch {args.batch:,}); {load()}", flush=True)
    start = time.perf_counter()
    result = rotate(batch=args.batch)
    elapsed = time.perf_counter() - start
    print(f"rotate: {elapsed:.1f} s ({remaining / elapsed:,.0f} persons/s); epoch {result.epoch}, destroyed "
          f"{result.destroyed}, rekeyed {result.rekeyed}; {load()}", flush=True)
    person = Person.objects.exclude(key_epoch=0).order_by("?").first()
    number = protection.identifier_open(person, person.citizen_id_sealed, "citizen_id")
    assert Person.objects.get(citizen_id_hash__in=protection.lookup_hashes(number, "citizen_id")) == person


if __name__ == "__main__":
    main()
