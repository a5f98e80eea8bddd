"""Load test of the province dashboard: concurrent signed-in users against a real server (issue 8).

    # a server on the benchmark database (see bench_dashboard.py for the set-up):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_dashboard .venv/bin/fangkong serve 127.0.0.1:8790
    .venv/bin/python benchmarks/load_dashboard.py http://127.0.0.1:8790 --users 20 --seconds 60 --date 2022-02-16

Each of ``--users`` threads signs in as ``--username`` (the benchmark's provincial commander) and then
requests the province dashboard page (``/dashboard/440000/?date=``) in a loop for ``--seconds``, with no
think time; the answer times (whole body read) give p50, p95 and p99, and the throughput. Standard library
only (no locust in the environment); the figures are those of the client's view, network stack included.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter

import numpy as np


def signed_in_opener(base: str, username: str, password: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()  # noqa: S310 (loopback only)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(f"{base}/accounts/login/", data=data,  # noqa: S310 (loopback only)
                                     headers={"Referer": f"{base}/accounts/login/"})
    opener.open(request).read()  # noqa: S310
    return opener


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--date", default="")
    parser.add_argument("--username", default="bench_province")
    parser.add_argument("--password", default="correct-horse-battery-9")
    parser.add_argument("--path", default="/dashboard/440000/")
    args = parser.parse_args()
    path = args.path + (f"?date={args.date}" if args.date else "")
    openers = [signed_in_opener(args.base, args.username, args.password) for _ in range(args.users)]
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds

    def user(opener):
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                with opener.open(f"{args.base}{path}") as response:  # noqa: S310
                    response.read()
                    ok = response.status == 200 and "/accounts/login" not in response.url
            except OSError as exc:
                ok = False
                with lock:
                    errors.append(str(exc))
            elapsed = time.perf_counter() - start
            with lock:
                if ok:
                    times.append(elapsed)
                else:
                    errors.append("not 200")

    threads = [threading.Thread(target=user, args=(o,)) for o in openers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ms = np.array(times) * 1000
    print(f"{args.users} users, {args.seconds:.0f} s, {path}: {ms.size} answers ({ms.size / args.seconds:.1f}/s), "
          f"{len(errors)} errors; p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, "
          f"p99 {np.percentile(ms, 99):.0f} ms")
    for message, n in Counter(errors).most_common(3):
        print(f"  {n} x {message}")


if __name__ == "__main__":
    main()
