"""Benchmark: sentinel surveillance at province scale on PostgreSQL (issue 7).

    createdb -h 127.0.0.1 -U postgres fangkong_bench_surv
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_surv \\
        .venv/bin/python benchmarks/bench_surveillance.py [--sites 30000] [--history-days 730] [--alerts 100000]

Set-up (not timed): the Guangdong region tree; ``--sites`` sentinel sites spread over the leaf regions
in proportion to population, each reporting all six indicators; ``--history-days`` days of history
before the benchmark day, generated in the database (``INSERT … SELECT`` over ``generate_series``, one
statement per 30 days, secondary indexes built afterwards: two years, 131 million rows, took 16
minutes and 19 GB here); ``--alerts`` historical alerts over two years (for the list). Timed, through the
services and views the application uses:

1. ingest one day (sites × 6 rows) from a CSV file: ``parse_report_file`` + ``reports_import``
   (row validation, one transaction, audit), and the same file again (all rows unchanged);
2. the daily detection run for that day at every level (site, county, city; all six indicators);
3. the alert list, API (``/api/v1/surveillance/alerts/``) and page (``/surveillance/``), as a
   provincial and as a county user: p50 and p95 over ``--requests`` requests each;
4. with ``--pages``: the late and missing reports page (``/surveillance/reporting/``, one day, 7 days — its
   default — and 30 days) and, with ``--earlies-cases``, the four earlies page for 30 days
   (``/surveillance/earlies/``), as a provincial, a city (Shenzhen) and a county (Futian) reader.

Each figure is printed with the 1-minute load average. The database is reused between runs when it
already holds the same number of sites (history chunks already there are skipped); the benchmark day's
reports and the alerts created by a previous run are removed first.
"""

from __future__ import annotations

import argparse
import datetime as dt
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


#: Share of the history's reports never sent, and of those sent after the deadline (noon of the next day):
#: the late and missing reports page then has work to do (as the simulator's 2 % missing reports).
MISSING_SHARE = 0.02
LATE_SHARE = 0.01
#: History is written in chunks of this many days, one INSERT … SELECT each (a chunk is all there or absent).
CHUNK_DAYS = 30
REPORT_TABLE = "surveillance_sentinelreport"
#: The report table's secondary indexes, dropped while history is written and built once afterwards.
REPORT_INDEXES = (
    ("sentinel_report_ind_date", f"CREATE INDEX IF NOT EXISTS sentinel_report_ind_date ON {REPORT_TABLE} "
                                 "(indicator_id, date)"),
)
REPORT_UNIQUE = ("sentinel_report_day_site", f"ALTER TABLE {REPORT_TABLE} ADD CONSTRAINT sentinel_report_day_site "
                                             "UNIQUE (date, site_id, indicator_id)")


