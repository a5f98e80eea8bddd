"""Risk areas at compound or building level (address, county): lifted on the area's own infections, not on
every case of the county; a whole region still counts every case reported in it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.cases.models import RiskArea
from fangkong.cases.selectors import risk_area_last_case
from fangkong.cases.services import risk_area_designate, risk_area_infections_add, risk_area_lift_date
from fangkong.cases.tests.builders import make_case
from fangkong.testing.builders import make_user

pytestmark = pytest.mark.django_db
D = dt.date.fromisoformat


@pytest.fixture
def commander(db):
    return make_user("sz_area_commander", ("440300", Role.LOCAL_COMMANDER))


@pytest.fixture
def outbreak(commander):
    """8th edition (14 days): a case in the compound on 10 March, another case elsewhere in Futian on 20 March."""
    inside = make_case(commander, region="440304", day="2022-03-10")
    elsewhere = make_case(commander, region="440304", day="2022-03-20")
    return inside, elsewhere


def test_a_compound_is_lifted_on_its_own_infections(commander, outbreak):
    inside, _elsewhere = outbreak
    area = risk_area_designate(actor=commander, region="440304", level="high", kind="building",
                               area_name="梅林一村12栋", address="福田区梅林路12号", cases=[inside],
                               designated_from=D("2022-03-11"))
    assert risk_area_last_case(user=commander, area=area) == D("2022-03-10")
    lift, protocol = risk_area_lift_date(area, last_infection=risk_area_last_case(user=commander, area=area))
    assert protocol.code == "8th" and lift == D("2022-03-25")  # 14 days after the designation, not the 20th


def test_a_whole_region_counts_every_case_reported_in_it(commander, outbreak):
    area = risk_area_designate(actor=commander, region="440304", level="medium", designated_from=D("2022-03-11"))
    assert area.kind == "region"
    assert risk_area_last_case(user=commander, area=area) == D("2022-03-20")
    assert risk_area_lift_date(area, last_infection=D("2022-03-20"))[0] == D("2022-04-03")


def test_a_new_infection_in_the_compound_moves_its_lifting_and_is_audited(commander, outbreak):
    inside, elsewhere = outbreak
    area = risk_area_designate(actor=commander, region="440304", level="high", area_name="梅林一村",
                               cases=[inside], designated_from=D("2022-03-11"))
    assert area.kind == "compound"
    risk_area_infections_add(actor=commander, area=area, cases=[elsewhere])
    assert risk_area_last_case(user=commander, area=area) == D("2022-03-20")
    event = AuditEvent.objects.filter(object_type="cases.riskarea", action="update").get()
    assert event.detail == {"infections_added": [elsewhere.pk]}


@pytest.mark.parametrize("fields", [
    {"kind": "building", "area_name": ""},  # a building needs its name
    {"kind": "region", "area_name": "梅林一村"},  # a whole region has none
    {"kind": "street", "area_name": "梅林一村"},
])
def test_bad_extents_designate_nothing(commander, fields):
    with pytest.raises(ValidationError):
        risk_area_designate(actor=commander, region="440304", level="high", designated_from=D("2022-03-11"),
                            **fields)
    assert not RiskArea.objects.exists()


def test_infections_from_another_county_or_outside_the_scope_are_refused(commander, outbreak):
    inside, _elsewhere = outbreak
    nanshan = make_case(commander, region="440305", day="2022-03-12")
    with pytest.raises(ValidationError):
        risk_area_designate(actor=commander, region="440304", level="high", area_name="梅林一村",
                            cases=[nanshan], designated_from=D("2022-03-11"))
    area = risk_area_designate(actor=commander, region="440304", level="high", area_name="梅林一村",
                               cases=[inside], designated_from=D("2022-03-11"))
    with pytest.raises(ValidationError):
        risk_area_infections_add(actor=commander, area=area, cases=[nanshan])
    whole = risk_area_designate(actor=commander, region="440304", level="medium", designated_from=D("2022-03-11"))
    with pytest.raises(ValidationError):
        risk_area_infections_add(actor=commander, area=whole, cases=[inside])
    assert list(area.cases.all()) == [inside] and not whole.cases.exists()


def test_the_page_designates_a_building_with_its_infections_and_records_new_ones(client, commander, outbreak):
    inside, elsewhere = outbreak
    client.force_login(commander)
    response = client.post(reverse("cases:risk-areas"), {
        "region": "440304", "level": "high", "kind": "building", "area_name": "梅林一村12栋",
        "address": "福田区梅林路12号", "case_nos": inside.case_no, "designated_from": "2022-03-11"})
    assert response.status_code == 302
    area = RiskArea.objects.get()
    assert (area.kind, area.address, list(area.cases.all())) == ("building", "福田区梅林路12号", [inside])
    page = client.get(reverse("cases:risk-areas")).content.decode()
    assert "福田区梅林路12号" in page and reverse("cases:risk-area-infections", args=[area.pk]) in page
    unknown = client.post(reverse("cases:risk-area-infections", args=[area.pk]), {"case_nos": "NO-SUCH"})
    assert unknown.status_code == 400 and area.cases.count() == 1
    added = client.post(reverse("cases:risk-area-infections", args=[area.pk]), {"case_nos": elsewhere.case_no})
    assert added.status_code == 302 and area.cases.count() == 2


def test_an_epidemiologist_may_not_record_infections_of_an_area(client, commander, shenzhen_epi, outbreak):
    inside, elsewhere = outbreak
    area = risk_area_designate(actor=commander, region="440304", level="high", area_name="梅林一村",
                               cases=[inside], designated_from=D("2022-03-11"))
    client.force_login(shenzhen_epi)
    response = client.post(reverse("cases:risk-area-infections", args=[area.pk]), {"case_nos": elsewhere.case_no})
    assert response.status_code == 403 and area.cases.count() == 1
