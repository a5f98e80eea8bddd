"""Benchmark: the server's peak memory for each crafted upload of issue 14 (``fangkong.table_files``).

    .venv/bin/python benchmarks/bench_table_files.py [--keep DIR]

A fresh installation (SQLite, the region tree, a Futian epidemiologist and an analyst, one sentinel site)
is served by ``fangkong serve`` — a real server process — once per upload, and the upload is sent to it
as a client would, streamed from a file. For each, the server's resident memory is read from
``/proc/<pid>/status``: ``VmRSS`` after a warm-up request (the baseline) and ``VmHWM`` (its peak) after
the answer; printed with the status and the time of the answer. The uploads:

- the 17 KB XLSX declaring ``A1:XFD3000`` (``crafted_files.wide_dimension_xlsx``), to the sentinel-report
  import (API) and to the import-job API (cases/contacts; the job reads it in the server's process);
- the 5 MB CSV of a million rows, as the epidemiologist (refused at the row cap, 250,000) and as the
  analyst (refused before the file is read);
- the 50 MB CSV, to the report import (refused by its size, 16 MB, before it is read) and to the
  import-job API (under that import's 200 MB cap: stored, then read by the job, refused for its columns).

The bounds stated in ``docs/benchmarks.md`` are checked here too: a line says "OVER THE BOUND" when the
peak exceeds the baseline by more than ``BOUND_MB`` of its endpoint.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
#: The stated bounds: the server's peak above its warmed-up resident memory, per crafted upload. The import
#: job keeps its file (stored with the job, read back) and reads up to 1,048,575 rows before refusing.
BOUND_MB = {"/api/v1/surveillance/reports/import/": 100, "/api/v1/import-jobs/": 350}


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def fangkong(home: Path, *args: str) -> None:
    env = {**os.environ, "FANGKONG_HOME": str(home)}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "fangkong.cli", *args], cwd=home, env=env, check=True, capture_output=True,
                   text=True, timeout=600)


def install(home: Path) -> None:
    from fangkong.testing.server import PASSWORD  # the one ``signed_in`` signs in with

    fangkong(home, "migrate")
    fangkong(home, "load_regions")
    fangkong(home, "createuser", "bench_epi", "--region", "440304", "--role", "epidemiologist", "--password", PASSWORD)
    fangkong(home, "createuser", "bench_analyst", "--region", "440000", "--role", "analyst", "--password", PASSWORD)
    fangkong(home, "shell", "-c", "from fangkong.surveillance.services import indicators_ensure; "
                                  "from fangkong.surveillance.models import SentinelSite; i = indicators_ensure(); "
                                  "s = SentinelSite.objects.create(code='FT1', name='福田哨点', kind='fever_clinic', "
                                  "region_id='440304'); s.indicators.set([i['fever_clinic_visits']])")


def multipart(path: Path, fields: dict[str, str], boundary: str = "fangkong-bench-boundary"):
    """A streamed multipart body: (length, iterator of chunks) reading the file from disk."""
    head = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                    for k, v in fields.items())
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
             f"Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def chunks():
        yield head
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                yield block
        yield tail

    return len(head) + path.stat().st_size + len(tail), chunks(), f"multipart/form-data; boundary={boundary}"


def measure(home: Path, upload: Path, url_path: str, username: str, fields: dict[str, str]) -> str:
    from fangkong.api.tests.test_fuzz import signed_in
    from fangkong.testing.server import free_port

    env = {**os.environ, "FANGKONG_HOME": str(home), "FANGKONG_DEMO": "1"}  # development keys: a benchmark
    env.pop("DATABASE_URL", None)
    port = free_port()
    log = (home / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "fangkong.cli", "serve", f"127.0.0.1:{port}"], cwd=home, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2).read()  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.3)
        opener, headers = signed_in(url, username)
        opener.open(urllib.request.Request(f"{url}/api/v1/me/", headers=headers), timeout=60).read()  # noqa: S310
        baseline = status_kb(server.pid, "VmRSS")
        length, body, content_type = multipart(upload, fields)
        request = urllib.request.Request(f"{url}{url_path}", data=body, method="POST",  # noqa: S310
                                         headers={**headers, "Content-Type": content_type,
                                                  "Content-Length": str(length)})
        start = time.perf_counter()
        try:
            with opener.open(request, timeout=600) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        elapsed = time.perf_counter() - start
        if url_path == "/api/v1/import-jobs/" and status == 202:  # the job runs in the server's process
            job = __import__("json").loads(text)["id"]
            while True:
                with opener.open(urllib.request.Request(f"{url}/api/v1/import-jobs/{job}/",  # noqa: S310
                                                        headers=headers), timeout=60) as response:
                    body = __import__("json").loads(response.read())
                if body["status"] in ("done", "failed"):
                    text = f"job {body['status']}: {str(body['errors'])[:120]}"
                    break
                time.sleep(0.5)
            elapsed = time.perf_counter() - start
        peak = status_kb(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    above = (peak - baseline) / 1024
    bound = BOUND_MB[url_path]
    verdict = "within the bound" if above <= bound else "OVER THE BOUND"
    return (f"{upload.name} ({upload.stat().st_size / 1024 / 1024:,.1f} MB) → {url_path} as {username}: {status} in "
            f"{elapsed:.1f} s; server RSS {baseline / 1024:,.0f} MB before, peak {peak / 1024:,.0f} MB "
            f"(+{above:,.0f} MB, {verdict} of {bound} MB) — {text[:140]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="a folder for the installation and the files (default: a temporary one)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    import django

    django.setup()
    from fangkong.testing.crafted_files import large_csv, million_row_csv, wide_dimension_xlsx

    home = Path(args.keep or tempfile.mkdtemp(prefix="fangkong-bench-tables-"))
    home.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    install(home)
    files = {"wide.xlsx": wide_dimension_xlsx(), "million.csv": million_row_csv(), "large.csv": large_csv(50)}
    for name, data in files.items():
        (home / name).write_bytes(data)
    print(f"set-up: {time.perf_counter() - t:.0f} s; load average {os.getloadavg()[0]:.1f}", flush=True)
    reports, jobs = "/api/v1/surveillance/reports/import/", "/api/v1/import-jobs/"
    for name, path, user, fields in (
            ("wide.xlsx", reports, "bench_epi", {}),
            ("wide.xlsx", jobs, "bench_epi", {"kind": "contacts"}),
            ("million.csv", reports, "bench_epi", {}),
            ("million.csv", reports, "bench_analyst", {}),
            ("large.csv", reports, "bench_epi", {}),
            ("large.csv", jobs, "bench_epi", {"kind": "contacts"})):
        print(measure(home, home / name, path, user, fields), f"[load {os.getloadavg()[0]:.1f}]", flush=True)


if __name__ == "__main__":
    main()
