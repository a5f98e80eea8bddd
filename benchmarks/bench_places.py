"""Benchmark: key places (issue 18) — the coverage page and API over 100,000 places, and the co-visit search
for one case among a million venue-code scans, on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres test_places_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_places_bench \\
        .venv/bin/python benchmarks/bench_places.py [places, default 100000] [scans, default 1000000]

**The issue's scale** (``--scale PLACES SCANS_PER_DAY DAYS``, e.g. ``--scale 500000 5000000 14``: 70 million
scans) is built server-side instead (``build_scale``: ``INSERT … SELECT generate_series``, one day of scans a
statement), see its docstring for what differs from the schema the migrations make.

Builds once (bulk inserts, deterministic): places spread over Guangdong's counties, a quarter never
inspected, the rest last inspected 0–40 days ago; an open rectification order on one place in twenty;
scans over 14 days by 50,000 persons at 2,000 Shenzhen places. Then, in-process after one warm-up: the
coverage page and API as the provincial commander (every county) and as a Shenzhen epidemiologist, and the
co-visit API for the person with the most scans.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
import django  # noqa: E402

django.setup()
from bench_cases import percentiles  # noqa: E402 (this folder is on the path of a script run from it)
from django.test import Client  # noqa: E402

N_PLACES = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 100_000
N_SCANS = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 1_000_000
N = 30


def _schema_and_users() -> None:
    """Migrate, load the region tree once, and create the two readers of the benchmark."""
    from django.core.management import call_command

    from fangkong.accounts.models import User
    from fangkong.regions.models import Region
    from fangkong.regions.services import region_tree_load
    from fangkong.testing.builders import make_user

    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        region_tree_load()
    for name, region, role in (("bench_province", "440000", "provincial_commander"),
                               ("bench_sz_epi", "440300", "epidemiologist")):
        if not User.objects.filter(username=name).exists():
            make_user(name, (region, role))


def build() -> None:
    from django.db import connection
    from django.utils import timezone

    from fangkong.accounts.models import User
    from fangkong.persons.models import Person
    from fangkong.places.models import (
        CATEGORY_TIER,
        ChecklistVersion,
        Finding,
        Inspection,
        Place,
        PlaceCategory,
        Rectification,
        Scan,
    )
    from fangkong.regions.models import Region

    _schema_and_users()
    if Place.objects.count() == N_PLACES and Scan.objects.count() == N_SCANS:
        return
    rng = random.Random(18)
    today = timezone.localdate()
    actor = User.objects.get(username="bench_province")
    counties = list(Region.objects.filter(level="county").values_list("code", flat=True))
    print(f"building {N_PLACES:,} places and {N_SCANS:,} scans ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE places_scan, places_rectification, places_finding, places_inspection, places_place")
    places = []
    for i in range(N_PLACES):
        category = PlaceCategory.values[i % 10]
        county = "440304" if i < 2000 else counties[rng.randrange(len(counties))]
        last = None if rng.random() < 0.25 else today - dt.timedelta(days=rng.randrange(41))
        place = Place(category=category, name=f"基准场所{i}", address=f"基准路{i}号", region_id=county,
                      county_id=county, responsible_unit="基准单位", responsible_person="基准负责人",
                      risk_tier=CATEGORY_TIER[category], venue_token=f"bench{i:08d}",
                      registered_on=today - dt.timedelta(days=60), last_inspected_on=last, created_by=actor)
        place.next_due_on = place.due_from(last)
        places.append(place)
    Place.objects.bulk_create(places, batch_size=5000)
    checklist = ChecklistVersion.objects.get(category=PlaceCategory.PORT, version=1)
    ids = list(Place.objects.order_by("id").values_list("id", "region_id"))
    inspections = [Inspection(place_id=pk, region_id=region, checklist=checklist, inspected_on=today,
                              outcome="failed", results={"G2": "fail"}, inspector=actor)
                   for pk, region in ids[::20]]
    Inspection.objects.bulk_create(inspections, batch_size=5000)
    findings = Finding.objects.bulk_create([Finding(inspection=i, item_code="G2", item_text="通风消毒")
                                            for i in inspections], batch_size=5000)
    Rectification.objects.bulk_create([
        Rectification(finding=f, place_id=i.place_id, region_id=i.region_id,
                      deadline=today + dt.timedelta(days=rng.randrange(-5, 8)))
        for f, i in zip(findings, inspections, strict=True)], batch_size=5000)
    persons = list(Person.objects.values_list("id", flat=True)[:50_000])
    if len(persons) < 50_000:
        made = [Person(name=f"基准{i}", sex="m", address_region_id="440304", citizen_id_hash=f"bench{i}",
                       citizen_id_masked="*" * 18, created_by=actor) for i in range(50_000 - len(persons))]
        Person.objects.bulk_create(made, batch_size=5000)
        persons = list(Person.objects.values_list("id", flat=True)[:50_000])
    sz_places = [pk for pk, _region in ids[:2000]]
    start = timezone.now() - dt.timedelta(days=14)
    batch = []
    seen = set()
    while len(seen) < N_SCANS:
        key = (sz_places[rng.randrange(len(sz_places))], persons[rng.randrange(len(persons))],
               start + dt.timedelta(seconds=60 * rng.randrange(14 * 24 * 60)))
        if key in seen:
            continue
        seen.add(key)
        batch.append(Scan(place_id=key[0], region_id="440304", person_id=key[1], scanned_at=key[2]))
        if len(batch) == 20_000:
            Scan.objects.bulk_create(batch)
            batch = []
    Scan.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE places_place; ANALYZE places_scan; ANALYZE places_rectification")


def _insert_defaults(model, given: dict[str, str]) -> tuple[str, str]:
    """(column list, SQL expressions) for an ``INSERT … SELECT`` of ``model``: the expressions ``given`` by
    column, every other concrete column its neutral value (NULL where allowed, '' for text, now() for times,
    false, 0) — the database has no defaults of Django's fields."""
    from django.db import models

    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        column = field.column
        if column in given:
            value = given[column]
        elif field.null:
            value = "NULL"
        elif isinstance(field, models.CharField | models.TextField):
            value = "''"
        elif isinstance(field, models.DateTimeField):
            value = "now()"
        elif isinstance(field, models.DateField):
            value = "current_date"
        elif isinstance(field, models.BooleanField):
            value = "false"
        elif isinstance(field, models.JSONField):
            value = "'{}'::jsonb"
        elif isinstance(field, models.IntegerField | models.FloatField | models.DecimalField):
            value = "0"
        else:
            raise TypeError(f"no neutral value for {model.__name__}.{field.name}")
        columns.append(column)
        values.append(value)
    return ", ".join(columns), ", ".join(values)


