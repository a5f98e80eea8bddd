"""Benchmark: sentinel surveillance at province scale on PostgreSQL (issue 7).

    createdb -h 127.0.0.1 -U postgres fangkong_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench \\
        .venv/bin/python benchmarks/bench_surveillance.py [--sites 30000] [--history-days 35] [--alerts 100000]

Set-up (not timed): the Guangdong region tree; ``--sites`` sentinel sites spread over the leaf regions
in proportion to population, each reporting all six indicators; ``--history-days`` days of history
before the benchmark day, written with COPY; ``--alerts`` historical alerts over two years (for the
list). Timed, through the services and views the application uses:

1. ingest one day (sites × 6 rows) from a CSV file: ``parse_report_file`` + ``reports_import``
   (row validation, one transaction, audit), and the same file again (all rows unchanged);
2. the daily detection run for that day at every level (site, county, city; all six indicators);
3. the alert list, API (``/api/v1/surveillance/alerts/``) and page (``/surveillance/``), as a
   provincial and as a county user: p50 and p95 over ``--requests`` requests each.

The database is reused between runs when it already holds the same number of sites; the benchmark
day's reports and the alerts created by a previous run are removed first.
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

INDICATOR_LEVEL = {"fever_clinic_visits": 30, "ili_consultations": 12, "antipyretic_sales": 25,
                   "cough_medicine_sales": 20, "school_absences": 8, "notifiable_cases": 0.05}


def setup_django():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://... (a scratch database: the benchmark writes to it)")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    import django

    django.setup()


def build(n_sites: int, history_days: int, day: dt.date, n_alerts: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from fangkong.regions.models import Region
    from fangkong.regions.services import region_tree_load
    from fangkong.surveillance.models import Alert, SentinelReport, SentinelSite
    from fangkong.surveillance.services import indicators_ensure

    call_command("migrate", verbosity=0)
    region_tree_load()
    indicators = indicators_ensure()
    if SentinelSite.objects.count() != n_sites:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE surveillance_sentinelreportrevision, surveillance_sentinelreport, "
                           "surveillance_signal, surveillance_alerttransition, surveillance_alert, "
                           "surveillance_sentinelsite_indicators, surveillance_sentinelsite_reporters, "
                           "surveillance_sentinelsite CASCADE")
        leaves = list(Region.objects.exclude(level__in=("province", "prefecture"))
                      .filter(children__isnull=True).values_list("code", "population"))
        rng = np.random.default_rng(1)
        weights = np.array([max(p, 1) for _c, p in leaves], dtype=float)
        region_of = rng.choice(len(leaves), size=n_sites, p=weights / weights.sum())
        kinds = ("fever_clinic", "primary_care", "pharmacy", "school")
        SentinelSite.objects.bulk_create([
            SentinelSite(code=f"B{i:07d}", name=f"基准哨点{i}", kind=kinds[i % 4], region_id=leaves[region_of[i]][0])
            for i in range(n_sites)], batch_size=5000)
        through = SentinelSite.indicators.through
        site_pks = list(SentinelSite.objects.values_list("pk", flat=True))
        through.objects.bulk_create([through(sentinelsite_id=s, indicator_id=i.pk)
                                     for s in site_pks for i in indicators.values()], batch_size=20000)
    sites = list(SentinelSite.objects.order_by("pk").values_list("pk", "region_id"))
    first = day - dt.timedelta(days=history_days)
    have = set(SentinelReport.objects.filter(date__gte=first, date__lt=day).values_list("date", flat=True)
               .distinct())
    rng = np.random.default_rng(2)
    site_level = rng.lognormal(0, 0.4, size=len(sites))
    stamp = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC).isoformat()
    with connection.cursor() as cursor:
        for offset in range(history_days):
            date = first + dt.timedelta(days=offset)
            if date in have:
                continue
            buffer = io.StringIO()
            for code, indicator in indicators.items():
                counts = rng.poisson(INDICATOR_LEVEL[code] * site_level)
                buffer.write("".join(f"{pk}\t{indicator.pk}\t{date}\t{c}\t\\N\t{stamp}\t{region}\n"
                                     for (pk, region), c in zip(sites, counts.tolist(), strict=True)))
            buffer.seek(0)
            with cursor.cursor.copy("COPY surveillance_sentinelreport (site_id, indicator_id, date, count, "
                                    "denominator, reported_at, region_id) FROM STDIN") as copy:
                copy.write(buffer.read())
        cursor.execute("ANALYZE surveillance_sentinelreport")
    SentinelReport.objects.filter(date__gte=day).delete()
    Alert.objects.all().delete()
    leaves = [r for _pk, r in sites]
    rng = np.random.default_rng(3)
    indicator_ids = [i.pk for i in indicators.values()]
    now = dt.datetime.now(dt.UTC)
    old = []
    for i in range(n_alerts):
        region = leaves[rng.integers(len(leaves))]
        last = day - dt.timedelta(days=int(rng.integers(1, 730)))
        old.append(Alert(level="county", region_id=region, unit_key=f"region:{region}:{i}",
                         indicator_id=indicator_ids[i % 6], method="ears_c2", first_day=last, last_day=last,
                         peak_observed=10, status="closed", outcome="false_alarm",
                         raised_at=now - dt.timedelta(days=(day - last).days)))
    Alert.objects.bulk_create(old, batch_size=10000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE surveillance_alert")


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def percentile(values, q):
    return float(np.percentile(np.array(values) * 1000, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=30_000)
    parser.add_argument("--history-days", type=int, default=35)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    setup_django()

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from fangkong.accounts.models import User
    from fangkong.accounts.roles import Role
    from fangkong.accounts.services import user_create
    from fangkong.surveillance.models import DetectionConfig, SentinelSite
    from fangkong.surveillance.services import detection_run, parse_report_file, reports_import

    day = dt.date.today() - dt.timedelta(days=1)
    t_build, _ = timed(lambda: build(args.sites, args.history_days, day, args.alerts))
    print(f"set-up: {args.sites:,} sites, {args.history_days} days of history, {args.alerts:,} old alerts "
          f"({t_build:.0f} s)")
    users = {}
    for name, region, role in (("bench_province", "440000", Role.PROVINCIAL_COMMANDER),
                               ("bench_futian", "440304", Role.LOCAL_COMMANDER)):
        users[name] = User.objects.filter(username=name).first() or user_create(
            username=name, password="bench-password-1", memberships=[(region, role)], validate_password=False)

    rng = np.random.default_rng(4)
    sites = list(SentinelSite.objects.order_by("pk").values_list("code", flat=True))
    lines = ["site,indicator,date,count,denominator"]
    for code_i, level in INDICATOR_LEVEL.items():
        counts = rng.poisson(level, size=len(sites))
        counts[: len(sites) // 50] *= 4  # an outbreak in the first 2% of sites
        lines.extend(f"{s},{code_i},{day},{c}," for s, c in zip(sites, counts.tolist(), strict=True))
    content = ("\n".join(lines) + "\n").encode()
    actor = users["bench_province"]
    t_parse, rows = timed(lambda: parse_report_file("day.csv", content))
    t_import, result = timed(lambda: reports_import(actor=actor, rows=rows, source="bench"))
    t_again, again = timed(lambda: reports_import(actor=actor, rows=parse_report_file("day.csv", content),
                                                  source="bench"))
    print(f"ingest one day: {len(rows):,} rows: parse {t_parse:.2f} s + import {t_import:.2f} s "
          f"= {t_parse + t_import:.2f} s (created {result.created:,}); same file again {t_again:.2f} s "
          f"(unchanged {again.unchanged:,})")

    DetectionConfig.objects.update(enabled=True)
    t_detect, summary = timed(lambda: detection_run(first=day, last=day))
    t_detect2, summary2 = timed(lambda: detection_run(first=day, last=day))
    print(f"detection run, all levels: {t_detect:.2f} s ({summary.configs} configurations, "
          f"{summary.signals:,} signals, {summary.alerts:,} alerts); again {t_detect2:.2f} s "
          f"({summary2.signals} new signals)")

    for name, user in users.items():
        client = Client()
        client.force_login(user)
        for label, url in (("API", reverse("surveillance-api:alert-list")),
                           ("page", reverse("surveillance:alert-list"))):
            client.get(url)
            times = []
            for i in range(args.requests):
                params = {"status": "closed"} if i % 4 == 3 else {}
                start = time.perf_counter()
                response = client.get(url, params)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200
            print(f"alert list {label} as {name}: p50 {percentile(times, 50):.0f} ms, "
                  f"p95 {percentile(times, 95):.0f} ms")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM surveillance_sentinelreport")
        total = cursor.fetchone()[0]
    print(f"reports in the database: {total:,}; machine: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, PostgreSQL {connection.pg_version}")


if __name__ == "__main__":
    main()
