"""Benchmark: cases and contacts at province scale on PostgreSQL (issue 6).

    createdb -h 127.0.0.1 -U postgres fangkong_bench_cases
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_cases \\
        .venv/bin/python benchmarks/bench_cases.py [--cases 100000] [--contacts 1000000] \\
        [--import-rows 1000000] [--import-cases 0] [--requests 30] [--plain-role]

Set-up (not timed): the Guangdong region tree; ``--cases`` cases over the leaf regions (Shenzhen and
Dongguan heavy) in clusters of 100 with infector links, and ``--contacts`` contacts (40% close) with
their listing and quarantine times, written with COPY; their persons are written with COPY too
(synthetic hashes: the set-up is not the registration path).

Timed, through the code the application uses:

1. ``contacts_import`` of ``--import-rows`` new contacts, each with a valid citizen ID, read from a CSV
   file as an upload is (``imports.read_table``: ``fangkong.table_files``, within the import's caps):
   row validation, registration of the new persons (hash + encryption of identifiers), protocol lookup
   and test schedule, one transaction, audit — the whole import path of the page, the job and the command
   line. It prints the time to read the file and to import, and the process's **peak resident memory**
   during both (``VmHWM`` of ``/proc/self/status``, reset before through ``/proc/self/clear_refs``), with
   the memory the file itself takes. It prints how the foreign keys were checked: by set when the role may turn
   the row triggers off (a superuser, as here, or a role granted ``SET ON PARAMETER
   session_replication_role``), per row with ``--plain-role`` (a role without that grant);
2. with ``--import-cases N``, ``cases_import`` of N new cases (new persons; 9 in 10 infected by the
   case of the row before, so the links point inside the file);
3. the case list page (``/cases/``) as the provincial commander and as the Shenzhen epidemiologist, the
   page of the largest cluster (``/cases/clusters/<id>/`` and its ``graph.json``), and the tracing
   timeliness page (``/cases/timeliness/``) for the province and for Shenzhen: p50 and p95 over
   ``--requests`` requests each (after one warm-up request).

The database is rebuilt when it does not hold the requested numbers of cases and contacts; contacts
imported by an earlier run (numbers starting ``BENCH-I``) are removed first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import sys
import time

import numpy as np

START = dt.date(2022, 2, 1)
DAYS = 120
CLUSTER_SIZE = 100


def setup_django():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://... (a scratch database: the benchmark writes to it)")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    import django

    django.setup()


def _copy(cursor, table: str, columns: str, lines) -> None:
    buffer = io.StringIO()
    buffer.writelines(lines)
    buffer.seek(0)
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def leaves_weighted():
    from fangkong.regions.models import Region

    leaves = list(Region.objects.filter(children__isnull=True).exclude(level="province")
                  .values_list("code", "population"))
    weights = np.array([max(p, 1) * (8 if c.startswith(("4403", "4419")) else 1) for c, p in leaves], float)
    return [c for c, _p in leaves], weights / weights.sum()


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
    for name, region, role in (("bench_province", "440000", "provincial_commander"),
                               ("bench_sz_epi", "440300", "epidemiologist")):
        if not User.objects.filter(username=name).exists():
            make_user(name, (region, role))
    if Case.objects.count() == n_cases and Contact.objects.exclude(contact_no__startswith="BENCH-I").count() \
            == n_contacts:
        return
    print(f"building {n_cases:,} cases and {n_contacts:,} contacts ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE cases_contact_other_source_cases, cases_contact, cases_classificationchange, "
                       "cases_exposure_cases, cases_case, cases_cluster, persons_person CASCADE")
    codes, weights = leaves_weighted()
    rng = np.random.default_rng(6)
    n_people = n_cases + n_contacts
    person_region = rng.choice(len(codes), size=n_people, p=weights)
    tz = "+08"
    with connection.cursor() as cursor:
        _copy(cursor, "persons_person", "id, name, sex, citizen_id_hash, citizen_id_sealed, citizen_id_masked, "
              "phone_hash, phone_sealed, phone_masked, address_region_id, address_text, created_at, updated_at",
              (f"{i + 1}\t基准{i}\tU\th{i:063d}\t\t440***********{i % 10000:04d}\t\t\t\t{codes[person_region[i]]}\t\t"
               f"2022-01-01 00:00:00{tz}\t2022-01-01 00:00:00{tz}\n" for i in range(n_people)))
        cursor.execute("SELECT setval(pg_get_serial_sequence('persons_person', 'id'), %s)", [n_people])
        cluster_count = (n_cases + CLUSTER_SIZE - 1) // CLUSTER_SIZE
        first_case = np.arange(cluster_count) * CLUSTER_SIZE
        _copy(cursor, "cases_cluster", "id, name, region_id, external_id, created_at",
              (f"{c + 1}\t基准聚集{c}\t{codes[person_region[first_case[c]]][:4]}00\tBENCH-{c}\t"
               f"2022-01-01 00:00:00{tz}\n" for c in range(cluster_count)))
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_cluster', 'id'), %s)", [cluster_count])
        # Cases: report day grows within each cluster; the infector is an earlier case of the same cluster.
        report_day = np.sort(rng.integers(0, DAYS, size=n_cases))
        report_day = report_day[rng.permutation(n_cases)]
        order = np.argsort(report_day, kind="stable")
        cluster_of = np.empty(n_cases, np.int64)
        cluster_of[order] = rng.integers(0, cluster_count, size=n_cases)
        covid = cursor.execute("SELECT id FROM cases_disease WHERE code = 'covid-19'") or None
        covid = cursor.fetchone()[0]
        lines, infector = [], np.full(n_cases, -1)
        last_in_cluster: dict[int, list[int]] = {}
        for i in order:
            members = last_in_cluster.setdefault(int(cluster_of[i]), [])
            if members and rng.random() < 0.8:
                infector[i] = members[rng.integers(len(members))]
            members.append(int(i))
        for i in range(n_cases):
            day = START + dt.timedelta(days=int(report_day[i]))
            reported = f"{day} {8 + i % 10:02d}:00:00{tz}"
            diagnosed = f"{day} {7 + i % 10:02d}:00:00{tz}"
            deadline = f"{day} {9 + i % 10:02d}:00:00{tz}"
            region = codes[person_region[i]]
            lines.append(f"{i + 1}\tBENCH-{i:07d}\t{i + 1}\t{covid}\tconfirmed\t\\N\t\\N\t{diagnosed}\t{reported}\t"
                         f"{day}\t{deadline}\tf\tscreening\tf\t\tmild\tunder_treatment\t{region}\t{region}\t"
                         f"{infector[i] + 1 if infector[i] >= 0 else chr(92) + 'N'}\t{cluster_of[i] + 1}\tf\t1\t"
                         f"{reported}\t{reported}\n")
        _copy(cursor, "cases_case", "id, case_no, person_id, disease_id, classification, onset_date, sampling_date, "
              "diagnosed_at, reported_at, report_date, report_deadline, reported_late, detection_route, imported, "
              "origin, severity, outcome, residence_region_id, report_region_id, infector_id, cluster_id, "
              "found_under_management, version, created_at, updated_at", lines)
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [n_cases])
        protocol = ProtocolVersion.objects.get(code="8th")
        source = rng.integers(0, n_cases, size=n_contacts)
        listed_h = rng.integers(2, 40, size=n_contacts)
        quarantine_h = rng.integers(1, 36, size=n_contacts)
        lines = []
        for j in range(n_contacts):
            s = int(source[j])
            reported = dt.datetime.combine(START + dt.timedelta(days=int(report_day[s])), dt.time(8 + s % 10))
            listed = reported + dt.timedelta(hours=int(listed_h[j]))
            quarantined = listed + dt.timedelta(hours=int(quarantine_h[j]))
            close = j % 5 < 2
            lines.append(f"{j + 1}\tBENCH-K{j:08d}\t{n_cases + j + 1}\t{codes[person_region[n_cases + j]]}\t"
                         f"{'close' if close else 'secondary'}\t{s + 1}\tother\t{listed}{tz}\t{listed.date()}\t"
                         f"{quarantined}{tz}\t\t"
                         f"{protocol.pk}\t[]\tquarantined\t{'t' if listed_h[j] <= 24 else 'f'}\t"
                         f"{'t' if quarantine_h[j] <= 24 else 'f'}\t1\t{listed}{tz}\t{listed}{tz}\n")
        _copy(cursor, "cases_contact", "id, contact_no, person_id, region_id, category, source_case_id, "
              "exposure_type, listed_at, listed_date, quarantined_at, quarantine_place, protocol_id, test_schedule, status, "
              "listed_within_24h, quarantined_within_24h, version, created_at, updated_at", lines)
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_contact', 'id'), %s)", [n_contacts])
        cursor.execute("ANALYZE")


def import_rows(n: int, seed: int = 11) -> list[dict]:
    from fangkong.cases.models import Case
    from fangkong.persons.demo import synthetic_identities

    codes, weights = leaves_weighted()
    rng = np.random.default_rng(seed)
    regions = [codes[i] for i in rng.choice(len(codes), size=n, p=weights)]
    people = synthetic_identities(regions, seed=seed, as_of=dt.date(2022, 3, 1))
    case_nos = list(Case.objects.order_by("?").values_list("case_no", flat=True)[:1000])
    rows = []
    for j, person in enumerate(people):
        listed = dt.datetime(2022, 4, 1, 10) + dt.timedelta(minutes=j % 10_000)
        rows.append({
            "contact_no": f"BENCH-I{j:08d}", "name": person["name"], "citizen_id": person["citizen_id"],
            "phone": person["phone"], "sex": person["sex"], "birth_date": person["birth_date"].isoformat(),
            "address_region": person["address_region"], "category": "close",
            "source_case_no": case_nos[j % len(case_nos)], "region": person["address_region"],
            "exposure_type": "household", "exposure_start": "2022-03-30", "exposure_end": "2022-03-31",
            "listed_at": listed.strftime("%Y-%m-%d %H:%M"),
            "quarantined_at": (listed + dt.timedelta(hours=6)).strftime("%Y-%m-%d %H:%M"),
            "quarantine_place": "基准隔离点",
        })
    return rows


def case_import_rows(n: int, seed: int = 5) -> list[dict]:
    """``n`` case rows of new persons, reported over four days; 9 in 10 name the previous row as infector."""
    from fangkong.cases.imports import CASE_COLUMNS
    from fangkong.persons.demo import synthetic_identities

    codes, weights = leaves_weighted()
    rng = np.random.default_rng(seed)
    regions = [codes[i] for i in rng.choice(len(codes), size=n, p=weights)]
    rows = []
    for j, person in enumerate(synthetic_identities(regions, seed=seed, as_of=dt.date(2022, 3, 1))):
        reported = dt.datetime(2022, 4, 2, 8) + dt.timedelta(minutes=j % 5000)
        rows.append({column: "" for column in CASE_COLUMNS} | {
            "case_no": f"BENCH-C{j:07d}", "name": person["name"], "citizen_id": person["citizen_id"],
            "phone": person["phone"], "sex": person["sex"], "birth_date": person["birth_date"].isoformat(),
            "address_region": person["address_region"], "disease": "covid-19", "classification": "confirmed",
            "onset_date": "2022-03-30", "sampling_date": "2022-03-31",
            "diagnosed_at": (reported - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
            "reported_at": reported.strftime("%Y-%m-%d %H:%M"), "detection_route": "screening",
            "report_region": person["address_region"], "infector_case_no": f"BENCH-C{j - 1:07d}" if j % 10 else ""})
    return rows


def plain_role_become(name: str = "fangkong_bench_plain") -> None:
    """Switch the session to a role without superuser rights nor the grant on session_replication_role."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {name} NOSUPERUSER")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {name}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {name}")
        cursor.execute(f"SET ROLE {name}")


