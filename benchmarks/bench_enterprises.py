"""Benchmark: enterprises (issue 22) — 200,000 enterprises and 2,000,000 supply links, on PostgreSQL: who a
lockdown of one district hits (the recursive query alone and the API), and the ticket list (API) p50/p95.

    createdb -h 127.0.0.1 -U postgres fangkong_bench_enterprises
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_enterprises \\
        .venv/bin/python benchmarks/bench_enterprises.py [enterprises, default 200000]

Builds once, with COPY (``fangkong.bulk_copy.copy_rows``; deterministic): the enterprises spread in blocks
over Guangdong's counties (so neighbours in id share a county), ten customers each at fixed id offsets
(1, 7, 31 … 150001: mostly the same county or city, some far; no self-link, no pair twice), and 500,000
tickets routed to the county commands. Then, after one warm-up: the recursive query for the district with
the most enterprises, the lockdown API for it as the provincial commander, and the ticket list API (first
page) as the provincial commander, a county commander and an enterprise contact, p50/p95 of 30 runs.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
import django  # noqa: E402

django.setup()
from bench_cases import percentiles, timed  # noqa: E402 (this folder is on the path of a script run from it)
from django.test import Client  # noqa: E402

N_ENTERPRISES = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
OFFSETS = (1, 7, 31, 101, 503, 2003, 10007, 40009, 90001, 150001)
N_TICKETS = 500_000
N = 30
CHUNK = 20_000


def build() -> None:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from fangkong.accounts.models import User
    from fangkong.bulk_copy import copy_rows, copy_text
    from fangkong.enterprises.models import Enterprise
    from fangkong.keypopulations.models import EmployerAccess
    from fangkong.regions.models import Region
    from fangkong.regions.services import region_tree_load
    from fangkong.testing.builders import make_user
    from fangkong.worklists.services import command_unit

    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        region_tree_load()
    counties = list(Region.objects.filter(level="county", code__startswith="44").order_by("code")
                    .values_list("code", flat=True))
    for name, region, role in (("bench_province", "440000", "provincial_commander"),
                               ("bench_county", counties[0], "local_commander"),
                               ("bench_contact", counties[0][:4] + "00", "enterprise_contact")):
        if not User.objects.filter(username=name).exists():
            make_user(name, (region, role))
    EmployerAccess.objects.get_or_create(user=User.objects.get(username="bench_contact"),
                                         employer_code=f"B{0:017d}")
    if Enterprise.objects.count() == N_ENTERPRISES:
        return
    assert not Enterprise.objects.exists(), "a partial build: drop the database and run again"
    units = {code: command_unit(Region.objects.get(code=code)).pk for code in counties}
    user = User.objects.get(username="bench_province").pk
    now = timezone.now()
    block = -(-N_ENTERPRISES // len(counties))
    started = time.perf_counter()
    with transaction.atomic():
        copy_rows("enterprises_enterprise",
                  ["id", "credit_code", "name", "sector", "size", "region_id", "county_id", "address", "staff",
                   "supply_guarantee", "export", "key_chain", "created_at"],
                  ("".join(f"{i}\tB{i - 1:017d}\t企业{i}\t{('electronics', 'food', 'automotive', 'logistics')[i % 4]}"
                           f"\tmedium\t{counties[(i - 1) // block]}\t{counties[(i - 1) // block]}\t路{i}号"
                           f"\t{50 + i % 950}\t{'t' if i % 7 == 0 else 'f'}\t{'t' if i % 5 == 0 else 'f'}"
                           f"\t{'t' if i % 3 == 0 else 'f'}\t{copy_text(now)}\n"
                           for i in range(start, min(start + CHUNK, N_ENTERPRISES + 1)))
                   for start in range(1, N_ENTERPRISES + 1, CHUNK)))
        copy_rows("enterprises_supplylink", ["supplier_id", "customer_id", "goods", "created_at"],
                  ("".join(f"{i}\t{(i - 1 + offset) % N_ENTERPRISES + 1}\t零件\t{copy_text(now)}\n"
                           for i in range(start, min(start + CHUNK, N_ENTERPRISES + 1)) for offset in OFFSETS)
                   for start in range(1, N_ENTERPRISES + 1, CHUNK)))
        copy_rows("enterprises_ticket",
                  ["enterprise_id", "kind", "description", "unit_id", "sla_class", "state", "submitted_at",
                   "submitted_by_id", "due_at", "answer"],
                  ("".join(f"{t % N_ENTERPRISES + 1}\tlogistics_pass\t通行证\t"
                           f"{units[counties[(t % N_ENTERPRISES) // block]]}\t24h"
                           f"\t{('submitted', 'accepted', 'answered', 'closed')[t % 4]}"
                           f"\t{copy_text(now - dt.timedelta(minutes=t))}\t{user}"
                           f"\t{copy_text(now - dt.timedelta(minutes=t) + dt.timedelta(hours=24))}\t\n"
                           for t in range(start, min(start + CHUNK, N_TICKETS)))
                   for start in range(0, N_TICKETS, CHUNK)))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('enterprises_enterprise', 'id'), %s)",
                       [N_ENTERPRISES])
        cursor.execute("ANALYZE enterprises_enterprise; ANALYZE enterprises_supplylink; ANALYZE enterprises_ticket")
    print(f"built {N_ENTERPRISES:,} enterprises, {N_ENTERPRISES * len(OFFSETS):,} links, {N_TICKETS:,} tickets "
          f"in {time.perf_counter() - started:.1f} s (COPY)")


def main() -> None:
    from django.db.models import Count

    from fangkong.accounts.models import User
    from fangkong.enterprises.models import Enterprise
    from fangkong.enterprises.selectors import lockdown_hits

    build()
    print("load:", os.popen("uptime").read().strip())  # noqa: S605, S607 (a fixed command)
    district = (Enterprise.objects.values("county_id").annotate(n=Count("id")).order_by("-n", "county_id")
                .first()["county_id"])
    hits = lockdown_hits(region=district)
    tiers = [sum(1 for tier in hits.values() if tier == k) for k in (0, 1, 2)]
    p50, p95 = timed(lambda: lockdown_hits(region=district), N)
    print(f"lockdown query (WITH RECURSIVE, depth 2) for {district}: {tiers} enterprises by tier; "
          f"p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    client = Client()
    client.force_login(User.objects.get(username="bench_province"))
    p50, p95, _ = percentiles(client, f"/api/v1/enterprise-lockdown/?region={district}", N)
    print(f"lockdown API (scoped, summary and first 500) as provincial commander: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    for name in ("bench_province", "bench_county", "bench_contact"):
        client.force_login(User.objects.get(username=name))
        p50, p95, last = percentiles(client, "/api/v1/enterprise-tickets/", N)
        print(f"ticket list API as {name}: {len(last.json()['results'])} rows; p50 {p50:.0f} ms, p95 {p95:.0f} ms")
        p50, p95, _ = percentiles(client, "/enterprises/tickets/", N)
        print(f"ticket list page as {name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    print("load:", os.popen("uptime").read().strip())  # noqa: S605, S607


if __name__ == "__main__":
    main()