def fill_history(sites, indicators, first: dt.date, day: dt.date) -> None:
    """Reports of every site × indicator for each day from ``first`` to the day before ``day``, generated in
    the database (``INSERT … SELECT`` over ``generate_series``): counts around each site's level (a normal
    approximation of the Poisson), ``MISSING_SHARE`` of them never sent and ``LATE_SHARE`` sent late, one
    statement per ``CHUNK_DAYS`` days; secondary indexes and the unique
    constraint are dropped while writing and built once afterwards, foreign-key triggers are off for the
    session (the rows are consistent by construction). Chunks already present are skipped. Receipt times are
    local (``TIME_ZONE``): 09:00 the next day is on time, 15:00 late (due at noon); until 2026-12-06 they were
    written in UTC, which made every history report late (17:00 local)."""
    from django.conf import settings
    from django.db import connection

    rng = np.random.default_rng(2)
    site_level = rng.lognormal(0, 0.4, size=len(sites))
    chunks = []
    start = first
    while start < day:
        end = min(start + dt.timedelta(days=CHUNK_DAYS - 1), day - dt.timedelta(days=1))
        chunks.append((start, end))
        start = end + dt.timedelta(days=1)
    with connection.cursor() as cursor:
        missing = []
        for start, end in chunks:
            # The unique index (date first) or the table's physical order answers this quickly; a chunk is
            # written by one statement, so its last day present means the whole chunk is.
            cursor.execute("SELECT EXISTS (SELECT 1 FROM surveillance_sentinelreport WHERE date = %s)", [end])
            if not cursor.fetchone()[0]:
                missing.append((start, end))
        if missing:
            print(f"writing {len(missing)} chunk(s) of history ({sum((e - s).days + 1 for s, e in missing)} days)",
                  flush=True)
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET session_replication_role = replica")  # no foreign-key triggers while filling
            cursor.execute(f"ALTER TABLE {REPORT_TABLE} DROP CONSTRAINT IF EXISTS {REPORT_UNIQUE[0]}")
            for name, _sql in REPORT_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
            cursor.execute("DROP TABLE IF EXISTS bench_site")
            cursor.execute("CREATE UNLOGGED TABLE bench_site (site_id bigint, region_id varchar(12), "
                           "level double precision)")
            with cursor.cursor.copy("COPY bench_site FROM STDIN") as copy:
                copy.write("".join(f"{pk}\t{region}\t{level}\n"
                                   for (pk, region), level in zip(sites, site_level.tolist(), strict=True)))
            cursor.execute("DROP TABLE IF EXISTS bench_indicator")
            cursor.execute("CREATE UNLOGGED TABLE bench_indicator (indicator_id bigint, level double precision)")
            cursor.executemany("INSERT INTO bench_indicator VALUES (%s, %s)",
                               [(indicators[code].pk, level) for code, level in INDICATOR_LEVEL.items()])
            for start, end in missing:
                began = time.perf_counter()
                cursor.execute("""
                    INSERT INTO surveillance_sentinelreport (site_id, indicator_id, date, count, denominator, reported_at,
                                                region_id)
                    SELECT s.site_id, i.indicator_id, d::date,
                           greatest(0, round(i.level * s.level + sqrt(i.level * s.level)
                                             * 2 * (random() + random() + random() - 1.5)))::integer,
                           NULL, (d::date + CASE WHEN random() < %s THEN interval '1 day 15 hours'
                                                 ELSE interval '1 day 9 hours' END) AT TIME ZONE %s, s.region_id
                    FROM generate_series(%s::date, %s::date, interval '1 day') AS d
                    CROSS JOIN bench_indicator i CROSS JOIN bench_site s
                    WHERE random() >= %s""", [LATE_SHARE, settings.TIME_ZONE, start, end, MISSING_SHARE])
                print(f"  {start}–{end}: {cursor.rowcount:,} rows, {time.perf_counter() - began:.0f} s", flush=True)
            cursor.execute("SET session_replication_role = origin")
            cursor.execute("DROP TABLE bench_site, bench_indicator")
        began = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [REPORT_UNIQUE[0]])
        if cursor.fetchone() is None:
            cursor.execute(REPORT_UNIQUE[1])
        for _name, sql in REPORT_INDEXES:
            cursor.execute(sql)
        if missing:
            print(f"indexes built in {time.perf_counter() - began:.0f} s", flush=True)
            cursor.execute(f"VACUUM ANALYZE {REPORT_TABLE}")
    from fangkong.surveillance.models import DailySiteReporting
    from fangkong.surveillance.summaries import reporting_summary_rebuild

    if missing or not DailySiteReporting.objects.filter(day=day - dt.timedelta(days=1)).exists():
        began = time.perf_counter()  # the history was written around the services: summarise it
        rows = reporting_summary_rebuild()
        print(f"reporting summary rebuilt: {rows:,} site-days in {time.perf_counter() - began:.0f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE surveillance_dailysitereporting")


def build(n_sites: int, history_days: int, day: dt.date, n_alerts: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from fangkong.regions.models import Region
    from fangkong.regions.services import region_tree_load
    from fangkong.surveillance.models import Alert, SentinelSite
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
        from fangkong.surveillance.summaries import site_indicator_counts_refresh

        site_indicator_counts_refresh()  # written around the signals
        with connection.cursor() as cursor:  # planner statistics, as autovacuum would gather them in service
            cursor.execute("ANALYZE surveillance_sentinelsite, surveillance_sentinelsite_indicators")
    sites = list(SentinelSite.objects.order_by("pk").values_list("pk", "region_id"))
    fill_history(sites, indicators, day - dt.timedelta(days=history_days), day)
    # the benchmark day of a previous run, removed in SQL (a QuerySet.delete() would send a signal per row)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM surveillance_sentinelreportrevision WHERE report_id IN "
                       "(SELECT id FROM surveillance_sentinelreport WHERE date >= %s)", [day])
        cursor.execute("DELETE FROM surveillance_sentinelreport WHERE date >= %s", [day])
        cursor.execute("DELETE FROM surveillance_dailysitereporting WHERE day >= %s", [day])
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


