"""Benchmark of the public site (issue 23): publishing a day's content, and verified serving against the same
server with verification off, measured with a load tool (``wrk``: ``apt-get install -y wrk``).

    .venv/bin/python benchmarks/bench_public.py [--areas 300] [--notices 30] [--sites 200] [--seconds 20]
        [--connections 32] [--wrk-threads 2] [--workers 2] [--threads 4]

1. A fresh SQLite installation in a temporary folder (migrate, the region tree), a day's content: the
   province's daily report and each city's (Chinese and English, drafted, reviewed, approved), ``--areas``
   risk areas in force, ``--notices`` approved notices, ``--sites`` approved testing sites. Then
   ``publication_prepare`` + ``publication_publish`` timed (target: under 5 s), twice, the second edition's
   files and manifest checked byte-identical (only the edition record, which says it is edition 2, differs).
2. gunicorn (``--workers`` x ``--threads``) on that installation, in two configurations — the platform's own
   server (``fangkong.settings``: every middleware of the platform) and a public host
   (``fangkong.public.host_settings``: only the public site, three middlewares) — each with verification on,
   then off (``FANGKONG_PUBLIC_VERIFY=0``). ``wrk`` requests the Chinese home page and the reports page in
   turn (keep-alive, ``--connections``) for ``--seconds`` after a warm-up: requests/s, latency p50/p99,
   non-2xx answers, and the ratio on/off. wrk runs on the same machine and takes its share of the cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
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


def content(areas: int, notices: int, sites: int = 0):
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
    for i in range(sites):
        t = services.testing_site_create(actor=epi, region=counties[i % len(counties)], name_zh=f"第{i}核酸采样点",
                                         name_en=f"Testing site {i}", address_zh=f"某路{i}号", address_en=f"{i} Road",
                                         weekdays=[1, 2, 3, 4, 5, 6, 7][: 5 + i % 3], opens_at=dt.time(8),
                                         closes_at=dt.time(20), services=["nucleic_acid"])
        services.testing_site_approve(actor=chief, site=t)
    return chief, deputy, day, len(cities) + 1


def publish_once(chief, deputy, day) -> tuple[float, str, int]:
    from fangkong.public import services

    started = time.perf_counter()
    publication = services.publication_prepare(actor=chief, day=day)
    publication = services.publication_publish(actor=deputy, publication=publication)
    return time.perf_counter() - started, publication.manifest_sha256, publication.file_count


def tree(base: Path) -> dict[str, bytes]:
    """The files of an edition, without its edition record (which publication: number and time)."""
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*"))
            if p.is_file() and p.name not in ("edition.json", "edition.sig")}


WRK_SCRIPT = """
local paths = {"/public/", "/public/bulletins.html"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % 2) + 1])
end
"""


def wrk(port: int, seconds: float, args, home: Path) -> dict:
    """One wrk run: requests/s, latency percentiles (ms), non-2xx answers, socket errors."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    script = home / "alternate.lua"
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", f"{seconds:.0f}s",
                          "--latency", "-s", str(script), f"http://127.0.0.1:{port}"],
                         capture_output=True, text=True, check=True).stdout

    def ms(text: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    found = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
             "requests": int(re.search(r"(\d+) requests in", out).group(1)),
             "non2xx": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0,
             "errors": (m.group(0) if (m := re.search(r"Socket errors:.*", out)) else "")}
    for pct in ("50", "90", "99"):
        found[f"p{pct}"] = ms(re.search(rf"\s{pct}%\s+(\S+)", out).group(1))
    return found


def serve_and_load(home: Path, *, verify: bool, settings_module: str, args) -> dict:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "FANGKONG_HOME": str(home), "FANGKONG_DEMO": "1",
           "FANGKONG_PUBLIC_VERIFY": "1" if verify else "0", "DJANGO_SETTINGS_MODULE": settings_module}
    name = f"server-{settings_module.rsplit('.', 1)[-1]}-{'on' if verify else 'off'}.log"
    log = (home / name).open("w")
    # gunicorn as ``fangkong serve --workers`` starts it (run directly: the public site keeps no cached figures,
    # so several workers need no shared cache here)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "fangkong.wsgi:application", "--bind",
                               f"127.0.0.1:{port}", "--workers", str(args.workers), "--threads", str(args.threads)],
                              cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/public/", timeout=2) as r:  # noqa: S310
                    assert r.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((home / name).read_text()) from None
                time.sleep(0.3)
        wrk(port, 3, args, home)  # warm-up: every worker has read and checked the files once
        return wrk(port, args.seconds, args, home)
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--areas", type=int, default=300)
    parser.add_argument("--notices", type=int, default=30)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="fangkong-bench-public-"))
    setup_django(home)
    chief, deputy, day, reports = content(args.areas, args.notices, args.sites)
    first, manifest_1, files = publish_once(chief, deputy, day)
    from fangkong.public import conf

    files_1 = tree(conf.site_dir())
    second, manifest_2, _ = publish_once(deputy, chief, day)
    identical = manifest_1 == manifest_2 and tree(conf.site_dir()) == files_1
    print(f"publish a day's content ({reports} reports x 2 languages, {args.areas} risk areas, {args.notices} "
          f"notices, {args.sites} testing sites; {files} files, {sum(len(b) for b in files_1.values()) / 1e6:.2f} MB): "
          f"{first:.2f} s, again {second:.2f} s; identical files and manifest: {identical}")
    print(f"(machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before serving)")
    results = {}
    for settings_module in ("fangkong.settings", "fangkong.public.host_settings"):
        for verify in (True, False):
            r = serve_and_load(home, verify=verify, settings_module=settings_module, args=args)
            results[settings_module, verify] = r["rps"]
            print(f"{settings_module:<31} verification {'on ' if verify else 'off'}: {r['rps']:7.1f} requests/s, "
                  f"p50 {r['p50']:.1f} ms, p90 {r['p90']:.1f} ms, p99 {r['p99']:.1f} ms, {r['requests']} requests, "
                  f"{r['non2xx']} not 2xx {r['errors']} (wrk {args.wrk_threads} threads x {args.connections} "
                  f"connections, {args.seconds:.0f} s; gunicorn {args.workers} workers x {args.threads} threads); "
                  f"load average {os.getloadavg()[0]:.1f}")
        print(f"{settings_module}: ratio on/off {results[settings_module, True] / results[settings_module, False]:.2f}")
    print(f"(machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end; home {home})")


if __name__ == "__main__":
    main()