def timed(fn, n: int) -> tuple[float, float]:
    """p50 and p95 in ms of ``n`` calls of ``fn``, after one warm-up call."""
    fn()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def percentiles(client, path: str, n: int):
    """p50 and p95 in ms of ``n`` requests of ``path`` (after a warm-up), and the last response (a 200)."""
    last = []

    def get():
        last[:] = [client.get(path)]
        assert last[0].status_code == 200, (path, last[0].status_code)

    p50, p95 = timed(get, n)
    return p50, p95, last[0]


def rss_peak_reset() -> int:
    """Reset the process's peak resident memory to its current one (Linux); the current one, in kB."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    return proc_status_kb("VmRSS")


def proc_status_kb(key: str) -> int:
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith(key + ":"))


def as_csv(rows: list[dict]) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def import_file_measured(path: str, *, plain_role: bool) -> None:
    """Read a contacts CSV and import it, timed, with the peak resident memory of this fresh process."""
    from django.db import transaction

    from fangkong.accounts.models import User
    from fangkong.bulk_copy import foreign_keys_checked_by_set
    from fangkong.cases.imports import contacts_import, read_table
    from fangkong.cases.models import Contact

    actor = User.objects.get(username="bench_province")
    if plain_role:
        plain_role_become()
    with transaction.atomic(), foreign_keys_checked_by_set(Contact) as by_set:
        pass
    print("foreign keys: " + ("checked by set, row triggers off" if by_set else "per-row triggers"), flush=True)
    before = rss_peak_reset()
    start = time.perf_counter()
    with open(path, "rb") as handle:
        data = handle.read()
    rows = read_table(data, "contacts.csv")
    print(f"read_table of a {len(data) / 1024 / 1024:,.0f} MB CSV: {time.perf_counter() - start:.1f} s, "
          f"{len(rows):,} rows; resident memory {before / 1024:,.0f} MB before, "
          f"{proc_status_kb('VmRSS') / 1024:,.0f} MB with the file and its rows", flush=True)
    import_timed(contacts_import, actor, rows, "contacts", "bench")
    peak = proc_status_kb("VmHWM")
    print(f"peak resident memory of read + import: {peak / 1024:,.0f} MB ({(peak - before) / 1024:,.0f} MB above the "
          f"process before it read the file); load average {os.getloadavg()[0]:.1f}", flush=True)


def import_timed(run, actor, rows: list[dict], what: str, source: str) -> None:
    """Time one import of ``rows`` through ``run`` (``contacts_import`` or ``cases_import``) and print it."""
    start = time.perf_counter()
    outcome = run(actor=actor, rows=rows, source=source)
    elapsed = time.perf_counter() - start
    print(f"{run.__name__} of {len(rows):,} rows: {elapsed:.1f} s ({len(rows) / elapsed:,.0f} rows/s); "
          f"{outcome.created:,} {what}, {outcome.persons_created:,} persons registered", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=1_000_000)
    parser.add_argument("--import-cases", type=int, default=0,
                        help="also time cases_import of this many new cases (9 in 10 infected by the row before)")
    parser.add_argument("--requests", type=int, default=30, help="per page; 0 skips the pages")
    parser.add_argument("--plain-role", action="store_true",
                        help="import as a database role that may not turn row triggers off (the per-row "
                             "foreign-key checks: what a deployment without the grant gets)")
    parser.add_argument("--import-file", help=argparse.SUPPRESS)  # the child process that reads and imports
    args = parser.parse_args()
    setup_django()
    if args.import_file:
        return import_file_measured(args.import_file, plain_role=args.plain_role)

    from django.db.models import Count
    from django.test import Client

    from fangkong.accounts.models import User
    from fangkong.cases.imports import cases_import
    from fangkong.cases.models import Cluster

    t = time.perf_counter()
    build(args.cases, args.contacts)
    from django.db import connection

    actor = User.objects.get(username="bench_province")
    with connection.cursor() as cursor:  # what an earlier run imported: its contacts and cases, then its persons
        cursor.execute("DELETE FROM cases_contact WHERE contact_no LIKE 'BENCH-I%%'")
        cursor.execute("DELETE FROM cases_classificationchange WHERE case_id IN "
                       "(SELECT id FROM cases_case WHERE case_no LIKE 'BENCH-C%%')")
        cursor.execute("DELETE FROM cases_case WHERE case_no LIKE 'BENCH-C%%'")
        cursor.execute("DELETE FROM persons_person WHERE created_by_id = %s", [actor.pk])
    with connection.cursor() as cursor:  # as autovacuum would, so that index-only scans can skip the heap
        cursor.execute("VACUUM ANALYZE cases_contact")
        cursor.execute("VACUUM ANALYZE cases_case")
        cursor.execute("VACUUM ANALYZE persons_person")
        cursor.execute("CHECKPOINT")  # the clean-up's dirty pages written now, not during the timed import
    print(f"set-up: {time.perf_counter() - t:.0f} s", flush=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")

    if args.import_rows:
        import subprocess
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
            handle.write(as_csv(import_rows(args.import_rows)))
        # read and import in a process of their own, as a server's job would: its memory is theirs alone
        subprocess.run([sys.executable, os.path.abspath(__file__), "--import-file", handle.name,
                        *(["--plain-role"] if args.plain_role else [])], check=True)
        os.unlink(handle.name)

    if args.import_cases:
        import_timed(cases_import, actor, case_import_rows(args.import_cases), "cases", "bench-cases")

    if not args.requests:
        return
    client = Client()
    largest = Cluster.objects.annotate(n=Count("cases")).order_by("-n").first()
    for username, label in (("bench_province", "province"), ("bench_sz_epi", "Shenzhen epidemiologist")):
        client.force_login(User.objects.get(username=username))
        deep = "/cases/"
        for _ in range(49):  # the cursor of the 50th page, by the "next" links (not timed)
            deep = "/cases/?cursor=" + client.get(deep).context["page"].next_cursor
        paths = [("case list", "/cases/"), ("case list, page 50", deep), ("timeliness", "/cases/timeliness/")]
        if username == "bench_province":
            paths += [(f"cluster page ({largest.n} cases)", f"/cases/clusters/{largest.pk}/"),
                      ("cluster graph.json", f"/cases/clusters/{largest.pk}/graph.json")]
        for name, path in paths:
            p50, p95, _response = percentiles(client, path, args.requests)
            print(f"{label:26s} {name:28s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms", flush=True)


if __name__ == "__main__":
    main()
