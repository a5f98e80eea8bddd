"""Benchmark: FHIR case reports by the thousand on PostgreSQL (issue 24) — 100,000 exported, 10,000 imported.

    createdb -h 127.0.0.1 -U postgres fangkong_bench_interop
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_interop \\
        .venv/bin/python benchmarks/bench_interop.py [--export 100000] [--import 10000] [--naive 2000]

Set-up (not timed): the region tree, a provincial epidemiologist; ``--export`` cases of new persons registered
through ``cases_import`` (real sealed citizen IDs, so that an export to a destination entitled to identifiers
decrypts each one), and ``--import`` more reported on a later day; an FHIR destination entitled to identifiers
(the costlier export: the name, birth date and decrypted citizen ID in every Bundle).

Timed, through the code the application uses (``fangkong.interop.fhir_bulk``):

1. ``case_reports_export`` of the province's ``--export`` cases as NDJSON, written to a file (rights checked,
   one audit event, every case read by name, each Bundle built and validated); then the same cases with every
   Bundle validated by the library in full (``fhir.resources``' ``Bundle.model_validate``: the naive way) for
   ``--naive`` of them, extrapolated, for the ratio;
2. the ``--import`` later cases exported, then removed with their persons (the instance without them), then
   ``bundles_import`` of that file (every line read and validated, the cases and persons registered through
   the case import, the Bundles recorded once); then the same file again (nothing new: the Bundles are known).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_cases import case_import_rows, setup_django  # noqa: E402 (after the path)

LATER = dt.datetime(2022, 4, 20, 8)


def load() -> str:
    with open("/proc/loadavg") as handle:
        return handle.read().split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", type=int, default=100_000)
    parser.add_argument("--import", dest="imported", type=int, default=10_000)
    parser.add_argument("--naive", type=int, default=2_000, help="Bundles validated in full for the ratio")
    args = parser.parse_args()
    setup_django()
    import json

    from django.core.management import call_command
    from django.db import connection
    from fhir.resources.R4B.bundle import Bundle

    from fangkong.accounts.models import User
    from fangkong.cases.imports import cases_import
    from fangkong.cases.models import Case
    from fangkong.interop import fhir_bulk
    from fangkong.interop.models import Destination, ImportedBundle
    from fangkong.interop.services import destination_create
    from fangkong.persons.models import Person
    from fangkong.regions.services import region_tree_load
    from fangkong.testing.builders import make_user

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    region_tree_load()
    with connection.cursor() as cursor:  # an earlier run's cases and persons
        cursor.execute("TRUNCATE interop_importedbundle, interop_outboundmessage, interop_destination, "
                       "cases_classificationchange, cases_case, persons_person CASCADE")
    epi = User.objects.filter(username="bench_gd_epi").first() or make_user("bench_gd_epi", ("440000", "epidemiologist"))
    admin = User.objects.filter(username="bench_admin").first() or make_user("bench_admin",
                                                                              ("440000", "system_administrator"))
    rows = case_import_rows(args.export + args.imported)
    for row in rows[args.export:]:  # the cases of the import reported on a later day
        row["reported_at"], row["diagnosed_at"] = (LATER.strftime("%Y-%m-%d %H:%M"),
                                                   (LATER - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"))
        row["infector_case_no"] = ""
    cases_import(actor=epi, rows=rows, source="bench-interop")
    destination = destination_create(actor=admin, region="440000", name="国家平台（基准）", kind=Destination.Kind.FHIR,
                                     base_url="https://fhir.example.org/r4", regions=["440000"],
                                     identifiers_entitled=True, reason="基准测试")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_case")
        cursor.execute("VACUUM ANALYZE persons_person")
        cursor.execute("CHECKPOINT")
    print(f"set-up: {time.perf_counter() - t:.0f} s; machine: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}", flush=True)

    def export(first: dt.date, last: dt.date, path: str) -> tuple[int, float]:
        start = time.perf_counter()
        made = fhir_bulk.case_reports_export(actor=epi, destination=destination.pk, region="440000",
                                             reported_from=first, reported_to=last, reason="基准测试：补报病例")
        with open(path, "wb") as handle:
            for line in made.lines:
                handle.write(line)
        return made.count, time.perf_counter() - start

    folder = tempfile.mkdtemp(prefix="bench-interop-")
    exported = os.path.join(folder, "export.ndjson")
    before = load()
    count, seconds = export(dt.date(2022, 4, 1), dt.date(2022, 4, 10), exported)
    size = os.path.getsize(exported)
    print(f"export: {count:,} Bundles ({size / 1e6:.0f} MB) in {seconds:.1f} s = {count / seconds:,.0f}/s "
          f"(load {before} → {load()})", flush=True)
    with open(exported, "rb") as handle:
        sample = [json.loads(next(handle)) for _ in range(min(args.naive, count))]
    start = time.perf_counter()
    for bundle in sample:
        Bundle.model_validate(bundle)
    full = (time.perf_counter() - start) / len(sample)
    print(f"  naive validation (the library in full, each Bundle): {full * 1e3:.2f} ms per Bundle → "
          f"{full * count:.0f} s for {count:,} on validation alone", flush=True)

    later = os.path.join(folder, "import.ndjson")
    count, _seconds = export(LATER.date(), LATER.date(), later)
    persons = list(Case.objects.filter(report_date=LATER.date()).values_list("person_id", flat=True))
    Case.objects.filter(report_date=LATER.date()).delete()  # with what hangs on the cases (the ORM's cascade)
    Person.objects.filter(id__in=persons, cases__isnull=True).delete()  # (a synthetic identity may recur)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_case")
        cursor.execute("VACUUM ANALYZE persons_person")
    with open(later, "rb") as handle:
        data = handle.read()
    for run in ("import", "the same file again"):
        before = load()
        start = time.perf_counter()
        outcome = fhir_bulk.bundles_import(actor=epi, data=data, source="bench-interop.ndjson")
        seconds = time.perf_counter() - start
        print(f"{run}: {count:,} Bundles ({len(data) / 1e6:.0f} MB) in {seconds:.1f} s — created "
              f"{outcome.created:,}, known {outcome.existing:,}, persons created {outcome.persons_created:,} "
              f"(load {before} → {load()})", flush=True)
    assert ImportedBundle.objects.count() == count
    for path in (exported, later):
        os.unlink(path)
    os.rmdir(folder)


if __name__ == "__main__":
    main()
