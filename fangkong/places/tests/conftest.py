"""Fixtures of the places tests: an inspector of Guangzhou and one of Shenzhen; a Futian market with scans."""

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.testing.builders import citizen_id, make_person, make_user

from .. import services
from .builders import make_place


@pytest.fixture
def gz_inspector(db):
    return make_user("inspector_gz_t", ("440100", Role.INSPECTOR))


@pytest.fixture
def sz_inspector(db):
    return make_user("inspector_sz_t", ("440300", Role.INSPECTOR))


@pytest.fixture
def scanned(shenzhen_epi, sz_inspector):
    """A Futian market, a case's person who scanned it twice, others near and far in time."""
    place = make_place(sz_inspector, region="440304", name="福田扫码市场")
    other_place = make_place(sz_inspector, region="440304", name="福田另一市场")
    at = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)
    people = {name: make_person(shenzhen_epi, name=name, region="440304",
                                cid=citizen_id("440304", born=dt.date(1980, 1, 1) + dt.timedelta(days=i)))
              for i, name in enumerate(("病例本人", "同时段甲", "同时段乙", "隔天丙", "别处丁"))}
    code = services.venue_code(place)
    for name, moment, where in [("病例本人", at, code), ("同时段甲", at + dt.timedelta(minutes=10), code),
                                ("同时段乙", at - dt.timedelta(minutes=25), code),
                                ("隔天丙", at + dt.timedelta(days=1), code),
                                ("别处丁", at, services.venue_code(other_place))]:
        services.scan_record(actor=shenzhen_epi, venue_code=where, person=people[name].pk, scanned_at=moment)
    return {"place": place, "people": people, "at": at, "code": code}
