"""Benchmark: the daily follow-up of a city on PostgreSQL (issue 26: 1,000,000 persons under management).

    createdb -h 127.0.0.1 -U postgres fangkong_bench_followup
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_followup \\
        .venv/bin/python benchmarks/bench_followup.py [--persons 1000000] [--sites 500] [--requests 30]

Set-up (not timed), all with COPY: the region tree; ``--persons`` persons in Shenzhen's nine districts, each
under management (``Subject``, kind ``bench``) for the November 2022 edition's 5 + 3 days, counted from a day
0 one to seven days before today (so every one of them is due today), with the edition's six test days; the
checks of yesterday (both slots, one in twenty missing) and its tests (taken, but for the persons whose morning
check is missing: one in twenty); ``--sites`` quarantine sites of ``--rooms`` rooms
each, every room holding one of the persons (an open assignment), each site managed by ``bench_qm<k>``.
Nothing of today is recorded before the import.

Timed, through the code the application uses:

1. **ingest**: a file of today's morning check of every person (``--persons`` rows, CSV, about one in a
   thousand with fever and a symptom), through the import job's run (``followup.imports.checks_run``:
   reading, every row through the check's schema, the checks by set, the write by set, one audit event),
   as the Shenzhen epidemiologist (``bench_sz_epi``); then the same file a second time (nothing changes);
2. the worker's day list page ``/followup/`` and the API (``due``, ``counts``) as the epidemiologist, and
   the **floor list** ``/followup/?site=<id>`` (one site's persons by room, the site's own counts) as that
   site's manager and as the epidemiologist, and the per-site completeness page and API: p50 and p95 of
   ``--requests`` requests each after one warm-up;
3. recording one check through the service (``health_check_record``): p50 and p95;
4. the **end-of-day sweep** (``followups_sweep``) of yesterday (one slot in twenty missing, one test in twenty
   not taken: a day as the target means it), then of today (every evening slot missing and none of the day's
   tests taken: the worst day, every test due today made overdue).

``uptime`` is printed beside the figures (the machine is shared).
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


def build(n: int, sites: int, rooms: int) -> None:
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
    # the sites' managers without a password (hashing one costs a second per user on a busy machine: 500 users,
    # eight minutes): the benchmark signs them in with ``force_login``
    from fangkong.accounts.models import Membership

    have = set(User.objects.filter(username__startswith="bench_qm").values_list("username", flat=True))
    managers = User.objects.bulk_create([User(username=f"bench_qm{k}") for k in range(sites)
                                         if f"bench_qm{k}" not in have])
    Membership.objects.bulk_create([Membership(user=u, region_id="440300", role="quarantine_manager")
                                    for u in managers])
    from fangkong.resources.models import Assignment

    if Subject.objects.filter(kind="bench").count() == n and Assignment.objects.count() == min(sites * rooms, n):
        return  # built before (a build stopped half-way is built again)
    print(f"building {n:,} persons under management ...", flush=True)
    started = time.perf_counter()
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    protocol = ProtocolVersion.objects.get(code="nov-2022")
    rng = np.random.default_rng(26)
    region = rng.integers(0, len(DISTRICTS), size=n)
    start = rng.integers(1, 8, size=n)  # day 0 = today - start: every one due today
    missing = rng.random(size=(n, 2)) < 0.05
    tz = "+08"
    periods_of = {}
    for back in range(1, 8):
        day0 = today - dt.timedelta(days=back)
        period = periods.management_period(protocol, "close", day0)
        periods_of[back] = (day0, period.first_day, period.release_due - periods.DAY, period.centralised_until,
                            [(dt.date.fromisoformat(str(t["date"])), t["phase"], t["day"]) for t in periods.test_schedule(protocol, "close",
                                                                                            period.first_day)])
    users = dict(User.objects.filter(username__startswith="bench_qm").values_list("username", "pk"))
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE followup_checkversion, followup_healthcheck, followup_scheduledtest, followup_subject, "
                       "resources_assignment, resources_room, resources_quarantinesite_managers, "
                       "resources_quarantinesite, persons_person CASCADE")
        _copy(cursor, "persons_person", "id, name, sex, citizen_id_hash, citizen_id_sealed, citizen_id_masked, "
              "phone_hash, phone_sealed, phone_masked, address_region_id, address_text, created_at, updated_at",
              (f"{i + 1}\t随访基准{i}\tU\th{i:063d}\t\t440***********{i % 10000:04d}\t\t\t\t"
               f"{DISTRICTS[region[i]]}\t\t2022-01-01 00:00:00{tz}\t2022-01-01 00:00:00{tz}\n" for i in range(n)))
        _copy(cursor, "followup_subject", "id, kind, source_id, label, person_id, region_id, category, protocol_id, "
              "counted_from, first_day, last_day, centralised_until, ended_on, status, symptomatic_since, outcome_ref, "
              "synced_at",
              (f"{i + 1}\tbench\t{i + 1}\tB{i:07d}\t{i + 1}\t{DISTRICTS[region[i]]}\tclose\t{protocol.pk}\t"
               f"{periods_of[start[i]][0]}\t{periods_of[start[i]][1]}\t{periods_of[start[i]][2]}\t"
               f"{periods_of[start[i]][3]}\t\\N\tactive\t\\N\t\t2022-01-01 00:00:00{tz}\n" for i in range(n)))
        tests = n * len(periods_of[1][4])
        _copy(cursor, "followup_scheduledtest", "subject_id, region_id, due_date, phase, day, status, taken_on, "
              "result, not_taken_reason, recorded_by_id, recorded_at",
              (f"{i + 1}\t{DISTRICTS[region[i]]}\t{due}\t{phase}\t{d}\t"
               + ("taken\t" + str(due) + "\tnegative" if due < yesterday or (due == yesterday and not missing[i, 0])
                  else "due\t\\N\t")
               + "\t\t\\N\t\\N\n"
               for i in range(n) for due, phase, d in periods_of[start[i]][4]))
        _copy(cursor, "followup_healthcheck", "subject_id, region_id, day, slot, outcome, temperature, symptoms, "
              "note, checked_at, checked_by_id, channel, recorded_at",
              (f"{i + 1}\t{DISTRICTS[region[i]]}\t{yesterday}\t{slot}\tok\t36.5\t[]\t\t"
               f"{yesterday} {8 + 10 * s}:00:00{tz}\t\\N\tstaff\t{yesterday} {8 + 10 * s}:00:00{tz}\n"
               for i in range(n) for s, slot in enumerate(("morning", "evening")) if not missing[i, s]))
        # the quarantine sites: ``rooms`` rooms each, each holding one person (an open assignment)
        placed = min(sites * rooms, n)
        _copy(cursor, "resources_quarantinesite", "id, region_id, name, kind, address, created_at",
              (f"{k + 1}\t{DISTRICTS[k % len(DISTRICTS)]}\t基准隔离点{k}\thotel\t\t2022-01-01 00:00:00{tz}\n"
               for k in range(sites)))
        _copy(cursor, "resources_quarantinesite_managers", "quarantinesite_id, user_id",
              (f"{k + 1}\t{users[f'bench_qm{k}']}\n" for k in range(sites)))
        _copy(cursor, "resources_room", "id, site_id, region_id, number, kind, state, version, updated_at",
              (f"{j + 1}\t{j // rooms + 1}\t{DISTRICTS[(j // rooms) % len(DISTRICTS)]}\t{1000 + j % rooms}\tsingle\t"
               f"occupied\t1\t2022-01-01 00:00:00{tz}\n" for j in range(placed)))
        # room j holds person j * (n // placed) + 1: the sites' persons spread over the districts
        step = n // placed
        _copy(cursor, "resources_assignment", "id, room_id, site_id, region_id, person_id, status, checked_in_at, "
              "version",
              (f"{j + 1}\t{j + 1}\t{j // rooms + 1}\t{DISTRICTS[(j // rooms) % len(DISTRICTS)]}\t{j * step + 1}\tin\t"
               f"{yesterday} 10:00:00{tz}\t1\n" for j in range(placed)))
        for table in ("persons_person", "followup_subject", "followup_scheduledtest", "followup_healthcheck",
                      "resources_quarantinesite", "resources_room", "resources_assignment"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                           f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
        for table in ("persons_person", "followup_subject", "followup_scheduledtest", "followup_healthcheck",
                      "resources_room", "resources_assignment"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"  {n:,} subjects, {tests:,} scheduled tests, yesterday's checks, {sites} sites of {rooms} rooms "
          f"in {time.perf_counter() - started:.0f} s", flush=True)


def load() -> str:
    with open("/proc/loadavg") as handle:
        return "load " + " ".join(handle.read().split()[:3])


def checks_file(n: int, day: dt.date) -> bytes:
    """Today's morning check of persons 1 … ``n`` (subject ids), one in a thousand with fever and a cough."""
    rng = np.random.default_rng(27)
    temperatures = rng.integers(360, 373, size=n)
    temperatures[7::1000] = 382
    # checked in the three hours from 7:00, or (a run before 7:00 Beijing time) in the minutes since midnight:
    # a time in the future is refused
    now = timezone.localtime()
    start, span = (7 * 60, 180) if now.hour >= 10 else (0, max(1, now.hour * 60 + now.minute - 1))
    minutes = start + rng.integers(0, span, size=n)
    lines = ["subject,day,slot,temperature,symptoms,not_possible,note,checked_at,reason\n"]
    lines.extend(f"{i + 1},{day},morning,{temperatures[i] / 10:.1f},"
                 f"{'cough' if i % 1000 == 7 else ''},,,{day} {minutes[i] // 60:02d}:{minutes[i] % 60:02d},\n"
                 for i in range(n))
    return "".join(lines).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--rooms", type=int, default=400)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    build(args.persons, args.sites, args.rooms)

    from fangkong.accounts.models import User
    from fangkong.followup.imports import checks_run
    from fangkong.followup.models import HealthCheck, Subject
    from fangkong.followup.services import followups_sweep, health_check_record

    user = User.objects.get(username="bench_sz_epi")
    today = timezone.localdate()
    due = Subject.objects.filter(status="active", first_day__lte=today, last_day__gte=today).count()
    print(f"persons under management today in Shenzhen: {due:,}", flush=True)

    HealthCheck.objects.filter(day=today).delete()
    # the modules an import job imports once in its worker's life (the reading, the import machinery, the URLs
    # its problems link to), imported before the clock starts: an empty file, refused
    from django.urls import reverse

    from fangkong.cases.imports import ImportRejected

    reverse("followup:due")
    try:
        checks_run(actor=user, data=checks_file(0, today), name="warm-up.csv", source="bench")
    except ImportRejected:
        pass
    data = checks_file(args.persons, today)
    print(f"file: {args.persons:,} rows, {len(data) / 1e6:.0f} MB  ({load()})", flush=True)
    for attempt in ("first import", "same file again"):
        started = time.perf_counter()
        outcome = checks_run(actor=user, data=data, name="checks.csv", source="bench")
        print(f"ingest, {attempt}: {time.perf_counter() - started:.1f} s  {outcome}  ({load()})", flush=True)

    client = Client()
    client.force_login(user)
    site = 1
    manager = Client()
    manager.force_login(User.objects.get(username="bench_qm0"))
    for name, who, path in (("day list page (50, with counts)", client, f"/followup/?day={today}"),
                            ("day list page, one district", client, f"/followup/?day={today}&region=440304"),
                            ("API due list (50)", client, f"/api/v1/followup/due/?day={today}"),
                            ("API counts (city)", client, f"/api/v1/followup/counts/?day={today}"),
                            ("floor list, site manager", manager, f"/followup/?day={today}&site={site}"),
                            ("floor list, epidemiologist", client, f"/followup/?day={today}&site={site}"),
                            ("per-site page, site manager", manager, f"/followup/sites/?day={today}"),
                            ("per-site API, city (all sites)", client, f"/api/v1/followup/sites/?day={today}")):
        p50, p95, response = percentiles(who, path, args.requests)
        print(f"{name:40s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ({load()})", flush=True)
        if "site=" in path:
            assert response.content.decode().count("data-subject=") == args.rooms, "the floor list lists the site"

    open_subjects = iter(Subject.objects.filter(status="active", first_day__lte=today, last_day__gte=today)
                         .exclude(checks__day=today, checks__slot="evening").order_by("pk")[:args.requests + 1])

    def record():
        health_check_record(actor=user, subject=next(open_subjects), day=today, slot="evening", temperature="36.6")

    p50, p95 = timed(record, args.requests)
    print(f"{'one check recorded (service, audited)':40s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ({load()})", flush=True)
    yesterday = today - dt.timedelta(days=1)
    HealthCheck.objects.filter(day=yesterday, outcome="missed").delete()
    for day in (yesterday, today):
        started = time.perf_counter()
        counts = followups_sweep(day=day)
        print(f"end-of-day sweep of {day}: {time.perf_counter() - started:.2f} s  {counts}  ({load()})", flush=True)


if __name__ == "__main__":
    main()