N_PERSONS_SCALE = 1_000_000
FUTIAN_PLACES = 20_000


def build_scale(n_places: int, per_day: int, days: int) -> None:
    """The issue's scale, built in the database (``generate_series``), deterministic (``setseed``).

    - ``n_places`` places over Guangdong's counties, the first 20,000 in Futian; a quarter never inspected,
      the rest 0–40 days ago; one in twenty with a failed inspection and its rectification order (deadline
      −5…+7 days);
    - 1,000,000 persons (residents of Futian);
    - ``per_day`` scans a day for ``days`` days, one ``INSERT`` a day: the place skewed towards the first ids
      (place index ⌊n·u²⌋: the busiest place takes ~0.14 % of the day's scans — a metro station — and the
      Futian places ~20 %), the person uniform, the minute uniform over the day; plus the case's own 42
      visits (three a day at the 200 busiest places).

    **Not as the migrations make it**, to build 70 million rows in minutes on a shared 2-core machine: the
    scan table is UNLOGGED and loaded without indexes or constraints (the places and orders are inserted
    behind the services, so the coverage tally is recounted from them: ``tally.rebuild``); then only the primary key and the two
    indexes the reads use — ``scan_place_time (place, scanned_at)`` and ``scan_person_time (person,
    scanned_at)`` — are built. The unique constraint ``scan_once`` and the foreign keys' single-column
    indexes (place, region, person) are not: they cost writes, not these reads."""
    from django.db import connection
    from django.utils import timezone

    from fangkong.accounts.models import User
    from fangkong.persons.models import Person
    from fangkong.places import tally
    from fangkong.places.models import FREQUENCY_DAYS, Place
    from fangkong.regions.models import Region

    _schema_and_users()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'places_scan'")
        estimate = cursor.fetchone()[0]
    target = per_day * days
    if Place.objects.count() == n_places and abs(estimate - target) < 0.02 * target:
        print(f"already built: {n_places:,} places, about {estimate:,} scans", flush=True)
        return
    actor = User.objects.get(username="bench_province").pk
    counties = list(Region.objects.filter(level="county").order_by("code").values_list("code", flat=True))
    today = timezone.localdate()
    categories = ["port", "cold_chain", "farmers_market", "supermarket", "school", "elderly_care", "medical",
                  "quarantine_hotel", "construction", "public_transport"]
    tiers = {"port": "high", "cold_chain": "high", "quarantine_hotel": "high", "medical": "high",
             "construction": "low"}
    tier_sql = "CASE " + " ".join(f"WHEN c = '{c}' THEN '{t}'" for c, t in tiers.items()) + " ELSE 'medium' END"
    freq_sql = ("CASE " + " ".join(f"WHEN t = '{t.value}' THEN {d}" for t, d in FREQUENCY_DAYS.items()) + " END")

    def step(label: str, sql: str, params=()) -> None:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        print(f"  {label}: {time.perf_counter() - started:,.0f} s", flush=True)

    print(f"building {n_places:,} places, {N_PERSONS_SCALE:,} persons, {per_day:,} scans a day for {days} days",
          flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'; SET synchronous_commit = off; SET work_mem = '64MB'")
        cursor.execute("SELECT setseed(0.18)")
    step("truncate", "TRUNCATE places_covisitcontact, places_findingphoto, places_scan, places_rectification, "
                     "places_finding, places_inspection, places_place RESTART IDENTITY CASCADE")
    columns, values = _insert_defaults(Place, {
        "category": "c", "name": "'基准场所' || i", "address": "'基准路' || i || '号'", "region_id": "r",
        "county_id": "r", "responsible_unit": "'基准单位'", "responsible_person": "'基准负责人'",
        "risk_tier": "t", "venue_token": "'bench' || i", "registered_on": "%(today)s::date - 60",
        "last_inspected_on": "l", "next_due_on": f"coalesce(l, %(today)s::date - 60) + ({freq_sql})",
        "created_by_id": str(actor), "status": "'open'", "created_at": "now()"})
    step("places", f"""
        INSERT INTO places_place ({columns})
        SELECT {values} FROM (
          SELECT i, c, {tier_sql} AS t, r, l FROM (
            SELECT i, (%(categories)s::text[])[1 + i %% 10] AS c,
                   CASE WHEN i < {FUTIAN_PLACES} THEN '440304'
                        ELSE (%(counties)s::text[])[1 + ((i::bigint * 7919) %% %(n_counties)s)::int] END AS r,
                   CASE WHEN i %% 4 = 0 THEN NULL ELSE %(today)s::date - (i * 31 %% 41) END AS l
            FROM generate_series(0, %(n)s - 1) AS i) s) s2""",  # noqa: S608 - the model's own column names
         {"categories": categories, "counties": counties, "n_counties": len(counties), "today": today,
          "n": n_places})
    step("inspections", """
        INSERT INTO places_inspection (place_id, region_id, checklist_id, inspected_on, mode, outcome, results,
                                       notes, inspector_id, created_at)
        SELECT p.id, p.region_id, v.id, %(today)s, 'phone', 'failed', '{"G2": "fail"}', '', %(actor)s, now()
        FROM places_place p JOIN places_checklistversion v ON v.category = p.category AND v.version = 1
        WHERE p.id %% 20 = 0""", {"today": today, "actor": actor})
    step("findings", """
        INSERT INTO places_finding (inspection_id, item_code, item_text, critical, note)
        SELECT id, 'G2', '落实通风消毒并有记录', false, '' FROM places_inspection""")
    step("rectifications", """
        INSERT INTO places_rectification (finding_id, place_id, region_id, deadline, state, evidence, updated_at)
        SELECT f.id, i.place_id, i.region_id, %(today)s::date + ((i.place_id %% 13)::int - 5), 'open', '', now()
        FROM places_finding f JOIN places_inspection i ON i.id = f.inspection_id""", {"today": today})
    started = time.perf_counter()
    print(f"  coverage tally: {tally.rebuild():,} rows, {time.perf_counter() - started:,.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM persons_person WHERE citizen_id_hash LIKE 'benchscale%%'")
        have = cursor.fetchone()[0]
    if have < N_PERSONS_SCALE:
        columns, values = _insert_defaults(Person, {
            "name": "'基准' || i", "sex": "'m'", "citizen_id_hash": "'benchscale' || i",
            "citizen_id_masked": "'******************'", "address_region_id": "'440304'",
            "created_by_id": str(actor)})
        sql = f"INSERT INTO persons_person ({columns}) SELECT {values} FROM generate_series(%(from)s, %(to)s - 1) AS i"  # noqa: S608 - the model's columns
        step("persons", sql, {"from": have, "to": N_PERSONS_SCALE})
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM places_place")
        first_place = cursor.fetchone()[0]
        cursor.execute("SELECT min(id), max(id) FROM persons_person WHERE citizen_id_hash LIKE 'benchscale%%'")
        first_person, last_person = cursor.fetchone()
        # the scan table as a bulk load: no indexes, no constraints but the primary key's, unlogged
        cursor.execute("""SELECT conname FROM pg_constraint WHERE conrelid = 'places_scan'::regclass
                          AND contype IN ('f', 'u')""")
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE places_scan DROP CONSTRAINT "{name}"')
        cursor.execute("""SELECT indexname FROM pg_indexes WHERE tablename = 'places_scan'
                          AND indexname NOT LIKE '%%pkey'""")
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("ALTER TABLE places_scan SET UNLOGGED")
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=days)
    for day in range(days):
        step(f"scans, day {day + 1}/{days}", """
            INSERT INTO places_scan (place_id, region_id, person_id, scanned_at, created_at)
            SELECT p.id, p.region_id, s.person, s.at, now() FROM (
              SELECT %(first_place)s + floor(%(n)s * random() ^ 2)::bigint AS place,
                     %(first_person)s + floor(%(persons)s * random())::bigint AS person,
                     %(day)s::timestamptz + make_interval(mins => floor(random() * 1440)::int) AS at
              FROM generate_series(1, %(per_day)s)) s
            JOIN places_place p ON p.id = s.place""",
             {"first_place": first_place, "n": n_places, "first_person": first_person,
              "persons": last_person - first_person + 1, "day": start + dt.timedelta(days=day),
              "per_day": per_day})
    step("the case's visits", """
        INSERT INTO places_scan (place_id, region_id, person_id, scanned_at, created_at)
        SELECT p.id, p.region_id, %(case)s, %(start)s::timestamptz + make_interval(hours => 9 + 4 * k, days => d), now()
        FROM generate_series(0, %(days)s - 1) AS d, generate_series(0, 2) AS k
        JOIN LATERAL (SELECT id, region_id FROM places_place WHERE id = %(first_place)s + (d * 7 + k * 61) %% 200) p
          ON true""", {"case": first_person, "start": start, "days": days, "first_place": first_place})
    step("index scan_place_time", "CREATE INDEX scan_place_time ON places_scan (place_id, scanned_at)")
    step("index scan_person_time", "CREATE INDEX scan_person_time ON places_scan (person_id, scanned_at)")
    step("analyze", "ANALYZE places_place; ANALYZE places_scan; ANALYZE places_rectification; "
                    "ANALYZE persons_person")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database())), "
                       "pg_size_pretty(pg_total_relation_size('places_scan'))")
        print("database {}, scan table with its indexes {}".format(*cursor.fetchone()), flush=True)


