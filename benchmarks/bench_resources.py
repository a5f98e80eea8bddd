"""Benchmark: the resources module (issue 20) on PostgreSQL — the forecast of all 21 cities × every resource,
and the quarantine-site manager's occupancy page with N rooms and M assignments.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_resources \\
        .venv/bin/python benchmarks/bench_resources.py [rooms, default 10000] [assignments, default 1000000] [requests, default 30]

Builds (COPY) ``rooms`` rooms over 100 sites of the province (Shenzhen and Dongguan weighted), one open
assignment per occupied room (60 %) and the rest of ``assignments`` checked out over the last 200 days; a wave
of 20,000 reported infections over the last 42 days across the 21 cities (so every city is projected); a bed
count per city; stock of every item per city. Then times:

- ``forecast.forecast`` of the 21 cities (400 paths, 28 days): the whole call (its database reads and the
  vectorised projection), against the naive way side by side: one projection per city × resource (the demand
  computed again for each resource, as a loop over resources would);
- the occupancy page of the largest site (``/resources/sites/<id>/``, as its manager and as the province), its
  rooms (``/resources/sites/<id>/room-list/``) and the overview (``/resources/``, as the province), p50/p95 of
  ``requests`` after a warm-up, in process with the test client.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_cases import _copy, percentiles, setup_django  # noqa: E402

ROOMS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
ASSIGNMENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
REQUESTS = int(sys.argv[3]) if len(sys.argv) > 3 else 30
SITES = 100
INFECTIONS = 20_000


def build() -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from fangkong.regions.models import Region
    from fangkong.regions.services import region_tree_load
    from fangkong.resources.models import Assignment, QuarantineSite

    call_command("migrate", verbosity=0)
    region_tree_load()
    if QuarantineSite.objects.count() >= SITES and Assignment.objects.count() >= ASSIGNMENTS:
        return
    print(f"building {ROOMS:,} rooms, {ASSIGNMENTS:,} assignments, {INFECTIONS:,} infections ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE resources_assignment, resources_room, resources_quarantinesite_managers, "
                       "resources_quarantinesite, resources_bedcensus, resources_hospital, resources_stockmovement, "
                       "resources_stock, resources_requisition, resources_store CASCADE")
    rng = np.random.default_rng(20)
    cities = list(Region.objects.filter(level=Region.Level.PREFECTURE).order_by("code").values_list("code", flat=True))
    weights = np.array([8.0 if c in ("440300", "441900") else 1.0 for c in cities])
    weights /= weights.sum()
    now = timezone.now()
    site_city = rng.choice(cities, size=SITES, p=weights)
    sites = QuarantineSite.objects.bulk_create([QuarantineSite(region_id=c, name=f"基准隔离点{i}", kind="hotel")
                                                for i, c in enumerate(site_city)])
    # the largest site first: a tenth of the rooms
    per_site = np.maximum(1, rng.multinomial(ROOMS - ROOMS // 10, np.full(SITES - 1, 1 / (SITES - 1))))
    per_site = np.concatenate([[ROOMS // 10], per_site])
    room_lines, room_site, room_region = [], [], []
    rid = 0
    for site, n in zip(sites, per_site, strict=True):
        for k in range(int(n)):
            rid += 1
            state = "occupied" if rng.random() < 0.6 else "available"
            room_lines.append(f"{rid}\t{site.pk}\t{site.region_id}\t{k + 1}\tsingle\t{state}\t1\t{now.isoformat()}\n")
            room_site.append(site.pk)
            room_region.append(site.region_id)
    occupied = [i for i, line in enumerate(room_lines) if "\toccupied\t" in line]
    with connection.cursor() as cursor:
        _copy(cursor, "resources_room", "id, site_id, region_id, number, kind, state, version, updated_at", room_lines)
        cursor.execute("SELECT setval(pg_get_serial_sequence('resources_room', 'id'), %s)", [rid])
        # persons: one per assignment would be a million persons; a closed assignment may reuse one
        cursor.execute("SELECT id FROM persons_person ORDER BY id LIMIT %s", [len(occupied) + 1000])
        persons = [r[0] for r in cursor.fetchall()]
    if len(persons) < len(occupied) + 1000:
        from bench_cases import build as cases_build  # noqa: PLC0415 - persons and cases of the cases benchmark
        cases_build(INFECTIONS, len(occupied) + 1000)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM persons_person ORDER BY id LIMIT %s", [len(occupied) + 1000])
            persons = [r[0] for r in cursor.fetchall()]
    lines = []
    today = timezone.localdate()
    for j, i in enumerate(occupied):
        at = now - dt.timedelta(days=float(rng.integers(0, 7)), hours=float(rng.integers(0, 24)))
        due = today + dt.timedelta(days=int(rng.integers(0, 7)))
        lines.append(f"{i + 1}\t{room_site[i]}\t{room_region[i]}\t{persons[j]}\tin\t{at.isoformat()}\t{due}\t\\N\t1\n")
    for _ in range(ASSIGNMENTS - len(occupied)):
        i = int(rng.integers(0, len(room_lines)))
        at = now - dt.timedelta(days=float(rng.integers(8, 200)), hours=float(rng.integers(0, 24)))
        out = at + dt.timedelta(days=float(rng.integers(3, 8)))
        lines.append(f"{i + 1}\t{room_site[i]}\t{room_region[i]}\t{persons[len(occupied) + int(rng.integers(0, 1000))]}"
                     f"\tout\t{at.isoformat()}\t{out.date()}\t{out.isoformat()}\t1\n")
    with connection.cursor() as cursor:
        _copy(cursor, "resources_assignment", "room_id, site_id, region_id, person_id, status, checked_in_at, "
              "expected_check_out, checked_out_at, version", lines)
        cursor.execute("ANALYZE")


def naive_forecast(cities, day):
    """The naive way: for each city and each resource its own projection and demand (no reuse across the
    resources of a city)."""
    from fangkong.resources import forecast

    lines = 0
    for city in cities:
        for _resource in (forecast.ROOMS, forecast.ISOLATION, forecast.SEVERE, *(f"supply:{i}" for i in range(5))):
            lines += len(forecast.forecast([city], day))
    return lines


def main() -> None:
    setup_django()
    from django.db.models import Max
    from django.test import Client

    from fangkong.accounts.models import User
    from fangkong.cases.models import Case
    from fangkong.regions.models import Region
    from fangkong.resources import forecast
    from fangkong.resources.models import QuarantineSite
    from fangkong.testing.builders import make_user

    build()
    cities = list(Region.objects.filter(level=Region.Level.PREFECTURE).order_by("code"))
    day = Case.objects.aggregate(last=Max("report_date"))["last"]
    forecast.forecast(cities, day)  # warm-up
    times = []
    for _ in range(5):
        start = time.perf_counter()
        lines = forecast.forecast(cities, day)
        times.append(time.perf_counter() - start)
    projected = sum(1 for line in lines if line.resource == forecast.ROOMS and line.band)
    print(f"forecast, {len(cities)} cities x {len(lines) // len(cities)} resources ({projected} cities projected), "
          f"400 paths x 28 days: median {np.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
    start = time.perf_counter()
    naive_forecast(cities, day)
    naive = time.perf_counter() - start
    print(f"naive (a projection per city x resource): {naive * 1000:.0f} ms; ratio {naive / np.median(times):.1f}x")
    site = QuarantineSite.objects.order_by("id").first()
    manager = User.objects.filter(username="bench_res_qm").first() or make_user("bench_res_qm", (site.region_id[:4] + "00", "quarantine_manager"))
    site.managers.add(manager)
    province = User.objects.filter(username="bench_res_gd").first() or make_user("bench_res_gd", ("440000", "provincial_commander"))
    client = Client()
    for user, path in ((manager, f"/resources/sites/{site.pk}/"), (province, f"/resources/sites/{site.pk}/"),
                       (manager, f"/resources/sites/{site.pk}/room-list/"), (province, "/resources/")):
        client.force_login(user)
        p50, p95, _last = percentiles(client, path, REQUESTS)
        print(f"{path} as {user.username}: p50 {p50:.0f} ms, p95 {p95:.0f} ms")


if __name__ == "__main__":
    main()
