"""Benchmark: the task list at scale (issue 19): 1,000,000 open tasks over the units of every county of
Guangdong; the escalation sweep (the catch-up run that escalates everything overdue at once, the run after it
that finds nothing new, and a run ten minutes later), the inbox and the overdue list (page and API), p50 and p95.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_worklists \\
        .venv/bin/python benchmarks/bench_worklists.py [requests per measurement, default 30 | sweeps]

Builds the database when it holds no tasks (migrate, the region tree, one unit per prefecture and county,
then the tasks by one INSERT … SELECT from generate_series — the rows the services would write: 90 % routine
with a seven-day deadline, 10 % urgent with 24 hours, created over the last five days, so about 8 % are overdue;
1 % owned by the Futian user); measures in-process with Django's test client (session auth) after a warm-up.
``sweeps``: the escalation sweeps only (on a copy of a database not swept yet: ``CREATE DATABASE … TEMPLATE``).
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
from bench_cases import percentiles  # noqa: E402 (this folder is on the path of a script run from it)
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from fangkong.accounts.models import User  # noqa: E402
from fangkong.accounts.roles import Role  # noqa: E402
from fangkong.accounts.services import user_create  # noqa: E402
from fangkong.regions.models import Region  # noqa: E402
from fangkong.regions.services import region_tree_load  # noqa: E402
from fangkong.worklists.models import Escalation, Task, Unit  # noqa: E402
from fangkong.worklists.services import escalation_sweep  # noqa: E402

SWEEPS_ONLY = sys.argv[1:2] == ["sweeps"]  # only the escalation sweeps, not the pages
N = int(sys.argv[1]) if len(sys.argv) > 1 and not SWEEPS_ONLY else 30
TASKS = 1_000_000
USERS = (("bench_wl_province", "440000", Role.PROVINCIAL_COMMANDER), ("bench_wl_shenzhen", "440300", Role.LOCAL_COMMANDER),
         ("bench_wl_futian", "440304", Role.LOCAL_COMMANDER))


def build() -> None:
    started = time.perf_counter()
    region_tree_load()
    for name, code, role in USERS:
        if not User.objects.filter(username=name).exists():
            user_create(username=name, password="bench-password-2022", memberships=[(code, role)],  # noqa: S106
                        validate_password=False)
    futian = User.objects.get(username="bench_wl_futian")
    for region in Region.objects.filter(level__in=("prefecture", "county")):
        Unit.objects.get_or_create(region=region, name=f"{region.name_zh}疫情防控指挥部", kind=Unit.Kind.COMMAND)
    futian_unit = Unit.objects.get(region_id="440304").pk
    with connection.cursor() as cursor:
        cursor.execute("""
            WITH u AS (SELECT id, region_id, row_number() OVER (ORDER BY id) - 1 AS k FROM worklists_unit),
                 n AS (SELECT count(*) AS c FROM worklists_unit),
                 g AS (SELECT i, now() - random() * interval '5 days' AS created, random() < 0.1 AS urgent
                       FROM generate_series(1, %s) AS i)
            INSERT INTO worklists_task (title, description, region_id, owner_unit_id, owner_id, sla_class, created_at,
                                        deadline, second_deadline, state, state_changed_at, evidence, reason,
                                        escalation_level)
            SELECT '基准任务' || g.i, '', u.region_id, u.id, CASE WHEN u.id = %s AND g.i %% 2 = 0 THEN %s END,
                   CASE WHEN g.urgent THEN '24h' ELSE '72h' END, g.created,
                   g.created + CASE WHEN g.urgent THEN interval '24 hours' ELSE interval '7 days' END,
                   g.created + CASE WHEN g.urgent THEN interval '48 hours' ELSE interval '14 days' END,
                   CASE WHEN g.i %% 3 = 0 THEN 'in_progress' ELSE 'open' END, g.created, '', '', 0
            FROM g CROSS JOIN n JOIN u ON u.k = (CASE WHEN g.i %% 100 = 0 THEN
                (SELECT k FROM u WHERE id = %s) ELSE g.i %% n.c END)
        """, [TASKS, futian_unit, futian.pk, futian_unit])
        cursor.execute("ANALYZE")
    print(f"built: {Task.objects.count()} tasks over {Unit.objects.count()} units in "
          f"{time.perf_counter() - started:.1f} s", flush=True)


def sweep(label: str, now=None) -> None:
    started = time.perf_counter()
    counts = escalation_sweep(now=now)
    print(f"{label:52s} {time.perf_counter() - started:7.2f} s  {counts}  load {os.getloadavg()[0]:.1f}", flush=True)


call_command("migrate", verbosity=0)
if not Task.objects.exists():
    build()
if not Escalation.objects.exists():
    sweep("escalation sweep, catch-up (all overdue at once)")
sweep("escalation sweep, again at once (nothing new)")
sweep("escalation sweep, ten minutes later", timezone.now() + dt.timedelta(minutes=10))
with connection.cursor() as cursor:  # what autovacuum would do after the catch-up's writes
    cursor.execute("ANALYZE worklists_task")
print(f"open tasks {Task.objects.filter(state__in=('open', 'in_progress')).count()}, "
      f"escalated {Task.objects.filter(escalation_level__gt=0).count()}", flush=True)

if SWEEPS_ONLY:
    sys.exit(0)
client = Client()
for user, paths in (("bench_wl_futian", (("inbox page (Futian)", "/worklists/"),
                                         ("inbox API (Futian)", "/api/v1/worklists-tasks/inbox/"),
                                         ("overdue page (Futian)", "/worklists/overdue/"))),
                    ("bench_wl_shenzhen", (("inbox page (Shenzhen)", "/worklists/"),
                                           ("overdue page (Shenzhen)", "/worklists/overdue/"))),
                    ("bench_wl_province", (("inbox page (province)", "/worklists/"),
                                           ("inbox API (province)", "/api/v1/worklists-tasks/inbox/"),
                                           ("overdue page (province)", "/worklists/overdue/"),
                                           ("overdue API (province)", "/api/v1/worklists-tasks/overdue/"),
                                           ("task list page (province)", "/worklists/tasks/")))):
    client.force_login(User.objects.get(username=user))
    for name, path in paths:
        p50, p95, _response = percentiles(client, path, N)
        print(f"{name:40s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms", flush=True)
