"""Users and records of the resources tests: Shenzhen and Dongguan commanders, a Guangzhou epidemiologist, a
Shenzhen quarantine-site manager who manages one of two Futian sites, and contacts to check in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.cases.tests.builders import make_case, make_contact

from .. import services


def make_user(username: str, membership: tuple[str, str]) -> User:
    """A user with one membership, without a password (hashing one costs a second per user)."""
    user = User.objects.create(username=username)
    Membership.objects.create(user=user, region_id=membership[0], role=membership[1])
    return user


@pytest.fixture
def users(db):
    return {"sz": make_user("sz_res", ("440300", Role.LOCAL_COMMANDER)),
            "dg": make_user("dg_res", ("441900", Role.LOCAL_COMMANDER)),
            "gz": make_user("gz_res", ("440100", Role.EPIDEMIOLOGIST)),
            "manager": make_user("sz_qm", ("440300", Role.QUARANTINE_MANAGER)),
            "other_manager": make_user("sz_qm2", ("440300", Role.QUARANTINE_MANAGER)),
            "analyst": make_user("an_res", ("440000", Role.ANALYST)),
            "province": make_user("gd_res", ("440000", Role.PROVINCIAL_COMMANDER))}


@pytest.fixture
def sites(users):
    """Two Futian sites: ``a`` (managed by ``manager``) with rooms 101-103, ``b`` with 201-202."""
    sz = users["sz"]
    a = services.site_create(actor=sz, region="440304", name="福田甲酒店", kind="hotel")
    b = services.site_create(actor=sz, region="440304", name="福田乙隔离点", kind="purpose_built")
    services.rooms_add(actor=sz, site=a, first=101, last=103, kind="single")
    services.rooms_add(actor=sz, site=b, first=201, last=202, kind="family")
    services.site_manager_add(actor=sz, site=a, username="sz_qm")
    return {"a": a, "b": b}


@pytest.fixture
def contacts(users):
    """Three close contacts of a Futian case, listed yesterday, exposed three days ago."""
    sz = users["province"]
    today = timezone.localdate()
    case = make_case(sz, region="440304", name="源病例", day=(today - dt.timedelta(days=2)).isoformat())
    return [make_contact(sz, source_case=case, region="440304", name=f"密接{i}",
                         listed=(today - dt.timedelta(days=1)).isoformat(),
                         exposure_end=today - dt.timedelta(days=3)) for i in range(3)]


def room(site, number: str):
    return site.rooms.get(number=number)


@pytest.fixture
def demo_wave(province_commander):
    """A small run of the demo scenario (150 infections), its persons and cases loaded."""
    from fangkong.cases.demo import load_cases
    from fangkong.epi.simulate import default_demo_params, load_region_tree, simulate_scenario
    from fangkong.persons.demo import load_case_persons
    from fangkong.regions.services import GUANGDONG_REGIONS

    tree = load_region_tree(GUANGDONG_REGIONS)
    scenario = simulate_scenario(default_demo_params().replace(max_infections=150), tree)
    load_case_persons(scenario, tree, province_commander)
    load_cases(scenario, tree, province_commander)
    return scenario


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every test starts and ends with an empty cache: the forecast is kept there under the data generation, which
    does not change inside a test's transaction (the bump runs on commit)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
