"""Benchmark: purging 1,000,000 contacts and their persons on PostgreSQL (issue 25: under 5 minutes).

    createdb -h 127.0.0.1 -U postgres fangkong_bench_retention
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_retention \\
        .venv/bin/python benchmarks/bench_retention.py [--contacts 1000000] [--cases 10000] [--batch 5000]

Set-up (not timed), with COPY: the region tree; ``--cases`` cases reported in March 2022 and ``--contacts``
contacts of theirs, listed, quarantined and released in March 2022 (management ended: due two years
later), each contact a person of their own, each case a person too; the seeded policies with contacts and
cases deleted two years after their clock.

Timed, through the services the platform uses: the **dry run** (``purge_plan``: counts per category),
then the **purge** (``purge_run`` after a second administrator's approval, batches of ``--batch``): every
contact, then every case (their contacts gone), then every person left without a record — with their
links, pseudonymous references, audit redaction and certificate. ``uptime`` is printed beside the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
import django  # noqa: E402

django.setup()
import numpy as np  # noqa: E402
from bench_cases import _copy, leaves_weighted  # noqa: E402 (this folder is on the path of a script run from it)


def build(n_cases: int, n_contacts: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from fangkong.accounts.models import User
    from fangkong.cases.models import Case, Contact
    from fangkong.protocols.models import ProtocolVersion
    from fangkong.regions.services import region_tree_load
    from fangkong.testing.builders import make_user

    call_command("migrate", verbosity=0)
    region_tree_load()
    for name in ("bench_admin1", "bench_admin2"):
        if not User.objects.filter(username=name).exists():
            make_user(name, ("440000", "system_administrator"))
    if Case.objects.count() == n_cases and Contact.objects.count() == n_contacts:
        return
    print(f"building {n_cases:,} cases and {n_contacts:,} contacts ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE cases_contact_other_source_cases, cases_contact, cases_classificationchange, "
                       "cases_caseearlies, cases_exposure_cases, cases_case, persons_person CASCADE")
    codes, weights = leaves_weighted()
    rng = np.random.default_rng(25)
    n_people = n_cases + n_contacts
    region = rng.choice(len(codes), size=n_people, p=weights)
    tz = "+08"
    with connection.cursor() as cursor:
        _copy(cursor, "persons_person", "id, name, sex, citizen_id_hash, citizen_id_sealed, citizen_id_masked, "
              "phone_hash, phone_sealed, phone_masked, address_region_id, address_text, created_at, updated_at",
              (f"{i + 1}\t基准{i}\tU\th{i:063d}\t\t440***********{i % 10000:04d}\t\t\t\t{codes[region[i]]}\t\t"
               f"2022-03-01 00:00:00{tz}\t2022-03-01 00:00:00{tz}\n" for i in range(n_people)))
        cursor.execute("SELECT setval(pg_get_serial_sequence('persons_person', 'id'), %s)", [n_people])
        cursor.execute("SELECT id FROM cases_disease WHERE code = 'covid-19'")
        covid = cursor.fetchone()[0]
        lines = []
        for i in range(n_cases):
            day = dt.date(2022, 3, 1) + dt.timedelta(days=i % 20)
            at = f"{day} 09:00:00{tz}"
            lines.append(f"{i + 1}\tBENCH-{i:07d}\t{i + 1}\t{covid}\tconfirmed\t{at}\t{at}\t{day}\t{at}\tf\t"
                         f"screening\tf\t\tmild\tunder_treatment\t{codes[region[i]]}\t{codes[region[i]]}\tf\t1\t"
                         f"{at}\t{at}\n")
        _copy(cursor, "cases_case", "id, case_no, person_id, disease_id, classification, diagnosed_at, reported_at, "
              "report_date, report_deadline, reported_late, detection_route, imported, origin, severity, outcome, "
              "residence_region_id, report_region_id, found_under_management, version, created_at, updated_at", lines)
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [n_cases])
        protocol = ProtocolVersion.objects.get(code="8th")
        source = rng.integers(0, n_cases, size=n_contacts)

        def contact_lines():
            for j in range(n_contacts):
                s = int(source[j])
                listed = dt.datetime(2022, 3, 2 + s % 20, 12)
                released = listed + dt.timedelta(days=14)
                yield (f"{j + 1}\tBENCH-K{j:08d}\t{n_cases + j + 1}\t{codes[region[n_cases + j]]}\tclose\t{s + 1}\t"
                       f"other\t{listed}{tz}\t{listed.date()}\t{listed}{tz}\t\t{protocol.pk}\t[]\treleased\t"
                       f"{released}{tz}\tt\tt\t1\t{listed}{tz}\t{listed}{tz}\n")

        _copy(cursor, "cases_contact", "id, contact_no, person_id, region_id, category, source_case_id, "
              "exposure_type, listed_at, listed_date, quarantined_at, quarantine_place, protocol_id, test_schedule, "
              "status, released_at, listed_within_24h, quarantined_within_24h, version, created_at, updated_at",
              contact_lines())
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_contact', 'id'), %s)", [n_contacts])
        cursor.execute("ANALYZE")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    from django.db import connection

    from fangkong.accounts.models import User
    from fangkong.cases.models import Case, Contact
    from fangkong.persons.models import Person
    from fangkong.retention.models import RetentionPolicy
    from fangkong.retention.services import policies_seed, purge_decide, purge_plan, purge_run

    assert connection.vendor == "postgresql", "run it on PostgreSQL (DATABASE_URL)"
    build(args.cases, args.contacts)
    policies_seed()
    RetentionPolicy.objects.filter(category__in=["cases", "contacts"]).update(action="delete", period_days=730)
    admin1, admin2 = User.objects.get(username="bench_admin1"), User.objects.get(username="bench_admin2")
    as_of = dt.date(2026, 6, 1)
    print(f"before: {uptime()}", flush=True)
    print(f"{Contact.objects.count():,} contacts, {Case.objects.count():,} cases, {Person.objects.count():,} persons")
    started = time.perf_counter()
    purge = purge_plan(actor=admin1, region="440000", as_of=as_of)
    plan_s = time.perf_counter() - started
    print(f"dry run: {plan_s:.1f} s — contacts {purge.plan['contacts']['count']:,}, "
          f"persons (at most) {purge.plan['persons']['count']:,}", flush=True)
    started = time.perf_counter()
    purge_decide(actor=admin2, purge=purge, approve=True)  # queues the run: in-process without a broker
    purge = purge_run(purge_id=purge.pk, batch_size=args.batch)  # runs it (or finds it done)
    run_s = time.perf_counter() - started
    counts = purge.progress["counts"]
    print(f"purge: {run_s:.1f} s — {counts}", flush=True)
    print(f"after: {Contact.objects.count():,} contacts, {Case.objects.count():,} cases, "
          f"{Person.objects.count():,} persons; certificate {purge.certificate.references_sha256[:16]}…")
    print(f"after: {uptime()}", flush=True)


if __name__ == "__main__":
    main()
