"""Benchmark: the daily follow-up of a city with 100,000 persons under management, on PostgreSQL (issue 26).

    createdb -h 127.0.0.1 -U postgres fangkong_bench_followup
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_followup \\
        .venv/bin/python benchmarks/bench_followup.py [--persons 100000] [--requests 30]

Set-up (not timed): the region tree; ``--persons`` persons in Shenzhen's districts (COPY), each under
management (``Subject``, kind ``bench``) for the November 2022 edition's 5 + 3 days, counted from a day
0 to 7 days before today, with the edition's six test days, and the checks of the days before today
(both slots, one in twenty missing) and of this morning for half of them (COPY).

Timed, through the code the application uses, as the Shenzhen epidemiologist (``bench_sz_epi``):

1. the worker's day list page ``/followup/`` for today (50 persons, with the day's counts), the list of
   those still to check (``?open=1``), one district (``?region=440304``), and the API ``/api/v1/followup/due/``
   and ``/api/v1/followup/counts/``: p50 and p95 of ``--requests`` requests each after one warm-up;
2. recording one check through the service (``health_check_record``): p50 and p95;
3. the end-of-day sweep of yesterday (``followups_sweep``): once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
import django  # noqa: E402

django.setup()
import numpy as np  # noqa: E402
from bench_cases import _copy, percentiles, timed  # noqa: E402 (this folder is on the path of a script run from it)
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

DISTRICTS = ("440303", "440304", "440305", "440306", "440307", "440308", "440309", "440310", "440311")


def build(n: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from fangkong.accounts.models import User
    from fangkong.followup.models import Subject
    from fangkong.protocols import periods
    from fangkong.protocols.models import ProtocolVersion
    from fangkong.regions.services import region_tree_load
    from fangkong.testing.builders import make_user

    call_command("migrate", verbosity=0)
    region_tree_load()
    if not User.objects.filter(username="bench_sz_epi").exists():
        make_user("bench_sz_epi", ("440300", "epidemiologist"))
    if Subject.objects.filter(kind="bench").count() == n:
        return
    print(f"building {n:,} persons under management ...", flush=True)
    today = timezone.localdate()
    protocol = ProtocolVersion.objects.get(code="nov-2022")
    rng = np.random.default_rng(26)
    region = rng.integers(0, len(DISTRICTS), size=n)
    start = rng.integers(0, 8, size=n)  # day 0 = today - start
    tz = "+08"
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE followup_healthcheck, followup_scheduledtest, followup_subject, persons_person CASCADE")
        _copy(cursor, "persons_person", "id, name, sex, citizen_id_hash, citizen_id_sealed, citizen_id_masked, "
              "phone_hash, phone_sealed, phone_masked, address_region_id, address_text, created_at, updated_at",
              (f"{i + 1}\t随访基准{i}\tU\th{i:063d}\t\t440***********{i % 10000:04d}\t\t\t\t"
               f"{DISTRICTS[region[i]]}\t\t2022-01-01 00:00:00{tz}\t2022-01-01 00:00:00{tz}\n" for i in range(n)))
        subjects, tests, checks = [], [], []
        check_id = test_id = 0
        for i in range(n):
            day0 = today - dt.timedelta(days=int(start[i]))
            period = periods.management_period(protocol, "close", day0)
            last = period.release_due - periods.DAY
            code = DISTRICTS[region[i]]
            subjects.append(f"{i + 1}\tbench\t{i + 1}\tB{i:07d}\t{i + 1}\t{code}\tclose\t{protocol.pk}\t{day0}\t"
                            f"{period.first_day}\t{last}\t{period.centralised_until}\t\\N\tactive\t\\N\t\t"
                            f"2022-01-01 00:00:00{tz}\n")
            for t in periods.test_schedule(protocol, "close", period.first_day):
                test_id += 1
                tests.append(f"{test_id}\t{i + 1}\t{code}\t{t['date']}\t{t['phase']}\t{t['day']}\tdue\t\\N\t\t\\N\t\\N\n")
            day = period.first_day
            while day <= min(last, today):
                for slot in ("morning", "evening"):
                    if day == today and (slot == "evening" or i % 2):
                        continue
                    if day < today and rng.random() < 0.05:
                        continue
                    check_id += 1
                    checks.append(f"{check_id}\t{i + 1}\t{code}\t{day}\t{slot}\tok\t36.5\t[]\t\t"
                                  f"{day} 09:00:00{tz}\t\\N\t{day} 09:00:00{tz}\n")
                day += periods.DAY
        _copy(cursor, "followup_subject", "id, kind, source_id, label, person_id, region_id, category, protocol_id, "
              "counted_from, first_day, last_day, centralised_until, ended_on, status, symptomatic_since, outcome_ref, "
              "synced_at", subjects)
        _copy(cursor, "followup_scheduledtest", "id, subject_id, region_id, due_date, phase, day, status, taken_on, "
              "result, recorded_by_id, recorded_at", tests)
        _copy(cursor, "followup_healthcheck", "id, subject_id, region_id, day, slot, outcome, temperature, symptoms, "
              "note, checked_at, checked_by_id, recorded_at", checks)
        for table, count in (("persons_person", n), ("followup_subject", n), ("followup_scheduledtest", test_id),
                             ("followup_healthcheck", check_id)):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [count])  # noqa: S608
        cursor.execute("ANALYZE")
    print(f"  {n:,} subjects, {test_id:,} scheduled tests, {check_id:,} checks", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    build(args.persons)

    from fangkong.accounts.models import User
    from fangkong.followup.models import HealthCheck, Subject
    from fangkong.followup.services import followups_sweep, health_check_record

    user = User.objects.get(username="bench_sz_epi")
    client = Client()
    client.force_login(user)
    today = timezone.localdate()
    due = Subject.objects.filter(status="active", first_day__lte=today, last_day__gte=today).count()
    print(f"persons under management today in Shenzhen: {due:,}", flush=True)
    for name, path in (("day list page (50, with counts)", f"/followup/?day={today}"),
                       ("day list page, still to check", f"/followup/?day={today}&open=1"),
                       ("day list page, one district", f"/followup/?day={today}&region=440304"),
                       ("API due list (50)", f"/api/v1/followup/due/?day={today}"),
                       ("API counts", f"/api/v1/followup/counts/?day={today}")):
        p50, p95, _response = percentiles(client, path, args.requests)
        print(f"{name:40s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms", flush=True)

    open_subjects = iter(Subject.objects.filter(status="active", first_day__lte=today, last_day__gte=today)
                         .exclude(checks__day=today, checks__slot="evening").order_by("pk")[:args.requests + 1])

    def record():
        health_check_record(actor=user, subject=next(open_subjects), day=today, slot="evening", temperature="36.6")

    p50, p95 = timed(record, args.requests)
    print(f"{'one check recorded (service, audited)':40s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms", flush=True)
    yesterday = today - dt.timedelta(days=1)
    HealthCheck.objects.filter(day=yesterday, outcome="missed").delete()
    started = time.perf_counter()
    counts = followups_sweep(day=yesterday)
    print(f"end-of-day sweep of yesterday: {time.perf_counter() - started:.2f} s  {counts}", flush=True)


if __name__ == "__main__":
    main()
