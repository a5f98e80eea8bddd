"""Benchmark: key places (issue 18) — the coverage page and API over 100,000 places, and the co-visit search
for one case among a million venue-code scans, on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres test_places_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_places_bench \\
        .venv/bin/python benchmarks/bench_places.py [places, default 100000] [scans, default 1000000]

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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
import django  # noqa: E402

django.setup()
from bench_cases import percentiles  # noqa: E402 (this folder is on the path of a script run from it)
from django.test import Client  # noqa: E402

N_PLACES = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
N_SCANS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
N = 30


def build() -> None:
    from django.core.management import call_command
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
    from fangkong.regions.services import region_tree_load
    from fangkong.testing.builders import make_user

    call_command("migrate", verbosity=0)
    if not Region.objects.exists():
        region_tree_load()
    for name, region, role in (("bench_province", "440000", "provincial_commander"),
                               ("bench_sz_epi", "440300", "epidemiologist")):
        if not User.objects.filter(username=name).exists():
            make_user(name, (region, role))
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


def main() -> None:
    from django.db.models import Count

    from fangkong.accounts.models import User
    from fangkong.places.models import Scan

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


if __name__ == "__main__":
    main()
