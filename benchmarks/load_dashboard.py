"""Load test of the province dashboard: concurrent signed-in users against a real server (issue 8).

    # a production server on the benchmark database (see bench_dashboard.py for the set-up), shared cache:
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_dashboard
    export FANGKONG_CACHE_URL=redis://127.0.0.1:6379/1
    export FANGKONG_DEMO=1  # a benchmark, not a deployment: development keys and plain HTTP accepted
    .venv/bin/fangkong serve 127.0.0.1:8790 --workers 4 &
    .venv/bin/python benchmarks/load_dashboard.py http://127.0.0.1:8790 --users 20 --seconds 60 --date 2022-02-16 \\
        [--write-every 5 --writers 2]

Each of ``--users`` threads signs in as ``--username`` (the benchmark's provincial commander) and then
requests the province dashboard page (``/dashboard/440000/?date=``) in a loop for ``--seconds``, with no
think time; the answer times (whole body read) give p50, p95, p99 and the throughput. Standard library
only for the users (no locust in the environment); the figures are the client's view, network stack
included.

With ``--write-every S`` (needs the server's ``DATABASE_URL`` and ``FANGKONG_CACHE_URL``), ``--writers``
threads in this process change the data through the services every ``S`` seconds each, alternately a
Shenzhen contact's status on the day (contacts in quarantine, the daily tracing summary) and the
classification of a case reported on the day (the day's new infections): each write bumps the data
generation on commit, so the next request of every user misses the cache and the figures are recomputed
under load. Afterwards the script checks (a) that the summary rows of every key written equal the rows
recomputed from the contacts and cases (concurrent writers included) and (b) that the server's figures
(the situation API) equal the figures computed afresh from the database.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import numpy as np

COMPUTED_AT = re.compile(rb'"computed_at": "([^"]+)"')


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


class Writer:
    """Writes through the services every ``interval`` seconds until ``deadline``; remembers what it touched."""

    def __init__(self, day: str, interval: float, deadline: float, index: int):
        import datetime as dt

        from fangkong.accounts.models import User
        from fangkong.cases.models import Case, Contact

        self.day = dt.date.fromisoformat(day)
        self.interval, self.deadline = interval, deadline
        self.actor = User.objects.get(username="bench_province")
        contacts = Contact.objects.filter(region__code__startswith="4403", listed_date=self.day,
                                          status__in=("quarantined", "released")).order_by("pk")
        self.contact_ids = list(contacts.values_list("pk", flat=True)[index * 50:(index + 1) * 50])
        cases = Case.objects.filter(report_date=self.day, classification__in=("confirmed", "asymptomatic"))
        self.case_ids = list(cases.order_by("pk").values_list("pk", flat=True)[index * 50:(index + 1) * 50])
        self.keys: set = set()
        self.writes = 0
        self.times: list[float] = []

    def write_once(self) -> None:
        from fangkong.cases.models import Case, Contact
        from fangkong.cases.services import case_reclassify, contact_update

        start = time.perf_counter()
        if self.writes % 2 == 0:
            contact = Contact.objects.select_related("protocol").get(pk=self.contact_ids[self.writes % len(self.contact_ids)])
            status = "released" if contact.status == "quarantined" else "quarantined"
            contact_update(actor=self.actor, contact=contact, expected_version=contact.version,
                           changes={"status": status})
            self.keys.add((contact.region_id, contact.listed_date))
        else:
            case = Case.objects.get(pk=self.case_ids[self.writes % len(self.case_ids)])
            to = "asymptomatic" if case.classification == "confirmed" else "confirmed"
            case_reclassify(actor=self.actor, case=case, classification=to, expected_version=case.version)
            self.keys.add((case.report_region_id, case.report_date))
        self.times.append(time.perf_counter() - start)
        self.writes += 1

    def run(self) -> None:
        from django.db import connection

        next_at = time.monotonic() + self.interval
        while next_at < self.deadline:
            time.sleep(max(0.0, next_at - time.monotonic()))
            self.write_once()
            next_at += self.interval
        connection.close()


def check_after(base: str, opener, path: str, day: str, writers: list[Writer]) -> None:
    """The summary rows of the written keys equal a recomputation; the server's figures equal fresh ones."""
    import datetime as dt

    from django.db import transaction

    from fangkong.accounts.models import User
    from fangkong.cases.models import DailyTracing
    from fangkong.cases.summaries import tracing_summary_refresh
    from fangkong.dashboard.selectors import situation
    from fangkong.regions.models import Region

    keys = set().union(*(w.keys for w in writers))
    fields = [f.name for f in DailyTracing._meta.concrete_fields if f.name not in ("id",)]

    def rows():
        found = set()
        for code, d in keys:
            found |= set(DailyTracing.objects.filter(region_id=code, day=d).values_list(*fields))
        return found

    stored = rows()
    with transaction.atomic():
        tracing_summary_refresh(keys)
        recomputed = rows()
        transaction.set_rollback(True)
    print(f"summary of the {len(keys)} keys written: {'equal to' if stored == recomputed else 'DIFFERENT from'} "
          f"the rows recomputed from the contacts and cases")
    code = path.rstrip("/").rsplit("/", 1)[-1]
    served = json.loads(opener.open(f"{base}/api/v1/dashboard/{code}/?date={day}").read())  # noqa: S310
    fresh = situation(user=User.objects.get(username="bench_province"), region=Region.objects.get(code=code),
                      day=dt.date.fromisoformat(day), fresh=True)
    same = all(served[k] == fresh[k] for k in ("new", "cumulative", "tracing"))
    same = same and served["outlook"]["contacts_in_quarantine"] == fresh["outlook"]["contacts_in_quarantine"]
    print(f"server's figures after the last write: {'equal to' if same else 'DIFFERENT from'} the figures "
          f"computed afresh (new {served['new_total']}, in quarantine {served['outlook']['contacts_in_quarantine']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--date", default="")
    parser.add_argument("--username", default="bench_province")
    parser.add_argument("--password", default="correct-horse-battery-9")
    parser.add_argument("--path", default="/dashboard/440000/")
    parser.add_argument("--write-every", type=float, default=0, help="seconds between writes of each writer")
    parser.add_argument("--writers", type=int, default=1)
    args = parser.parse_args()
    path = args.path + (f"?date={args.date}" if args.date else "")
    openers = [signed_in_opener(args.base, args.username, args.password) for _ in range(args.users)]
    for opener in openers:  # every user has seen the page once (sign-in and first page not timed)
        opener.open(f"{args.base}{path}").read()  # noqa: S310
    times: list[float] = []
    errors: list[str] = []
    computed_at: set[str] = set()  # distinct "computed at" stamps seen: at least that many computations
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds
    writers: list[Writer] = []
    if args.write_every:
        if not os.environ.get("FANGKONG_CACHE_URL"):
            sys.exit("--write-every needs the server's FANGKONG_CACHE_URL (and DATABASE_URL)")
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
        import django

        django.setup()
        writers = [Writer(args.date, args.write_every, deadline, i) for i in range(args.writers)]

    def user(opener):
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                with opener.open(f"{args.base}{path}") as response:  # noqa: S310
                    body = response.read()
                    ok = response.status == 200 and "/accounts/login" not in response.url
                stamp = COMPUTED_AT.search(body)
                if stamp:
                    computed_at.add(stamp.group(1).decode())
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

    started = time.monotonic()
    threads = [threading.Thread(target=user, args=(o,)) for o in openers]
    threads += [threading.Thread(target=w.run) for w in writers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    ms = np.array(times) * 1000
    print(f"{args.users} users, {args.seconds:.0f} s, {path}: {ms.size} answers ({ms.size / elapsed:.1f}/s), "
          f"{len(errors)} errors; p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, "
          f"p99 {np.percentile(ms, 99):.0f} ms, max {ms.max():.0f} ms; load average {os.getloadavg()[0]:.2f}")
    for message, n in Counter(errors).most_common(3):
        print(f"  {n} x {message}")
    print(f"figures computed at {len(computed_at)} distinct times during the run (cache misses served)")
    if writers:
        write_ms = np.array([t for w in writers for t in w.times]) * 1000
        print(f"{sum(w.writes for w in writers)} writes by {len(writers)} writers (one every {args.write_every:g} s "
              f"each): p50 {np.percentile(write_ms, 50):.0f} ms, max {write_ms.max():.0f} ms")
        check_after(args.base, openers[0], args.path, args.date, writers)


if __name__ == "__main__":
    main()