def main() -> None:
    from django.db.models import Count

    from fangkong.accounts.models import User
    from fangkong.places.models import Scan

    if "--scale" in sys.argv:
        return main_scale()
    build()
    client = Client()
    busiest = Scan.objects.values("person_id").annotate(n=Count("id")).order_by("-n").first()
    for user, label in (("bench_province", "province"), ("bench_sz_epi", "Shenzhen epi")):
        client.force_login(User.objects.get(username=user))
        for name, path in (("coverage page", "/places/coverage/"), ("coverage API", "/api/v1/places-coverage/"),
                           ("coverage page, schools", "/places/coverage/?category=school"),
                           ("overdue list", "/places/?overdue=1"),
                           ("co-visit API, busiest person", f"/api/v1/places-co-visits/?person={busiest['person_id']}")):
            p50, p95, response = percentiles(client, path, N)
            extra = f"{len(response.json()['results'])} co-visitors, {busiest['n']} own scans" if "co-visit" in name else ""
            print(f"{label:13s} {name:30s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {extra}", flush=True)


def main_scale() -> None:
    """``--scale PLACES SCANS_PER_DAY DAYS [--build-only] [--gc-freeze]``: build (``build_scale``) and measure the coverage
    page and API, the overdue list, and the co-visit search for the case (its 42 visits at busy places): the
    selector alone, the API's and the page's first and second pages (50 co-visitors a page). ``--gc-freeze``:
    after a warm-up, ``gc.freeze()`` (what a pre-forking server does after loading the app) — the tail of the
    in-process timings is otherwise the collector's full passes over the process's ~200,000 objects."""
    from django.db import connection

    from fangkong.accounts.models import User
    from fangkong.places.selectors import co_visitors

    at = sys.argv.index("--scale")
    n_places, per_day, days = (int(v) for v in sys.argv[at + 1:at + 4])
    build_scale(n_places, per_day, days)
    if "--build-only" in sys.argv:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM persons_person WHERE citizen_id_hash LIKE 'benchscale%%'")
        case_person = cursor.fetchone()[0]
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'places_scan'")
        print(f"scans (estimate): {cursor.fetchone()[0]:,}; load average {os.getloadavg()}", flush=True)
    from bench_cases import timed

    from fangkong.places.models import CoverageTally
    from fangkong.places.tally import rebuild

    if not CoverageTally.objects.exists():  # a database built before the tally (its migration fills it too)
        print(f"coverage tally rebuilt: {rebuild():,} rows", flush=True)
    client = Client()
    if "--gc-freeze" in sys.argv:  # the heap so far (Django, the apps) out of the collector's full passes
        import gc

        for user in ("bench_province", "bench_sz_epi"):  # the pages' code imported and warmed first
            client.force_login(User.objects.get(username=user))
            client.get("/places/coverage/")
            client.get(f"/places/co-visits/?person={case_person}")
        gc.collect()
        gc.freeze()
        print(f"gc.freeze(): {gc.get_freeze_count():,} objects", flush=True)
    for user, label in (("bench_province", "province"), ("bench_sz_epi", "Shenzhen epi")):
        actor = User.objects.get(username=user)
        client.force_login(actor)
        found = co_visitors(user=actor, person_id=case_person)
        p50, p95 = timed(lambda actor=actor: co_visitors(user=actor, person_id=case_person), N)
        print(f"{label:13s} {'co-visit search (selector)':30s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
              f"{len(found)} co-visitors  load {os.getloadavg()[0]:.1f}", flush=True)
        api = f"/api/v1/places-co-visits/?person={case_person}"
        second = client.get(api).json()["next"].split("cursor=", 1)[1].split("&", 1)[0]
        for name, path in (("coverage page", "/places/coverage/"), ("coverage API", "/api/v1/places-coverage/"),
                           ("coverage page, schools", "/places/coverage/?category=school"),
                           ("overdue list", "/places/?overdue=1"),
                           ("co-visit API, first page", api),
                           ("co-visit API, second page", f"{api}&cursor={second}"),
                           ("co-visit page, first page", f"/places/co-visits/?person={case_person}"),
                           ("co-visit page, second page", f"/places/co-visits/?person={case_person}&cursor={second}")):
            p50, p95, _response = percentiles(client, path, N)
            extra = f"{len(found)} co-visitors" if "co-visit" in name else ""
            print(f"{label:13s} {name:30s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {extra}  load {os.getloadavg()[0]:.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
