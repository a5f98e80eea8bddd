"""Benchmark: the case and contact line lists with keyset paging (issue 6), on the database that
``bench_cases.py`` builds (100,000 cases, 1,000,000+ contacts, users ``bench_province`` and ``bench_sz_epi``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_cases \\
        .venv/bin/python benchmarks/bench_case_lists.py [requests per page, default 30]

In-process (Django test client, session auth), after one warm-up request: the first page, the 50th page
(reached by following the "next" links, i.e. by cursor), the onset order (no index: a sort of the rows
in scope), a filtered list, and the API with limit/offset (exact count) and with ``?cursor=``.
"""

from __future__ import annotations

import os
import re
import sys
from html import unescape

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
import django  # noqa: E402

django.setup()
from bench_cases import percentiles  # noqa: E402 (this folder is on the path of a script run from it)
from django.test import Client  # noqa: E402

from fangkong.accounts.models import User  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 30


def deep(client, path, pages):
    response = client.get(path)
    for _ in range(pages - 1):
        link = re.search(r'<a href="([^"]+)" rel="next">', response.content.decode())
        response = client.get(path.split("?")[0] + unescape(link.group(1)))
    return response.request["PATH_INFO"] + "?" + response.request["QUERY_STRING"]


client = Client()
for user, label in (("bench_province", "province"), ("bench_sz_epi", "Shenzhen epi")):
    client.force_login(User.objects.get(username=user))
    paths = [("case list", "/cases/"), ("case list, page 50 (cursor)", deep(client, "/cases/", 50)),
             ("case list, onset order", "/cases/?ordering=-onset"),
             ("case list, filtered (Futian, confirmed)", "/cases/?region=440304&classification=confirmed"),
             ("contact list", "/cases/contacts/"), ("contact list, page 50 (cursor)", deep(client, "/cases/contacts/", 50))]
    paths += [("API cases, limit/offset", "/api/v1/cases/"), ("API cases, ?cursor=", "/api/v1/cases/?cursor="),
              ("API contacts, limit/offset", "/api/v1/contacts/"),
              ("API contacts, ?cursor=", "/api/v1/contacts/?cursor=")]
    for name, path in paths:
        p50, p95, response = percentiles(client, path, N)
        if path.startswith("/api/"):
            count = response.json()["count"]
        else:
            count = re.search(r'data-count="([^"]+)"', response.content.decode()).group(1)
        print(f"{label:14s} {name:40s} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  count={count}", flush=True)
