"""Benchmark: the command dashboard and the daily report at province scale on PostgreSQL (issue 8).

    createdb -h 127.0.0.1 -U postgres fangkong_bench_dashboard
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_dashboard \\
        .venv/bin/python benchmarks/bench_dashboard.py [--cases 100000] [--contacts 1000000] [--requests 20]

Set-up (not timed): the data of ``benchmarks/bench_cases.py`` (its ``build``: the Guangdong tree,
``--cases`` cases and ``--contacts`` contacts written with COPY, users ``bench_province`` and
``bench_sz_epi``). Timed, sequentially, through the Django test client (no network, one process):
the situation computed afresh (what a cache miss costs), then the province and Shenzhen dashboard pages for
the busiest day (after the first request, from the 60-second cache), the situation API, the big screen's
polled panel, generating the province's report (snapshot + HTML) and rendering its PDF. p50 and p95
over ``--requests`` requests after one warm-up request. Not a load test: no concurrency.
"""

from __future__ import annotations

import argparse
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


def timed(fn, n: int) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    bench_cases = bench_cases_module()
    bench_cases.setup_django()

    from django.core.management import call_command
    from django.test import Client

    from fangkong.accounts.models import User
    from fangkong.bulletins.report import render_pdf
    from fangkong.bulletins.services import bulletin_generate
    from fangkong.bulletins.views import _document
    from fangkong.cases.models import Case
    from fangkong.dashboard.selectors import busiest_day
    from fangkong.regions.models import Region

    t = time.perf_counter()
    bench_cases.build(args.cases, args.contacts)
    call_command("migrate", verbosity=0)
    print(f"set-up: {time.perf_counter() - t:.0f} s; {Case.objects.count():,} cases", flush=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    province_user = User.objects.get(username="bench_province")
    day = busiest_day(user=province_user, region=Region.objects.get(code="440000"))
    print(f"busiest day: {day}")
    from fangkong.dashboard.selectors import situation

    for username, code in (("bench_province", "440000"), ("bench_sz_epi", "440300")):
        user, region = User.objects.get(username=username), Region.objects.get(code=code)
        p50, p95 = timed(lambda user=user, region=region: situation(user=user, region=region, day=day, fresh=True), 5)
        print(f"{username:15s} situation computed afresh (cache miss)  p50 {p50:7.1f} ms   p95 {p95:7.1f} ms",
              flush=True)
    client = Client()
    for username, code in (("bench_province", "440000"), ("bench_sz_epi", "440300")):
        client.force_login(User.objects.get(username=username))
        for name, path in (("dashboard page", f"/dashboard/{code}/?date={day}"),
                           ("situation API", f"/api/v1/dashboard/{code}/?date={day}"),
                           ("big-screen panel", f"/dashboard/{code}/screen/panel/?date={day}"),
                           ("map geo.json", f"/dashboard/{code}/geo.json")):
            def get(path=path):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
            p50, p95 = timed(get, args.requests)
            print(f"{username:15s} {name:18s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms", flush=True)
    bulletins = []
    p50, p95 = timed(lambda: bulletins.append(bulletin_generate(actor=province_user, region_code="440000", day=day,
                                                                language="zh-hans")), 5)
    print(f"generate the province report (snapshot + HTML): p50 {p50:.0f} ms   p95 {p95:.0f} ms")
    p50, p95 = timed(lambda: render_pdf(_document(bulletins[-1], for_browser=False)), 5)
    print(f"render its PDF: p50 {p50:.0f} ms   p95 {p95:.0f} ms")


if __name__ == "__main__":
    main()
