"""Benchmark: the laboratory module (issue 21) on PostgreSQL — a mass-screening round of 17,500,000 people in
10-in-1 pools.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_lab \\
        .venv/bin/python benchmarks/bench_laboratory.py [pools, default 1750000] [requests, default 30]

Builds (COPY) one Shenzhen laboratory, one round of ``pools`` × 10 people in one county and its ``pools`` tubes;
members (and their persons) only for the 0.1 % of tubes that will be positive — the others' members would be
17.5 million rows no step below reads (the ingest reads tubes, the flags read the positive tubes' members by
index). Then times:

- the import of the laboratory's result file of every tube (``services.results_import``, the service of the
  result-file page: the CSV read into columns, each distinct text of the short columns read once with the
  result form's schema and the rule across fields once per combination, the codes checked over the whole
  column; COPY into a staging table, one join with the laboratory's pools, specimens and results that finds
  every row's sample and the rows the database refuses, one INSERT … SELECT into the results, the round's
  tally) — against the naive way, ``result_record`` row by row, timed on 300 tubes and extrapolated;
- the control flags and re-sampling problem/task of the positive tubes (``services.pools_flag``: one UPDATE of
  their members, one of the tubes, one problem with its task for the county's tubes flagged together) — the
  service runs it in the ingest's transaction; it is timed apart here;
- the round's progress page (``/laboratory/rounds/<id>/``) as the Shenzhen epidemiologist, p50/p95 of
  ``requests`` after a warm-up, in process with the test client.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_cases import _copy, percentiles, setup_django  # noqa: E402

POOLS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_750_000
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 30
SIZE = 10
NAIVE = 300  # tubes recorded row by row (then rolled back)
POSITIVE_EVERY = 1000  # 0.1 % of the tubes
COUNTY = "440304"


def build():
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from fangkong.accounts.roles import Role
    from fangkong.laboratory.models import Laboratory, Pool, ScreeningRound
    from fangkong.laboratory.services import laboratory_create, round_create
    from fangkong.regions.services import region_tree_load
    from fangkong.testing.builders import make_user

    call_command("migrate", verbosity=0)
    region_tree_load()
    from fangkong.accounts.models import User

    epi = User.objects.filter(username="bench_epi").first() or make_user("bench_epi", ("440300", Role.EPIDEMIOLOGIST))
    lab = Laboratory.objects.first() or laboratory_create(actor=epi, name="基准实验室", region="440300",
                                                          daily_capacity=2_000_000)
    screening = ScreeningRound.objects.first()
    if screening is not None and Pool.objects.count() >= POOLS:
        return epi, lab, screening
    print(f"building {POOLS:,} tubes ...", flush=True)
    screening = round_create(actor=epi, county=COUNTY, name="基准轮次", starts_on=timezone.localdate(),
                             population=POOLS * SIZE, expected_prevalence=0.0001, pool_sizes=[SIZE])
    sampled = (timezone.now() - dt.timedelta(hours=20)).isoformat()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        _copy(cursor, "laboratory_pool",
              "round_id, laboratory_id, region_id, code, size, sampled_at, sampling_point, sampler, resolution",
              (f"{screening.pk}\t{lab.pk}\t{COUNTY}\tT{i:08d}\t{SIZE}\t{sampled}\t采样点{i % 500}\t采样员\t\n"
               for i in range(POOLS)))
        positives = POOLS // POSITIVE_EVERY
        now = timezone.now().isoformat()
        _copy(cursor, "persons_person",
              "name, sex, citizen_id_sealed, citizen_id_masked, phone_hash, phone_sealed, phone_masked, "
              "address_region_id, address_text, created_at, updated_at",
              (f"受检者{i}\tU\t\t\t\t\t\t{COUNTY}\t\t{now}\t{now}\n" for i in range(positives * SIZE)))
        cursor.execute("SELECT id FROM persons_person ORDER BY id DESC LIMIT %s", [positives * SIZE])
        person_ids = sorted(r[0] for r in cursor.fetchall())
        cursor.execute("SELECT id FROM laboratory_pool WHERE round_id = %s AND code = ANY(%s) ORDER BY code",
                       [screening.pk, [f"T{i:08d}" for i in range(0, POOLS, POSITIVE_EVERY)]])
        pool_ids = [r[0] for r in cursor.fetchall()]
        _copy(cursor, "laboratory_poolmember", "pool_id, round_id, person_id, verdict",
              (f"{pool_ids[k // SIZE]}\t{screening.pk}\t{pid}\t\n" for k, pid in enumerate(person_ids)))
        cursor.execute("UPDATE laboratory_screeninground SET pools_sampled = %s, persons_sampled = %s WHERE id = %s",
                       [POOLS, POOLS * SIZE, screening.pk])
        cursor.execute("ANALYZE")
    print(f"built in {time.perf_counter() - started:.1f} s", flush=True)
    screening.refresh_from_db()
    return epi, lab, screening


def result_file(codes, received, resulted) -> bytes:
    lines = ["code,outcome,ct_values,received_at,resulted_at\n"]
    for i in codes:
        positive = i % POSITIVE_EVERY == 0
        lines.append(f"T{i:08d},{'positive' if positive else 'negative'},{'ORF1ab:31.2;N:30.5' if positive else ''},"
                     f"{received},{resulted}\n")
    return "".join(lines).encode()


def main():
    setup_django()
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from fangkong.laboratory.models import Pool, PoolMember, Result
    from fangkong.laboratory.services import pools_flag, result_record, results_import
    from fangkong.worklists.models import Problem

    epi, lab, screening = build()
    received = (timezone.now() - dt.timedelta(hours=12)).replace(minute=0, second=0, microsecond=0)
    resulted = received + dt.timedelta(hours=4)
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    # the naive way: row by row through result_record, NAIVE tubes, then undone
    naive_codes = range(1, NAIVE + 1)
    started = time.perf_counter()
    with transaction.atomic():
        for i in naive_codes:
            result_record(actor=epi, laboratory=lab, code=f"T{i:08d}", outcome="negative", ct_values={},
                          received_at=received, resulted_at=resulted)
        naive = time.perf_counter() - started
        transaction.set_rollback(True)
    print(f"naive: {NAIVE:,} rows in {naive:.2f} s -> {naive / NAIVE * POOLS:.0f} s for {POOLS:,}", flush=True)

    content = result_file(range(POOLS), received.isoformat(), resulted.isoformat())
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM laboratory_result")
    started = time.perf_counter()
    batch = results_import(actor=epi, laboratory=lab, content=content, flag=False)
    ingest = time.perf_counter() - started
    print(f"ingest: {batch.rows:,} rows, {batch.recorded:,} recorded in {ingest:.1f} s", flush=True)
    started = time.perf_counter()
    with transaction.atomic():
        flagged = pools_flag(Pool.objects.filter(result__source=batch), timezone.now())
    flags = time.perf_counter() - started
    print(f"flags: {flagged:,} members of {Pool.objects.filter(flagged_at__isnull=False).count():,} tubes,"
          f" {Problem.objects.filter(source='laboratory').count()} problem(s) with their task in {flags:.1f} s", flush=True)
    assert PoolMember.objects.filter(controlled_at__isnull=False).count() == flagged
    assert Result.objects.count() == POOLS

    client = Client()
    client.force_login(epi)
    p50, p95, response = percentiles(client, f"/laboratory/rounds/{screening.pk}/", REQUESTS)
    assert f"T{(POOLS // POSITIVE_EVERY - 1) * POSITIVE_EVERY:08d}".encode() in response.content
    print(f"progress page: p50 {p50:.0f} ms, p95 {p95:.0f} ms", flush=True)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
