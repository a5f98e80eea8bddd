"""Benchmark: key populations (issue 28) — 2,000,000 persons on rosters, 1,000,000 test results on the day:
the day's results loaded and applied to the compliance incrementally, today's overdue list, the per-employer
pages, on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres fangkong_bench_keypop
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_keypop \\
        .venv/bin/python benchmarks/bench_keypopulations.py [persons, default 2000000]

Builds once (deterministic): groups and frequencies in SQL (``generate_series``), persons, memberships and
tests streamed with ``COPY``: persons in Guangdong's counties, groups of 100 (a quarter daily, half every
two days, a quarter weekly, an eighth changing frequency ten days ago; one employer per ten groups, so
~1,000 staff per employer), one membership each, one person in ten also on a daily group of another
employer for a month ending in five days (several groups, the strictest applies), one in fifty gone since
yesterday; a test 1-8 days ago for everyone but a few percent never tested. Then, timed, the load (``uptime``)
printed beside every figure:

1. the computation of everyone's compliance from scratch (``compliance_refresh()``: what the migration does
   once; nothing does it daily any more);
2. the day's results: ~1,000,000 tests (half the persons, the ones on two groups among them; one in twenty
   of them a late result of yesterday) loaded with ``COPY`` as a laboratory's feed lands them, then applied
   to the compliance (``results_apply(after_id=…)``: one ``UPDATE`` of the rows of the persons tested, the
   few whose anchor lies before two changes of frequency recomputed), then applied again (nothing changes);
3. a group's frequency changed (``compliance_refresh(group=…)``: its members recomputed);
4. today's overdue list (the count for the province; the API's first 1,000 rows) and the morning job
   (``overdue_run``: the overdue counted and raised as problems, nothing recomputed);
5. in-process after one warm-up, p50/p95: the group list as the provincial commander, the employer's staff
   page, API and group page as an employer account.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
import django  # noqa: E402

django.setup()
from bench_cases import percentiles  # noqa: E402 (this folder is on the path of a script run from it)
from django.test import Client  # noqa: E402

N_PERSONS = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
GROUP_SIZE = 100
N = 30


def uptime() -> str:
    """The load, printed beside every figure."""
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip().partition("load")[2]


def build(today) -> bool | None:
    """Build the data when missing (None: already built)."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from fangkong.accounts.models import User
    from fangkong.keypopulations.models import EmployerAccess, KeyGroup
    from fangkong.regions.models import Region
    from fangkong.regions.services import region_tree_load
    from fangkong.testing.builders import make_user

    stamp = timezone.now()
    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        region_tree_load()
    for name, region, role in (("bench_province", "440000", "provincial_commander"),
                               ("bench_employer", "440000", "enterprise_contact")):
        if not User.objects.filter(username=name).exists():
            make_user(name, (region, role))
    employer = User.objects.get(username="bench_employer")
    EmployerAccess.objects.get_or_create(user=employer, employer_code="BENCH0000000000000")
    n_groups = N_PERSONS // GROUP_SIZE
    if KeyGroup.objects.count() == n_groups:
        return None
    counties = list(Region.objects.filter(level="county").order_by("code").values_list("code", flat=True))
    rule = {days: f"8th-{population}" for days, population in ((1, "port_frontline"), (2, "cold_chain"),
                                                                (7, "delivery"))}
    print(f"building {N_PERSONS:,} persons in {n_groups:,} groups ...", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE keypopulations_compliance, keypopulations_keytest, keypopulations_rosterentry, "
                       "keypopulations_groupfrequency, keypopulations_keygroup CASCADE")
        cursor.execute("DELETE FROM persons_person WHERE citizen_id_hash LIKE 'kpbench%%'")
        cursor.execute("CREATE TEMP TABLE bench_counties (i int, code text)")
        cursor.executemany("INSERT INTO bench_counties VALUES (%s, %s)", list(enumerate(counties)))
        # groups: 0..n-1; every tenth a new employer; the first employer is the benchmark's account's
        cursor.execute("""
            INSERT INTO keypopulations_keygroup (id, name, population, region_id, employer_name, employer_code, created_at)
            SELECT g + 1, 'bench group ' || g,
                   CASE WHEN g %% 4 = 0 THEN 'port_frontline' WHEN g %% 4 = 3 THEN 'delivery' ELSE 'cold_chain' END,
                   (SELECT code FROM bench_counties WHERE i = (g / 10) %% %s),
                   'bench employer ' || (g / 10), CASE WHEN g / 10 = 0 THEN 'BENCH0000000000000'
                   ELSE 'BENCH' || lpad((g / 10)::text, 13, '0') END, now()
            FROM generate_series(0, %s - 1) AS g""", [len(counties), n_groups])
        cursor.execute("SELECT setval(pg_get_serial_sequence('keypopulations_keygroup', 'id'), %s)", [n_groups])
        cursor.execute("""
            INSERT INTO keypopulations_groupfrequency (group_id, effective_from, days, rule_id, created_at)
            SELECT g.id, %s::date - 60,
                   CASE WHEN (g.id - 1) %% 4 = 0 THEN 1 WHEN (g.id - 1) %% 4 = 3 THEN 7 ELSE 2 END,
                   (SELECT id FROM keypopulations_testingrule WHERE code = CASE WHEN (g.id - 1) %% 4 = 0 THEN %s
                    WHEN (g.id - 1) %% 4 = 3 THEN %s ELSE %s END), now()
            FROM keypopulations_keygroup g""", [today, rule[1], rule[7], rule[2]])
        # a quarter of the groups changed their frequency ten days ago (daily ↔ every two days)
        cursor.execute("""
            INSERT INTO keypopulations_groupfrequency (group_id, effective_from, days, rule_id, created_at)
            SELECT f.group_id, %s::date - 10, CASE WHEN f.days = 1 THEN 2 ELSE 1 END,
                   (SELECT id FROM keypopulations_testingrule WHERE code = CASE WHEN f.days = 1 THEN %s ELSE %s END),
                   now()
            FROM keypopulations_groupfrequency f WHERE f.days IN (1, 2) AND f.group_id %% 8 = 1""",
                       [today, rule[2], rule[1]])
        cursor.execute("SELECT coalesce(max(id), 0) FROM persons_person")
        base = cursor.fetchone()[0]
        group_region = dict(KeyGroup.objects.values_list("id", "region_id"))
        copy = cursor.cursor.copy  # psycopg's COPY ... FROM STDIN, a row at a time
        with copy("COPY persons_person (id, name, sex, citizen_id_hash, citizen_id_sealed, citizen_id_masked, "
                  "phone_hash, phone_sealed, phone_masked, address_region_id, address_text, created_at, "
                  "updated_at) FROM STDIN") as out:
            for p in range(N_PERSONS):
                out.write_row((base + 1 + p, f"基准{p}", "M", f"kpbench{p}", "", f"440304********{p % 10000:04d}",
                               "", "", "", group_region[p // GROUP_SIZE + 1], "", stamp, stamp))
        cursor.execute("SELECT setval(pg_get_serial_sequence('persons_person', 'id'), %s)", [base + N_PERSONS + 1])
        # one membership each; one person in ten also on a daily group of another employer for a month that
        # ends in five days (several groups: the strictest applies); one in fifty left their group yesterday
        with copy("COPY keypopulations_rosterentry (group_id, person_id, start, \"end\", created_at) FROM STDIN") as out:
            for p in range(N_PERSONS):
                group = p // GROUP_SIZE + 1
                out.write_row((group, base + 1 + p, today - dt.timedelta(days=30 + p % 20),
                               today - dt.timedelta(days=1) if p % 50 == 7 else None, stamp))
                if p % 10 == 3:
                    out.write_row(((group + 40) % n_groups // 4 * 4 + 1, base + 1 + p,
                                   today - dt.timedelta(days=25), today + dt.timedelta(days=5), stamp))
        # tests: one 1-8 days ago each, 3 % never tested (the day's are loaded by ``ingest``)
        with copy("COPY keypopulations_keytest (person_id, group_id, sampled_on, result, created_at) FROM STDIN") as out:
            for p in range(N_PERSONS):
                if p % 37 == 5:
                    continue
                out.write_row((base + 1 + p, p // GROUP_SIZE + 1, earlier(today, p), "negative", stamp))
        cursor.execute("ANALYZE")
    print(f"built in {time.perf_counter() - started:.0f} s ({uptime()})", flush=True)
    return True


def earlier(today, p: int):
    """The day of person ``p``'s test before the day: 1-8 days ago."""
    return today - dt.timedelta(days=1 + (p // 2) % 8)


def tested_on_the_day(p: int) -> bool:
    """Half the persons: the even ones but every tenth's fourth, and the ones on two groups (``p % 10 == 3``)."""
    return (p % 2 == 0 and p % 10 != 4) or p % 10 == 3


def rebuild() -> None:
    """Everyone's compliance computed from scratch, timed (once: what the migration does)."""
    from django.db import connection

    from fangkong.keypopulations.services import compliance_refresh

    with connection.cursor() as cursor:
        # a run before loaded the day's results: the build's tests all carry its one moment
        cursor.execute("DELETE FROM keypopulations_keytest WHERE created_at > "
                       "(SELECT MIN(created_at) FROM keypopulations_keytest)")
        cursor.execute("TRUNCATE keypopulations_compliance")
    started = time.perf_counter()
    written = compliance_refresh()
    print(f"compliance_refresh() of everyone from scratch (once, not daily): {written:,} rows in "
          f"{time.perf_counter() - started:.1f} s ({uptime()})", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE keypopulations_compliance")


def ingest(today) -> None:
    """The day's results loaded (``COPY``) and applied incrementally (``results_apply``), timed."""
    from django.db import connection
    from django.utils import timezone

    from fangkong.keypopulations import compliance
    from fangkong.keypopulations.models import KeyTest
    from fangkong.keypopulations.services import results_apply

    stamp = timezone.now()
    cursor = connection.cursor()
    cursor.execute("SELECT coalesce(max(id), 0) FROM persons_person WHERE citizen_id_hash = 'kpbench0'")
    base = cursor.fetchone()[0] - 1
    before = KeyTest.objects.order_by("-id").values_list("id", flat=True).first() or 0
    started = time.perf_counter()
    loaded = 0
    with cursor.cursor.copy("COPY keypopulations_keytest (person_id, group_id, sampled_on, result, created_at) "
                            "FROM STDIN") as out:
        for p in range(N_PERSONS):
            if not tested_on_the_day(p):
                continue
            late = p % 20 == 0 and earlier(today, p) != today - dt.timedelta(days=1)
            out.write_row((base + 1 + p, p // GROUP_SIZE + 1, today - dt.timedelta(days=1) if late else today,
                           "positive" if p % 100_000 == 6 else "negative", stamp))
            loaded += 1
    print(f"the day's results loaded (COPY, as a laboratory's feed): {loaded:,} in "
          f"{time.perf_counter() - started:.1f} s ({uptime()})", flush=True)
    where, params = compliance._tests_where(None, before)
    cursor.execute(f"SELECT COUNT(DISTINCT x.person_id) FROM ({compliance._applied(where)}) x "  # noqa: S608
                   "WHERE x.anchor + 1 < COALESCE(x.prior_n, x.steady_n)", params)
    print(f"  of whom recomputed (anchor before the last two blocks): {cursor.fetchone()[0]:,}", flush=True)
    for what in ("the day's results applied", "applied again (nothing changes)"):
        started = time.perf_counter()
        changed = results_apply(after_id=before)
        print(f"results_apply(after_id=…) — {what}: {changed:,} rows changed in "
              f"{time.perf_counter() - started:.1f} s ({uptime()})", flush=True)
    cursor.execute("ANALYZE keypopulations_keytest")
    cursor.execute("ANALYZE keypopulations_compliance")


def frequency_change() -> None:
    """One group's frequency changed: its members recomputed, timed."""
    from fangkong.keypopulations.services import compliance_refresh

    started = time.perf_counter()
    written = compliance_refresh(group=5)
    print(f"a group's members recomputed (compliance_refresh(group=…), a frequency changed): {written:,} rows in "
          f"{(time.perf_counter() - started) * 1000:.0f} ms ({uptime()})", flush=True)


def main() -> None:
    from django.utils import timezone

    from fangkong.accounts.models import User
    from fangkong.keypopulations.models import KeyTest
    from fangkong.keypopulations.selectors import overdue_entries
    from fangkong.keypopulations.services import overdue_run

    today = timezone.localdate()
    build(today)
    rebuild()
    ingest(today)
    frequency_change()
    province = User.objects.get(username="bench_province")
    print(f"tests on the day: {KeyTest.objects.filter(sampled_on=today).count():,}", flush=True)
    started = time.perf_counter()
    count = overdue_entries(user=province, day=today).count()
    print(f"overdue today (count, province): {count:,} in {time.perf_counter() - started:.2f} s ({uptime()})",
          flush=True)
    started = time.perf_counter()
    result = overdue_run(today=today)
    print(f"overdue_run (the morning job: the overdue counted and raised, nothing recomputed): {result} in "
          f"{time.perf_counter() - started:.1f} s ({uptime()})", flush=True)
    client = Client()
    client.force_login(province)
    day = today.isoformat()
    p50, p95, _response = percentiles(client, f"/api/v1/keypopulation-overdue/?day={day}", 5)
    print(f"province  overdue API (first 1,000)      p50 {p50:7.1f} ms  p95 {p95:7.1f} ms", flush=True)
    p50, p95, _response = percentiles(client, f"/keypopulations/?day={day}", 5)
    print(f"province  group list (200 groups, counts) p50 {p50:7.1f} ms  p95 {p95:7.1f} ms", flush=True)
    client.force_login(User.objects.get(username="bench_employer"))
    p50, p95, _response = percentiles(client, f"/keypopulations/employer/?day={day}", N)
    print(f"employer  staff page (first 100 of ~1,000) p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ({uptime()})", flush=True)
    p50, p95, response = percentiles(client, f"/api/v1/keypopulation-employer-staff/?day={day}&limit=100", N)
    print(f"employer  staff API (first 100)           p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ({uptime()})", flush=True)
    following = response.json()["next"].partition("testserver")[2]
    p50, p95, _response = percentiles(client, following, N)
    print(f"employer  staff API (second page)         p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ({uptime()})", flush=True)
    p50, p95, _response = percentiles(client, f"/keypopulations/1/?day={day}", N)
    print(f"employer  its group's page (~100 staff)   p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ({uptime()})", flush=True)
    from fangkong.keypopulations.problems import raise_overdue

    started = time.perf_counter()
    raised = raise_overdue(today=today)
    print(f"problems raised again for the day's overdue (nothing new): {raised:,} in "
          f"{time.perf_counter() - started:.1f} s ({uptime()})", flush=True)


if __name__ == "__main__":
    main()
