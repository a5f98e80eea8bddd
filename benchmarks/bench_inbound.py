"""Benchmark: the inbound closed loop at scale (issue 17) on PostgreSQL — a 10,000-row manifest imported
through the service, the break sweep over N open loops, the receiver's inbox and the break list.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_inbound \\
        .venv/bin/python benchmarks/bench_inbound.py [open loops, default 1000000] [requests, default 30]

Builds (COPY) N open loops over the ten ports and 100 days of manifests: 90 % in central quarantine or home
monitoring with their due time ahead, 5 % in transfer with a pending hand-off (half of them past the deadline),
5 % arrived and overdue for transfer; then times ``manifest_import`` of 10,000 new travellers (hash, seal,
validation, insert), ``breaks_sweep`` (the periodic job) and, in process with the test client, the inbox of
a receiving county and the break list of the Shenzhen city (p50/p95 of ``requests`` after a warm-up).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_cases import _copy, leaves_weighted, percentiles, setup_django  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 30
ONLY = sys.argv[3] if len(sys.argv) > 3 else ""  # "pages" or "sweep": that part alone, on a database built


def build(n: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from fangkong.inbound.models import Manifest, Port, Traveller
    from fangkong.inbound.services import ports_install
    from fangkong.regions.services import region_tree_load

    call_command("migrate", verbosity=0)
    region_tree_load()
    ports_install()
    if Traveller.objects.count() >= n:
        return
    print(f"building {n:,} open loops ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE inbound_loopbreak, inbound_handoff, inbound_transferbatch, inbound_loopstep, "
                       "inbound_traveller, inbound_manifest CASCADE")
    ports = list(Port.objects.order_by("code"))
    today = timezone.localdate()
    manifests = [Manifest(port=p, region_id=p.region_id, carrier="flight", carrier_no=f"B{d:03d}",
                          arrival_date=today - dt.timedelta(days=d)) for p in ports for d in range(100)]
    Manifest.objects.bulk_create(manifests)
    codes, weights = leaves_weighted()
    rng = np.random.default_rng(17)
    manifest_of = rng.integers(0, len(manifests), n)
    destination = rng.choice(len(codes), size=n, p=weights)
    kind = rng.random(n)
    now = timezone.now()
    status = np.where(kind < 0.05, "arrived", np.where(kind < 0.10, "in_transfer",
                                                     np.where(kind < 0.55, "central_quarantine", "home_monitoring")))
    due = np.where(kind < 0.05, -2.0, np.where(kind < 0.075, -1.0, np.where(kind < 0.10, 3.0, 24.0 * 5)))
    lines = []
    for i in range(n):
        m = manifests[manifest_of[i]]
        at = (now + dt.timedelta(hours=float(due[i]))).isoformat()
        holder = m.region_id if status[i] in ("arrived", "in_transfer") else codes[destination[i]]
        lines.append(f"{i + 1}\t{m.pk}\t{m.port_id}\t{m.region_id}\t{codes[destination[i]]}\t{holder}\t旅客{i}\tU\t\\N\t"
                     f"\tpassport\t{i:064x}\tv1:bench\tE********\t\t{status[i]}\t{now.isoformat()}\t"
                     f"{now.isoformat()}\t\\N\t\\N\t\\N\t\\N\t{at}\t\\N\t1\t{now.isoformat()}\t\\N\n")
    with connection.cursor() as cursor:
        _copy(cursor, "inbound_traveller", "id, manifest_id, port_id, port_region_id, destination_id, holder_id, "
              "name, sex, birth_date, nationality, id_kind, id_hash, id_sealed, id_masked, address_text, status, "
              "status_at, arrived_at, protocol_id, centralised_until, home_until, release_due, due_at, case_id, "
              "version, created_at, created_by_id", lines)
        cursor.execute("SELECT setval(pg_get_serial_sequence('inbound_traveller', 'id'), %s)", [n])
        transfer = np.flatnonzero(status == "in_transfer")
        batches, handoffs = [], []
        for b, start in enumerate(range(0, len(transfer), 50)):
            rows = transfer[start:start + 50]
            first = manifests[manifest_of[rows[0]]]
            receiver = codes[destination[rows[0]]]
            deadline = (now + dt.timedelta(hours=float(due[rows[0]]))).isoformat()
            batches.append(f"{b + 1}\tquarantine\t{first.region_id}\tport\t{receiver}\tsite\t\t\t{now.isoformat()}\t"
                           f"{deadline}\t{now.isoformat()}\t\\N\n")
            for i in rows:
                handoffs.append(f"{b + 1}\t{i + 1}\t{manifests[manifest_of[i]].region_id}\t{receiver}\tarrived\t"
                                f"pending\t\\N\t\\N\t\n")
        _copy(cursor, "inbound_transferbatch", "id, stage, sender_region_id, sender_unit, receiver_region_id, "
              "receiver_unit, vehicle, escort, expected_at, ack_deadline, created_at, created_by_id", batches)
        cursor.execute("SELECT setval(pg_get_serial_sequence('inbound_transferbatch', 'id'), %s)", [len(batches)])
        _copy(cursor, "inbound_handoff", "batch_id, traveller_id, sender_region_id, receiver_region_id, "
              "status_before, state, answered_at, answered_by_id, reason", handoffs)
        cursor.execute("ANALYZE")


def main() -> None:
    setup_django()
    from django.utils import timezone

    from fangkong.accounts.models import User
    from fangkong.inbound.documents import document_parse
    from fangkong.inbound.models import Handoff, Traveller
    from fangkong.inbound.services import manifest_import
    from fangkong.testing.builders import make_user

    build(N)
    users = {}
    for name, region, role in (("bench_in_sz", "440300", "epidemiologist"),
                               ("bench_in_futian", "440304", "epidemiologist")):
        users[name] = User.objects.filter(username=name).first() or make_user(name, (region, role))
    if ONLY == "pages":
        return pages(users)
    if ONLY == "sweep":
        return sweep()
    run = int(time.time())  # new passports each run: those of an earlier run are in open loops already
    rows = [{"name": f"测{i}", "document": document_parse("passport", f"G{run}{i:05d}"), "destination": "441900"}
            for i in range(10_000)]
    start = time.perf_counter()
    result = manifest_import(actor=users["bench_in_futian"], port="huanggang", carrier="flight",
                             carrier_no=f"BENCH{int(time.time())}", arrival_date=timezone.localdate(), rows=rows)
    print(f"manifest of 10,000 rows imported: {time.perf_counter() - start:.2f} s "
          f"(created {result.created}, errors {len(result.errors)})")
    assert result.created == 10_000, result.errors[:3]
    print(f"open loops: {Traveller.objects.count():,}; pending hand-offs: "
          f"{Handoff.objects.filter(state='pending').count():,}")
    sweep()
    pages(users)


def sweep() -> None:
    """The break sweep over the open loops, from the state the build made (the breaks of an earlier sweep
    removed, the overdue loops' due times put back)."""
    from django.db import connection

    from fangkong.inbound.services import breaks_sweep

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE inbound_loopbreak")
        cursor.execute("UPDATE inbound_traveller SET due_at = created_at - interval '2 hours' "
                       "WHERE due_at IS NULL AND status = 'arrived'")
        cursor.execute("UPDATE inbound_traveller SET due_at = created_at - interval '1 hour' "
                       "WHERE due_at IS NULL AND status = 'in_transfer'")
        cursor.execute("VACUUM ANALYZE inbound_traveller")  # autocommit: the script has no transaction open
    start = time.perf_counter()
    swept = breaks_sweep()
    print(f"break sweep: {time.perf_counter() - start:.2f} s, {swept}")


def pages(users) -> None:
    from django.test import Client

    client = Client()
    for user, path in (("bench_in_futian", "/inbound/inbox/"), ("bench_in_sz", "/inbound/inbox/"),
                       ("bench_in_sz", "/inbound/breaks/"), ("bench_in_sz", "/api/v1/inbound-breaks/"),
                       ("bench_in_futian", "/api/v1/inbound-handoffs/inbox/")):
        client.force_login(users[user])
        p50, p95, _last = percentiles(client, path, REQUESTS)
        print(f"{path} as {user}: p50 {p50:.0f} ms, p95 {p95:.0f} ms")


if __name__ == "__main__":
    main()
