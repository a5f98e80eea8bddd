"""Benchmark: cross-region requests at scale (issue 27): 10,000 open requests with 500,000 persons between the
21 cities of Guangdong; the receiver's inbox and the province's overdue list (page and API), p50 and p95.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fangkong_bench_crossregion \\
        .venv/bin/python benchmarks/bench_crossregion.py [requests per measurement, default 30]

Builds the database when it holds no requests (migrate, the region tree, one source case per city through
the services, then the requests and persons by bulk insert — the rows the services would write, counts and
deadlines included); measures in-process with Django's test client (session auth) after a warm-up request.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
import django  # noqa: E402

django.setup()
import numpy as np  # noqa: E402
from bench_cases import percentiles  # noqa: E402 (this folder is on the path of a script run from it)
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from fangkong.accounts.models import User  # noqa: E402
from fangkong.accounts.roles import Role  # noqa: E402
from fangkong.accounts.services import user_create  # noqa: E402
from fangkong.crossregion.models import InvestigationRequest, OutcomeKind, RequestedPerson, RequestStatus  # noqa: E402
from fangkong.protocols.selectors import protocol_in_force  # noqa: E402
from fangkong.regions.models import Region  # noqa: E402
from fangkong.regions.services import region_tree_load  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 30
REQUESTS, PERSONS_EACH = 10_000, 50
USERS = (("bench_xr_province", "440000", Role.PROVINCIAL_COMMANDER), ("bench_xr_huizhou", "441300", Role.EPIDEMIOLOGIST),
         ("bench_xr_shenzhen", "440300", Role.EPIDEMIOLOGIST))


def build() -> None:
    from fangkong.cases.models import Disease
    from fangkong.cases.services import case_register
    from fangkong.persons.services import person_register

    started = time.perf_counter()
    region_tree_load()
    for name, code, role in USERS:
        if not User.objects.filter(username=name).exists():
            user_create(username=name, password="bench-password-2022", memberships=[(code, role)],  # noqa: S106
                        validate_password=False)
    actor = User.objects.get(username=USERS[0][0])
    cities = list(Region.objects.filter(level="prefecture").order_by("code").values_list("code", flat=True))
    covid = Disease.objects.get(code="covid-19")
    now = timezone.now()
    cases = {}
    for i, city in enumerate(cities):
        person = person_register(actor=actor, name=f"基准病例{i}", address_region=city).person
        cases[city] = case_register(actor=actor, person=person, disease=covid, classification="confirmed",
                                    diagnosed_at=now - dt.timedelta(days=12), reported_at=now - dt.timedelta(days=12),
                                    report_region=city, detection_route="screening")
    protocol = protocol_in_force(timezone.localtime(now).date())
    rng = np.random.default_rng(27)
    senders = rng.integers(0, len(cities), REQUESTS)
    shifts = rng.integers(1, len(cities), REQUESTS)
    ages = rng.uniform(0, 10 * 24, REQUESTS)  # hours since sent: up to ten days
    acked = rng.random(REQUESTS) < 0.7
    rows = []
    for i in range(REQUESTS):
        sender, receiver = cities[senders[i]], cities[(senders[i] + shifts[i]) % len(cities)]
        sent = now - dt.timedelta(hours=float(ages[i]))
        rows.append(InvestigationRequest(
            request_no=f"XC-{sender}-B-{i:06d}", sender_region_id=sender, receiver_region_id=receiver,
            origin_region_id=sender, source_case=cases[sender], source_case_no=cases[sender].case_no,
            protocol=protocol, urgency="urgent", sent_at=sent, ack_deadline=sent + dt.timedelta(hours=2),
            report_deadline=sent + dt.timedelta(hours=24), idempotency_key=f"bench-{i}",
            acknowledged_at=sent + dt.timedelta(hours=1) if acked[i] else None,
            status=RequestStatus.ACKNOWLEDGED if acked[i] else RequestStatus.SENT,
            persons_total=PERSONS_EACH, persons_pending=PERSONS_EACH - 10 if acked[i] else PERSONS_EACH,
            persons_quarantined=8 if acked[i] else 0, persons_not_found=2 if acked[i] else 0))
    InvestigationRequest.objects.bulk_create(rows, batch_size=2000)
    print(f"requests: {REQUESTS} in {time.perf_counter() - started:.1f} s", flush=True)
    batch = []
    for req in InvestigationRequest.objects.order_by("id").iterator(chunk_size=2000):
        for j in range(PERSONS_EACH):
            outcome = OutcomeKind.PENDING
            if req.acknowledged_at is not None and j < 10:
                outcome = OutcomeKind.QUARANTINED if j < 8 else OutcomeKind.NOT_FOUND
            quarantined = req.sent_at + dt.timedelta(hours=3 + j) if outcome == OutcomeKind.QUARANTINED else None
            batch.append(RequestedPerson(request_id=req.pk, name=f"基准人员{req.pk}-{j}", category="close",
                                         listed_at=req.sent_at, outcome=outcome, quarantined_at=quarantined,
                                         outcome_at=quarantined, phone_masked="*******1234"))
        if len(batch) >= 20_000:
            RequestedPerson.objects.bulk_create(batch, batch_size=5000)
            batch = []
    RequestedPerson.objects.bulk_create(batch, batch_size=5000)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"built: {InvestigationRequest.objects.count()} requests, {RequestedPerson.objects.count()} persons "
          f"in {time.perf_counter() - started:.1f} s", flush=True)


call_command("migrate", verbosity=0)
if not InvestigationRequest.objects.exists():
    build()

client = Client()
for user, paths in (("bench_xr_huizhou", (("inbox page (Huizhou)", "/crossregion/inbox/"),
                                          ("inbox API (Huizhou)", "/api/v1/crossregion-requests/inbox/"),
                                          ("a request with 50 persons (Huizhou)", None))),
                    ("bench_xr_province", (("overdue page (province)", "/crossregion/overdue/"),
                                           ("overdue API (province)", "/api/v1/crossregion-requests/overdue/"),
                                           ("figures API (province)", "/api/v1/crossregion-figures/"),
                                           ("inbox page (province)", "/crossregion/inbox/")))):
    client.force_login(User.objects.get(username=user))
    for name, path in paths:
        if path is None:
            path = f"/crossregion/{InvestigationRequest.objects.filter(receiver_region_id='441300').first().pk}/"
        p50, p95, _response = percentiles(client, path, N)
        print(f"{name:40s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms", flush=True)
