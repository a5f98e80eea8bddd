"""Protocol versions: the three editions installed, the one in force by date, administrators' edits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.audit.models import AuditEvent
from fangkong.epi.projection import PROTOCOLS
from fangkong.protocols.models import ProtocolVersion
from fangkong.protocols.selectors import NoProtocolInForce, protocol_in_force
from fangkong.protocols.services import StaleEditError, protocol_update

pytestmark = pytest.mark.django_db


def test_the_three_editions_are_installed_with_the_design_table():
    eighth, ninth, nov = ProtocolVersion.objects.order_by("effective_from")
    assert (eighth.code, ninth.code, nov.code) == ("8th", "9th", "nov-2022")
    assert (eighth.close_contact_centralised_days, eighth.close_contact_home_days) == (14, 7)
    assert eighth.close_contact_test_days == [1, 4, 7, 14] and eighth.close_contact_home_test_days == [2, 7]
    assert (ninth.close_contact_centralised_days, ninth.close_contact_home_days) == (7, 3)
    assert not nov.secondary_contacts_traced and nov.risk_levels == ["high", "low"]
    assert ninth.risk_area_lift_needs_screen and ninth.risk_area_lift_days == 7
    for version, key in ((eighth, "8th"), (ninth, "9th"), (nov, "nov-2022")):
        ours, library = version.as_quarantine_protocol(), PROTOCOLS[key]
        assert ours.close_contact_test_days == library.close_contact_test_days
        assert ours.secondary_contact_test_days == library.secondary_contact_test_days
        assert ours.inbound_centralised_days == library.inbound_centralised_days


@pytest.mark.parametrize(("day", "code"), [
    (dt.date(2022, 3, 17), "8th"), (dt.date(2022, 6, 26), "8th"), (dt.date(2022, 6, 27), "9th"),
    (dt.date(2022, 11, 10), "9th"), (dt.date(2022, 11, 11), "nov-2022"), (dt.date(2023, 1, 1), "nov-2022"),
])
def test_protocol_in_force_is_the_latest_effective_one(day, code):
    assert protocol_in_force(day).code == code


def test_no_protocol_before_the_first_edition():
    with pytest.raises(NoProtocolInForce):
        protocol_in_force(dt.date(2020, 1, 1))


def test_schedule_for_a_close_contact_under_the_8th_edition():
    eighth = ProtocolVersion.objects.get(code="8th")
    schedule = eighth.test_schedule("close", dt.date(2022, 3, 1))
    assert [(s["date"], s["phase"]) for s in schedule] == [
        ("2022-03-01", "centralised"), ("2022-03-04", "centralised"), ("2022-03-07", "centralised"),
        ("2022-03-14", "centralised"), ("2022-03-16", "home"), ("2022-03-21", "home")]
    assert eighth.management_end("close", dt.date(2022, 3, 1)) == dt.date(2022, 3, 22)
    assert ProtocolVersion.objects.get(code="nov-2022").test_schedule("secondary", dt.date(2022, 12, 1)) == []


def test_schedule_of_an_inbound_traveller_follows_the_inbound_phases():
    """The test days are the close contacts' of the edition, counted in the inbound phases (5 + 3 days of the
    twenty measures: centralised days 1, 2, 3, 5; home days 1 and 3, the home phase from day 6)."""
    nov = ProtocolVersion.objects.get(code="nov-2022")
    schedule = nov.test_schedule("inbound", dt.date(2022, 12, 1))
    assert [(s["date"], s["phase"], s["day"]) for s in schedule] == [
        ("2022-12-01", "centralised", 1), ("2022-12-02", "centralised", 2), ("2022-12-03", "centralised", 3),
        ("2022-12-05", "centralised", 5), ("2022-12-06", "home", 1), ("2022-12-08", "home", 3)]
    eighth = ProtocolVersion.objects.get(code="8th")  # 14 + 7 days: day 14 centralised, days 2 and 7 at home
    assert [s["day"] for s in eighth.test_schedule("inbound", dt.date(2022, 3, 1))] == [1, 4, 7, 14, 2, 7]


def test_risk_area_lifting_rules_differ_by_edition():
    eighth, ninth, nov = ProtocolVersion.objects.order_by("effective_from")
    start, last = dt.date(2022, 3, 1), dt.date(2022, 3, 5)
    assert eighth.risk_area_lift_date(designated_from=start, last_infection=last, negative_screen=None) == \
        dt.date(2022, 3, 19)
    assert ninth.risk_area_lift_date(designated_from=start, last_infection=last, negative_screen=None) is None
    assert ninth.risk_area_lift_date(designated_from=start, last_infection=last,
                                     negative_screen=dt.date(2022, 3, 14)) == dt.date(2022, 3, 14)
    assert nov.risk_area_lift_date(designated_from=start, last_infection=last, negative_screen=None) == \
        dt.date(2022, 3, 10)


def test_an_administrator_edits_a_version_and_the_edit_is_audited(sysadmin):
    ninth = ProtocolVersion.objects.get(code="9th")
    updated = protocol_update(actor=sysadmin, protocol=ninth, changes={"close_contact_home_days": 4},
                              expected_version=ninth.version)
    ninth.refresh_from_db()
    assert ninth.close_contact_home_days == 4 and ninth.version == 2 == updated.version
    event = AuditEvent.objects.get(object_type="protocols.protocolversion", action="update")
    assert event.detail == {"before": {"close_contact_home_days": 3}, "after": {"close_contact_home_days": 4}}


def test_an_epidemiologist_may_not_edit_a_protocol(shenzhen_epi):
    ninth = ProtocolVersion.objects.get(code="9th")
    with pytest.raises(PermissionDenied):
        protocol_update(actor=shenzhen_epi, protocol=ninth, changes={"close_contact_home_days": 1},
                        expected_version=1)
    ninth.refresh_from_db()
    assert ninth.close_contact_home_days == 3 and not AuditEvent.objects.filter(action="update").exists()


def test_a_stale_or_invalid_edit_changes_nothing(sysadmin):
    ninth = ProtocolVersion.objects.get(code="9th")
    protocol_update(actor=sysadmin, protocol=ninth, changes={"notes": "first"}, expected_version=1)
    with pytest.raises(StaleEditError):
        protocol_update(actor=sysadmin, protocol=ninth, changes={"notes": "second"}, expected_version=1)
    with pytest.raises(ValidationError) as caught:
        protocol_update(actor=sysadmin, protocol=ninth, changes={"close_contact_test_days": [1, 99]},
                        expected_version=2)
    assert "close_contact_test_days" in caught.value.message_dict
    ninth.refresh_from_db()
    assert ninth.notes == "first" and ninth.close_contact_test_days == [1, 2, 3, 5, 7] and ninth.version == 2