def load() -> str:
    """The 1-minute load average (the benchmark shares 2 CPUs with other work)."""
    return f"load {os.getloadavg()[0]:.1f}"


def percentile(values, q):
    return float(np.percentile(np.array(values) * 1000, q))


def fill_cases(n_cases: int, day: dt.date, actor) -> None:
    """``n_cases`` cases over the year before ``day`` with all the earlies' times (for ``earlies``), written in
    the database like the history; one registered person for all of them (the selector reads no person)."""
    from django.db import connection

    from fangkong.cases.models import Case, CaseEarlies, Disease
    from fangkong.persons.services import person_register
    from fangkong.regions.models import Region

    if Case.objects.filter(case_no__startswith="BENCH-").count() == n_cases:
        if not CaseEarlies.objects.filter(case__case_no__startswith="BENCH-").exists():
            from fangkong.cases.case_earlies import case_earlies_rebuild

            case_earlies_rebuild()
        return
    Case.objects.filter(case_no__startswith="BENCH-").delete()
    person = person_register(actor=actor, name="基准病例", address_region="440304").person
    disease = Disease.objects.get(code="covid-19")
    leaves = list(Region.objects.exclude(level__in=("province", "prefecture")).filter(children__isnull=True)
                  .order_by("code").values_list("code", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO cases_case (case_no, classification, onset_date, sampling_date, diagnosed_at, reported_at,
                report_date, report_deadline, reported_late, detection_route, imported, origin, severity, outcome,
                version, created_at, updated_at, person_id, report_region_id, residence_region_id, disease_id,
                found_under_management, first_visit_at, isolated_at, treatment_at)
            SELECT 'BENCH-' || g, 'confirmed', r::date - 2 - (g %% 3), r::date - (g %% 2), r - interval '1 hour', r,
                   r::date, r + interval '1 hour', g %% 25 = 7, 'fever_clinic', false, '', 'mild', 'recovered',
                   1, now(), now(), %s, region, region, %s, false,
                   r - interval '1 day' * (1 + g %% 2), r + interval '1 hour' * (g %% 30), r + interval '1 hour' * (2 + g %% 40)
            FROM (SELECT g, %s::date - (g %% 365) + interval '10 hours' + interval '1 minute' * (g %% 480) AS r,
                         (%s::varchar[])[1 + g %% %s] AS region
                  FROM generate_series(1, %s) AS g) AS rows""",
                       [person.pk, disease.pk, day, leaves, len(leaves), n_cases])
        cursor.execute("ANALYZE cases_case")
    from fangkong.cases.case_earlies import case_earlies_rebuild

    case_earlies_rebuild()  # written around the services: work out each case's intervals
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_caseearlies")


def bench_earlies(users, day: dt.date, repeats: int) -> None:
    from fangkong.surveillance.earlies import earlies

    for name, region, days in (("bench_province", "440000", 56), ("bench_province", "440000", 365),
                               ("bench_province", "440300", 56), ("bench_futian", "440304", 56)):
        times = []
        for _i in range(repeats):
            start = time.perf_counter()
            result = earlies(users[name], region, day - dt.timedelta(days=days - 1), day)
            times.append(time.perf_counter() - start)
        print(f"earlies {region} over {days} days as {name} ({result['total']['cases']:,} cases): "
              f"p50 {percentile(times, 50):.0f} ms, p95 {percentile(times, 95):.0f} ms; {load()}")


def _last_report_day() -> dt.date:
    """The last day with reports (the benchmark day of the run that built the database)."""
    from django.db.models import Max

    from fangkong.surveillance.models import DailySiteReporting

    return DailySiteReporting.objects.aggregate(day=Max("day"))["day"]


def bench_pages(users, day: dt.date, requests: int, *, earlies: bool) -> None:
    """The late and missing reports page and the earlies page, in-process (Django's test client, session
    authentication): p50 and p95 over ``requests`` requests after one warm-up."""
    from django.test import Client
    from django.urls import reverse

    from fangkong.accounts.models import User
    from fangkong.accounts.roles import Role
    from fangkong.accounts.services import user_create

    readers = {**users, "bench_shenzhen": User.objects.filter(username="bench_shenzhen").first() or user_create(
        username="bench_shenzhen", password="bench-password-1", memberships=[("440300", Role.LOCAL_COMMANDER)],
        validate_password=False)}
    pages = [("reporting", reverse("surveillance:reporting"), days) for days in (1, 7, 30)]
    if earlies:
        pages.append(("earlies", reverse("surveillance:earlies"), 30))
    for name, user in readers.items():
        client = Client()
        client.force_login(user)
        for label, url, days in pages:
            params = {"first": (day - dt.timedelta(days=days - 1)).isoformat(), "last": day.isoformat()}
            client.get(url, params)
            times = []
            for _i in range(requests):
                start = time.perf_counter()
                response = client.get(url, params)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200
            print(f"{label} page, {days} day(s), as {name}: p50 {percentile(times, 50):.0f} ms, "
                  f"p95 {percentile(times, 95):.0f} ms; {load()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=30_000)
    parser.add_argument("--history-days", type=int, default=730)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--earlies-cases", type=int, default=0,
                        help="also time the earlies selector over this many cases in the year before")
    parser.add_argument("--pages", action="store_true",
                        help="also time the late and missing reports page (and the earlies page with --earlies-cases)")
    parser.add_argument("--only-list", action="store_true",
                        help="measure the alert list only, on the database a previous run left")
    parser.add_argument("--only-pages", action="store_true",
                        help="measure the two pages only (late and missing reports; earlies when a previous run "
                             "left its cases), on the database a previous run left, after migrating it")
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
    if args.only_pages:
        from django.core.management import call_command

        from fangkong.cases.models import Case

        call_command("migrate", verbosity=0)
        day = _last_report_day() or day
        users = {name: User.objects.get(username=name) for name in ("bench_province", "bench_futian")}
        bench_pages(users, day, args.requests, earlies=Case.objects.filter(case_no__startswith="BENCH-").exists())
        return
    if not args.only_list:
        t_build, _ = timed(lambda: build(args.sites, args.history_days, day, args.alerts))
        print(f"set-up: {args.sites:,} sites, {args.history_days} days of history, {args.alerts:,} old alerts "
              f"({t_build:.0f} s)")
    users = {}
    for name, region, role in (("bench_province", "440000", Role.PROVINCIAL_COMMANDER),
                               ("bench_futian", "440304", Role.LOCAL_COMMANDER)):
        users[name] = User.objects.filter(username=name).first() or user_create(
            username=name, password="bench-password-1", memberships=[(region, role)], validate_password=False)

    if not args.only_list:
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
              f"(unchanged {again.unchanged:,}); {load()}")

        DetectionConfig.objects.update(enabled=True)
        t_detect, summary = timed(lambda: detection_run(first=day, last=day))
        t_detect2, summary2 = timed(lambda: detection_run(first=day, last=day))
        print(f"detection run, all levels: {t_detect:.2f} s ({summary.configs} configurations, "
              f"{summary.signals:,} signals, {summary.alerts:,} alerts); again {t_detect2:.2f} s "
              f"({summary2.signals} new signals); {load()}")

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
                  f"p95 {percentile(times, 95):.0f} ms; {load()}")
    if args.earlies_cases:
        t_cases, _ = timed(lambda: fill_cases(args.earlies_cases, day, users["bench_province"]))
        print(f"{args.earlies_cases:,} cases for the earlies ({t_cases:.0f} s)")
        bench_earlies(users, day, repeats=10)
    if args.pages:
        bench_pages(users, day, args.requests, earlies=bool(args.earlies_cases))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM surveillance_sentinelreport")
        total = cursor.fetchone()[0]
    print(f"reports in the database: {total:,}; machine: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, PostgreSQL {connection.pg_version}")


if __name__ == "__main__":
    main()
