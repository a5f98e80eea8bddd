"""Benchmark: tracing timeliness, the command dashboard and the daily report at province scale on PostgreSQL
(issues 6 and 8).

    createdb -h 127.0.0.1 -U postgres fangkong_bench_dashboard
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_dashboard \\
        .venv/bin/python benchmarks/bench_dashboard.py [--cases 100000] [--contacts 1000000] [--requests 20]

Set-up (not timed unless said): the data of ``benchmarks/bench_cases.py`` (its ``build``: the Guangdong
tree, ``--cases`` cases and ``--contacts`` contacts written with COPY, users ``bench_province`` and
``bench_sz_epi``), then ``--closed-alerts`` historical alerts over two years and ``--open-alerts`` open ones
(new, acknowledged, investigating, confirmed) in the 30 days to the busiest day, and the daily tracing
summary rebuilt from the rows (timed: ``tracing_summary_rebuild``).

Timed, sequentially, in-process (Django test client: no network, one process), p50 and p95 over
``--requests`` requests after one warm-up:

1. the write path's summary cost: ``tracing_summary_refresh`` of the busiest Shenzhen key, and a whole
   ``contact_update`` (status change: version lock, audit, summary refresh) through the service;
2. the tracing timeliness page ``/cases/timeliness/`` (all days) for the province and for Shenzhen;
3. ``situation`` computed afresh (what a cache miss costs), province and Shenzhen;
4. the dashboard pages for the busiest day (after the first request, from the cache), the situation API,
   the big screen's polled panel, the map;
5. generating the province's report (snapshot + HTML) and rendering its PDF (``--skip-report`` skips).

Concurrency and cache misses under load: ``benchmarks/load_dashboard.py`` against ``fangkong serve --workers``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def bench_cases_module():
    spec = importlib.util.spec_from_file_location("bench_cases", HERE / "bench_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def add_alerts(day: dt.date, n_closed: int, n_open: int) -> None:
    """Historical closed alerts over two years and open ones in the 30 days to ``day`` (bulk, idempotent)."""
    from django.db import connection
    from django.utils import timezone

    from fangkong.surveillance.models import Alert
    from fangkong.surveillance.services import indicators_ensure

    if Alert.objects.filter(unit_key__startswith="bench:").count() == n_closed + n_open:
        return
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE surveillance_signal, surveillance_alerttransition, surveillance_alert CASCADE")
    codes, _weights = bench_cases_module().leaves_weighted()
    indicators = [i.pk for i in indicators_ensure().values()]
    rng = np.random.default_rng(8)
    tz = timezone.get_current_timezone()
    rows = []
    statuses = ("new", "acknowledged", "investigating", "confirmed")
    for i in range(n_closed + n_open):
        closed = i < n_closed
        last = day - dt.timedelta(days=int(rng.integers(1, 730) if closed else rng.integers(0, 30)))
        raised = dt.datetime.combine(last, dt.time(9), tz)
        status = "closed" if closed else statuses[i % 4]
        acknowledged = raised + dt.timedelta(hours=int(rng.integers(1, 48))) if status != "new" else None
        rows.append(Alert(level="county", region_id=codes[rng.integers(len(codes))], unit_key=f"bench:{i}",
                          indicator_id=indicators[i % len(indicators)], method="ears_c2", first_day=last,
                          last_day=last, peak_observed=10, status=status,
                          outcome="false_alarm" if closed else ("confirmed" if status == "confirmed" else ""),
                          raised_at=raised, acknowledged_at=acknowledged,
                          closed_at=raised + dt.timedelta(days=3) if closed else None))
    Alert.objects.bulk_create(rows, batch_size=10000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE surveillance_alert")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--closed-alerts", type=int, default=100_000)
    parser.add_argument("--open-alerts", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--skip-report", action="store_true")
    args = parser.parse_args()
    bench_cases = bench_cases_module()
    timed = bench_cases.timed
    bench_cases.setup_django()

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client

    from fangkong.accounts.models import User
    from fangkong.cases.models import Case, Contact, DailyTracing
    from fangkong.cases.services import contact_update
    from fangkong.cases.summaries import tracing_summary_rebuild, tracing_summary_refresh
    from fangkong.dashboard.selectors import busiest_day, situation
    from fangkong.regions.models import Region

    t = time.perf_counter()
    bench_cases.build(args.cases, args.contacts)
    call_command("migrate", verbosity=0)
    province_user = User.objects.get(username="bench_province")
    province = Region.objects.get(code="440000")
    day = busiest_day(user=province_user, region=province)
    add_alerts(day, args.closed_alerts, args.open_alerts)
    with connection.cursor() as cursor:  # as autovacuum would
        for table in ("cases_contact", "cases_case", "surveillance_alert"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"set-up: {time.perf_counter() - t:.0f} s; {Case.objects.count():,} cases, "
          f"{Contact.objects.count():,} contacts; busiest day {day}", flush=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)

    start = time.perf_counter()
    rows = tracing_summary_rebuild()
    print(f"tracing_summary_rebuild: {rows:,} rows (region × day) in {time.perf_counter() - start:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_dailytracing")

    # 1. the write path
    key = DailyTracing.objects.filter(region__code__startswith="4403").order_by("-close_contacts") \
        .values_list("region_id", "day", "close_contacts").first()

    def refresh():
        with transaction.atomic():
            tracing_summary_refresh([key[:2]])

    p50, p95 = timed(refresh, args.requests)
    print(f"tracing_summary_refresh of one key ({key[2]:,} close contacts)  p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    contact = Contact.objects.filter(region_id=key[0], listed_date=key[1]).order_by("pk").first()
    toggle = {"quarantined": "released", "released": "quarantined"}

    def update():
        fresh = Contact.objects.select_related("protocol").get(pk=contact.pk)
        contact_update(actor=province_user, contact=fresh, expected_version=fresh.version,
                       changes={"status": toggle.get(fresh.status, "quarantined")})

    p50, p95 = timed(update, args.requests)
    print(f"contact_update (status) through the service            p50 {p50:7.1f} ms   p95 {p95:7.1f} ms", flush=True)

    # 2.-4. pages
    client = Client()
    for username, code in (("bench_province", "440000"), ("bench_sz_epi", "440300")):
        user, region = User.objects.get(username=username), Region.objects.get(code=code)
        client.force_login(user)

        def get(path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        p50, p95 = timed(lambda: get("/cases/timeliness/"), args.requests)
        print(f"{username:15s} tracing timeliness page           p50 {p50:7.1f} ms   p95 {p95:7.1f} ms", flush=True)
        p50, p95 = timed(lambda user=user, region=region: situation(user=user, region=region, day=day, fresh=True),
                         max(3, args.requests // 4))
        print(f"{username:15s} situation afresh (cache miss)     p50 {p50:7.1f} ms   p95 {p95:7.1f} ms", flush=True)
        for name, path in (("dashboard page (cached)", f"/dashboard/{code}/?date={day}"),
                           ("situation API (cached)", f"/api/v1/dashboard/{code}/?date={day}"),
                           ("big-screen panel (cached)", f"/dashboard/{code}/screen/panel/?date={day}"),
                           ("map geo.json", f"/dashboard/{code}/geo.json")):
            p50, p95 = timed(lambda path=path: get(path), args.requests)
            print(f"{username:15s} {name:32s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms", flush=True)
    largest = DailyTracing.objects.values("day").annotate(n=Count("region")).order_by("-n").first()
    print(f"summary rows per day: up to {largest['n']} (regions)")

    if args.skip_report:
        return
    from fangkong.bulletins.report import render_pdf
    from fangkong.bulletins.services import bulletin_generate
    from fangkong.bulletins.views import _document

    bulletins = []
    p50, p95 = timed(lambda: bulletins.append(bulletin_generate(actor=province_user, region_code="440000", day=day,
                                                                language="zh-hans")), 3)
    print(f"generate the province report (snapshot + HTML): p50 {p50:.0f} ms   p95 {p95:.0f} ms")
    p50, p95 = timed(lambda: render_pdf(_document(bulletins[-1], for_browser=False)), 3)
    print(f"render its PDF: p50 {p50:.0f} ms   p95 {p95:.0f} ms")


if __name__ == "__main__":
    main()
