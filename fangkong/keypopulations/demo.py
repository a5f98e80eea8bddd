"""The demo part of the key-populations module (its ``demo_loader``): the staff of the demo's ports, cold
stores and quarantine hotels (``fangkong.places`` demo) in two counties of Shenzhen and two of Guangzhou,
as groups at the frequency their city's rule allows, each with a roster of 25, tested over the three
weeks up to the scenario's last day (the demo day, April 2022 — not today) — most on time, about one in
twenty-five missing their last tests (overdue on the demo day), one positive. Persons go through the
registry's service; the tests are bulk-created (one audit event for the load). Deterministic; loads once.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.demo import scenario_last_day
from fangkong.persons.citizen_id import check_character
from fangkong.places.credit_code import check_character as credit_check

from .models import KeyGroup, KeyTest, Result
from .services import compliance_refresh, employer_access_grant, group_create, member_add

SEED = 20220412
EMPLOYER_CONTACT = "employer_sz"  # the demo's enterprise contact (``fangkong demo`` creates the user)
STAFF = 25
LATE_SHARE = 0.04
POPULATIONS = {"port": "port_frontline", "cold_chain": "cold_chain", "quarantine_hotel": "quarantine_hotel"}
EMPLOYERS = {"port": "口岸服务有限公司", "cold_chain": "冷链物流有限公司", "quarantine_hotel": "隔离酒店管理有限公司"}
SURNAMES = "陈李张王刘黄杨赵周吴徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def demo_day() -> dt.date:
    """The scenario's last day (``fangkong.demo.scenario_last_day``; today without cases)."""
    return scenario_last_day() or timezone.localdate()


def _citizen_id(county: str, n: int) -> str:
    born = dt.date(1970, 1, 1) + dt.timedelta(days=97 * n % 12000)
    first17 = f"{county}{born:%Y%m%d}{n % 1000:03d}"  # odd sequence: male
    return first17 + check_character(first17)


@transaction.atomic
def demo_load(actor) -> str:
    if KeyGroup.objects.exists():
        return f"demo key populations: {KeyGroup.objects.count()} groups (already loaded)"
    from fangkong.places.models import Place

    day = demo_day()
    start = day - dt.timedelta(days=21)
    rng = random.Random(SEED)
    places = list(Place.objects.filter(category__in=POPULATIONS).order_by("region_id", "category", "pk"))
    n = 0
    tests = []
    for i, place in enumerate(places):
        code = f"91{place.county_id}MA5DEM{i:03d}"
        group = group_create(actor=actor, name=f"{place.name}工作人员", population=POPULATIONS[place.category],
                             region=place.county_id, place=place.pk,
                             employer_name=f"{place.name.partition('区')[0]}区{EMPLOYERS[place.category]}",
                             employer_code=code + credit_check(code), effective_from=start)
        days = group.frequencies.get().days
        for _k in range(STAFF):
            n += 1
            person = member_add(actor=actor, group=group.pk, start=start, sex="MF"[n % 2 == 0],
                                name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                                citizen_id=_citizen_id(place.county_id, n), address_region=place.county_id).entry.person
            late = rng.random() < LATE_SHARE
            stop = day - dt.timedelta(days=days + 1 + rng.randrange(3)) if late else day
            sampled = start + dt.timedelta(days=rng.randrange(days))
            while sampled <= stop:
                if sampled < day or rng.random() < 0.6:  # the demo day's tests are still coming in
                    tests.append(KeyTest(person=person, group=group, sampled_on=sampled, result=Result.NEGATIVE,
                                         created_by=actor))
                sampled += dt.timedelta(days=days)
    if tests:
        tests[len(tests) // 3].result = Result.POSITIVE
    KeyTest.objects.bulk_create(tests, batch_size=2000)
    audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="keypopulations.keytest",
                 detail={"demo": True, "tests": len(tests)})
    compliance_refresh()
    contact = _employer_contact_link()
    return (f"demo key populations: {len(places)} groups, {n} persons, {len(tests)} tests up to {day.isoformat()}"
            + (f"; {EMPLOYER_CONTACT} acts for {contact}" if contact else ""))


def _employer_contact_link() -> str:
    """The demo's enterprise contact acts for the employer of Shenzhen's first cold-chain group (granted by
    the demo's system administrator); "" when either is missing."""
    from fangkong.accounts.models import User

    contact = User.objects.filter(username=EMPLOYER_CONTACT).first()
    admin = User.objects.filter(username="admin").first()
    group = KeyGroup.objects.filter(region__code__startswith="4403", population="cold_chain").order_by("pk").first()
    if contact is None or admin is None or group is None:
        return ""
    employer_access_grant(actor=admin, user=contact, employer_code=group.employer_code)
    return group.employer_name
