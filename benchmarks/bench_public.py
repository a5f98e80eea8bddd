"""Benchmark of the public site (issue 23): publishing a day's content, and verified serving against the same
server with verification off.

    .venv/bin/python benchmarks/bench_public.py [--areas 300] [--notices 30] [--seconds 20] [--clients 8]
        [--workers 1 --threads 8]

1. A fresh SQLite installation in a temporary folder (migrate, the region tree), a day's content: the
   province's daily report and each city's (Chinese and English, drafted, reviewed, approved), ``--areas``
   risk areas in force, ``--notices`` approved notices. Then ``publication_prepare`` + ``publication_publish``
   timed (target: under 5 s), twice, the second edition checked byte-identical.
2. ``fangkong serve --workers W --threads T`` (gunicorn) on that installation, twice: verification on, then
   off (``FANGKONG_PUBLIC_VERIFY=0``); ``--clients`` threads each with a keep-alive connection request the
   Chinese home page and the reports page in turn for ``--seconds``: requests/s, p50/p95, and the ratio.
   Standard library client (the figures include the client's own cost on the same machine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path


def setup_django(home: Path) -> None:
    os.environ["FANGKONG_HOME"] = str(home)
    os.environ["FANGKONG_DEMO"] = "1"
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    import django

    (home / "var").mkdir(parents=True, exist_ok=True)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from fangkong.regions.services import region_tree_load

    region_tree_load()


def content(areas: int, notices: int):
    from fangkong.accounts.roles import Role
    from fangkong.bulletins import services as bulletins
    from fangkong.cases.models import RiskArea
    from fangkong.public import services
    from fangkong.public.demo import key_ensure
    from fangkong.regions.models import Region
    from fangkong.testing.builders import make_user

    key_ensure()
    epi = make_user("bench_epi", ("440000", Role.EPIDEMIOLOGIST))
    chief = make_user("bench_chief", ("440000", Role.PROVINCIAL_COMMANDER))
    deputy = make_user("bench_deputy", ("440000", Role.PROVINCIAL_COMMANDER))
    day = dt.date(2022, 3, 17)
    cities = list(Region.objects.filter(level=Region.Level.PREFECTURE).values_list("code", flat=True))
    for code in ["440000", *cities]:
        for language in ("zh-hans", "en"):
            b = bulletins.bulletin_generate(actor=epi, region_code=code, day=day, language=language)
            bulletins.bulletin_approve(actor=chief, bulletin=bulletins.bulletin_review(actor=chief, bulletin=b))
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", flat=True))
    RiskArea.objects.bulk_create([RiskArea(region_id=counties[i % len(counties)], kind=RiskArea.Kind.COMPOUND,
                                           area_name=f"第{i}小区", address=f"某路{i}号", designated_from=day,
                                           level=(RiskArea.Level.HIGH, RiskArea.Level.MEDIUM)[i % 2])
                                  for i in range(areas)])
    for i in range(notices):
        n = services.notice_create(actor=epi, region="440000", title_zh=f"通告第{i}号", title_en=f"Notice {i}",
                                   body_zh="请广大市民坚持戴口罩、勤洗手。\n" * 5, body_en="Please wear masks.\n" * 5)
        services.notice_approve(actor=chief, notice=n)
    return chief, deputy, day, len(cities) + 1


def publish_once(chief, deputy, day) -> tuple[float, str, int]:
    from fangkong.public import services

    started = time.perf_counter()
    publication = services.publication_prepare(actor=chief, day=day)
    publication = services.publication_publish(actor=deputy, publication=publication)
    return time.perf_counter() - started, publication.manifest_sha256, publication.file_count


def tree(base: Path) -> dict[str, bytes]:
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def load(port: int, seconds: float, clients: int) -> tuple[float, list[float], int]:
    paths = ["/public/", "/public/bulletins.html"]
    times: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad, i = [], 0, 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                conn.request("GET", paths[i % 2])
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - started)
            i += 1
        with lock:
            times.extend(mine)
            failures[0] += bad

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(times) / (time.perf_counter() - began), times, failures[0]


def serve_and_load(home: Path, *, verify: bool, args) -> tuple[float, list[float], int]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "FANGKONG_HOME": str(home), "FANGKONG_DEMO": "1", "FANGKONG_PUBLIC_VERIFY": "1" if verify else "0"}
    log = (home / f"server-{verify}.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "fangkong.cli", "serve", f"127.0.0.1:{port}", "--workers",
                               str(args.workers), "--threads", str(args.threads)], cwd=home, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/public/", timeout=2) as r:  # noqa: S310
                    assert r.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((home / f"server-{verify}.log").read_text()) from None
                time.sleep(0.3)
        load(port, 2, args.clients)  # warm-up
        return load(port, args.seconds, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--areas", type=int, default=300)
    parser.add_argument("--notices", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="fangkong-bench-public-"))
    setup_django(home)
    chief, deputy, day, reports = content(args.areas, args.notices)
    first, manifest_1, files = publish_once(chief, deputy, day)
    from fangkong.public import conf

    files_1 = tree(conf.site_dir())
    second, manifest_2, _ = publish_once(deputy, chief, day)
    identical = manifest_1 == manifest_2 and tree(conf.site_dir()) == files_1
    print(f"publish a day's content ({reports} reports x 2 languages, {args.areas} risk areas, {args.notices} "
          f"notices; {files} files, {sum(len(b) for b in files_1.values()) / 1e6:.2f} MB): "
          f"{first:.2f} s, again {second:.2f} s; identical files and manifest: {identical}")
    results = {}
    for verify in (True, False):
        rps, times, failures = serve_and_load(home, verify=verify, args=args)
        times.sort()
        results[verify] = rps
        print(f"verification {'on ' if verify else 'off'}: {rps:7.1f} requests/s, p50 {statistics.median(times) * 1000:.1f} ms, "
              f"p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms, {len(times)} requests, {failures} failed "
              f"({args.clients} clients, gunicorn {args.workers} workers x {args.threads} threads, {args.seconds:.0f} s)")
    print(f"ratio on/off: {results[True] / results[False]:.2f}")
    print(f"(machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end; home {home})")


if __name__ == "__main__":
    main()
