"""Case and contact services: registration, deadlines, re-classification, optimistic locking, conversion."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.audit.models import AuditEvent
from fangkong.cases.models import Case, ClassificationChange, Contact, Disease, RiskArea
from fangkong.cases.services import (
    StaleEditError,
    case_reclassify,
    case_update,
    contact_convert_to_case,
    contact_update,
    risk_area_designate,
    risk_area_lift_date,
)
from fangkong.cases.tests.builders import at, make_case, make_contact, make_person

pytestmark = pytest.mark.django_db


def test_a_registered_case_records_its_deadline_history_and_audit(shenzhen_epi):
    case = make_case(shenzhen_epi, region="440304", day="2022-03-10", hour=9, report_hour=10)
    assert case.report_deadline == at("2022-03-10", 11)  # COVID-19 managed as class A in 2022: 2 hours
    assert not case.reported_late and case.report_date == dt.date(2022, 3, 10)
    assert list(case.classification_history.values_list("previous", "classification")) == [("", "confirmed")]
    assert AuditEvent.objects.filter(action="create", object_type="cases.case", object_id=str(case.pk)).exists()


def test_late_reports_are_flagged_by_the_class_in_force(shenzhen_epi):
    late = make_case(shenzhen_epi, region="440304", hour=9, report_hour=12)
    assert late.reported_late
    measles = make_case(shenzhen_epi, region="440304", hour=1, report_hour=20,
                        disease=Disease.objects.get(code="measles"))
    assert not measles.reported_late and measles.report_deadline == at("2022-03-11", 1)
    # From 8 January 2023 COVID-19 is managed as class B: 24 hours.
    after = make_case(shenzhen_epi, region="440304", day="2023-02-01", hour=1, report_hour=20)
    assert not after.reported_late


def test_bad_input_is_refused_field_by_field_and_saves_nothing(shenzhen_epi):
    person = make_person(shenzhen_epi, name="甲", region="440304")
    with pytest.raises(ValidationError) as caught:
        make_case(shenzhen_epi, region="440106", person=person, classification="maybe",
                  detection_route="rumour", imported=True, onset_date=dt.date(2022, 3, 20))
    assert {"report_region", "classification", "detection_route", "origin", "onset_date"} <= set(
        caught.value.message_dict)
    assert Case.objects.count() == 0


def test_a_user_cannot_register_a_case_outside_the_scope(shenzhen_epi, guangzhou_epi):
    person = make_person(shenzhen_epi, name="甲", region="440304")
    with pytest.raises(ValidationError) as caught:
        make_case(guangzhou_epi, region="440304", person=person)
    assert set(caught.value.message_dict) >= {"report_region", "person"}
    assert Case.objects.count() == 0


def test_an_analyst_may_not_register_cases(analyst, shenzhen_epi):
    person = make_person(shenzhen_epi, name="甲", region="440304")
    with pytest.raises(PermissionDenied):
        make_case(analyst, region="440304", person=person)
    assert Case.objects.count() == 0


def test_reclassification_keeps_the_history(shenzhen_epi):
    case = make_case(shenzhen_epi, region="440304", classification="asymptomatic")
    case_reclassify(actor=shenzhen_epi, case=case, classification="confirmed", expected_version=1,
                    reason="developed symptoms")
    case.refresh_from_db()
    assert case.classification == "confirmed" and case.version == 2
    assert list(ClassificationChange.objects.filter(case=case).values_list("previous", "classification", "reason")) \
        == [("", "asymptomatic", ""), ("asymptomatic", "confirmed", "developed symptoms")]


def test_the_second_of_two_concurrent_edits_is_refused(shenzhen_epi, futian_commander):
    case = make_case(shenzhen_epi, region="440304")
    first_copy, second_copy = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    case_update(actor=shenzhen_epi, case=first_copy, expected_version=first_copy.version,
                changes={"severity": "severe"})
    with pytest.raises(StaleEditError, match="Someone else saved"):
        case_update(actor=futian_commander, case=second_copy, expected_version=second_copy.version,
                    changes={"outcome": "recovered"})
    case.refresh_from_db()
    assert (case.severity, case.outcome, case.version) == ("severe", "under_treatment", 2)
    assert AuditEvent.objects.filter(action="update", object_type="cases.case").count() == 1


def test_a_stale_reclassification_is_refused_too(shenzhen_epi):
    case = make_case(shenzhen_epi, region="440304", classification="suspected")
    case_update(actor=shenzhen_epi, case=Case.objects.get(pk=case.pk), expected_version=1,
                changes={"outcome": "recovered"})
    with pytest.raises(StaleEditError):
        case_reclassify(actor=shenzhen_epi, case=case, classification="confirmed", expected_version=1)
    case.refresh_from_db()
    assert case.classification == "suspected" and case.classification_history.count() == 1


def test_a_contact_gets_the_schedule_of_the_protocol_in_force(shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304")
    contact = make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-03-10")
    assert contact.protocol.code == "8th" and contact.status == "quarantined"
    # no exposure recorded: counted from the listing date (day 0), day 1 is the next day
    assert [s["date"] for s in contact.test_schedule] == [
        "2022-03-11", "2022-03-14", "2022-03-17", "2022-03-24", "2022-03-26", "2022-03-31"]
    later_source = make_case(shenzhen_epi, region="440304", day="2022-07-10")
    later = make_contact(shenzhen_epi, source_case=later_source, region="440304", listed="2022-07-10")
    assert later.protocol.code == "9th" and len(later.test_schedule) == 6


def test_secondary_contacts_are_refused_under_the_november_2022_measures(shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304", day="2022-11-20")
    with pytest.raises(ValidationError) as caught:
        make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-11-20", category="secondary")
    assert "category" in caught.value.message_dict
    assert Contact.objects.count() == 0


def test_quarantining_a_listed_contact_keeps_its_period_counted_from_the_exposure(shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304")
    contact = make_contact(shenzhen_epi, source_case=source, region="440304", quarantined_hour=None)
    assert contact.status == "listed"
    schedule, release = contact.test_schedule, contact.release_due
    contact_update(actor=shenzhen_epi, contact=contact, expected_version=1,
                   changes={"quarantined_at": at("2022-03-12", 8), "quarantine_place": "福田酒店"})
    contact.refresh_from_db()
    assert contact.status == "quarantined" and contact.test_schedule == schedule and contact.release_due == release
    with pytest.raises(ValidationError):
        contact_update(actor=shenzhen_epi, contact=contact, expected_version=2,
                       changes={"quarantined_at": at("2022-03-01", 8)})


def test_a_contact_becomes_a_case_in_one_action_keeping_the_infector_link(shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304")
    contact = make_contact(shenzhen_epi, source_case=source, region="440303")
    case = contact_convert_to_case(actor=shenzhen_epi, contact=contact, expected_version=1,
                                   diagnosed_at=at("2022-03-13", 10), reported_at=at("2022-03-13", 11))
    contact.refresh_from_db()
    assert case.infector_id == source.pk and case.person_id == contact.person_id
    assert case.detection_route == "during_quarantine" and case.report_region_id == "440303"
    assert case.found_under_management and contact.listed_within_24h and contact.quarantined_within_24h
    assert contact.status == "converted" and contact.converted_case_id == case.pk
    with pytest.raises(ValidationError):
        contact_convert_to_case(actor=shenzhen_epi, contact=contact, expected_version=2,
                                diagnosed_at=at("2022-03-14", 10))
    assert Case.objects.count() == 2


def test_a_case_registered_for_a_listed_contact_counts_as_found_under_management(shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304")
    late_listing = make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-03-12",
                                quarantined_hour=None)
    assert late_listing.listed_within_24h is False and late_listing.quarantined_within_24h is None
    found = make_case(shenzhen_epi, region="440304", person=late_listing.person, day="2022-03-13")
    stranger = make_case(shenzhen_epi, region="440304", day="2022-03-13")
    assert found.found_under_management and not stranger.found_under_management


def test_a_failed_conversion_leaves_the_contact_as_it_was(shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304")
    contact = make_contact(shenzhen_epi, source_case=source, region="440304")
    contact_update(actor=shenzhen_epi, contact=Contact.objects.get(pk=contact.pk), expected_version=1,
                   changes={"quarantine_place": "B"})
    with pytest.raises(StaleEditError):
        contact_convert_to_case(actor=shenzhen_epi, contact=contact, expected_version=1,
                                diagnosed_at=at("2022-03-13", 10), reported_at=at("2022-03-13", 11))
    contact.refresh_from_db()
    assert contact.status == "quarantined" and Case.objects.count() == 1


def test_risk_area_levels_and_lifting_follow_the_protocol(shenzhen_epi, futian_commander):
    with pytest.raises(PermissionDenied):
        risk_area_designate(actor=shenzhen_epi, region="440304", level="high", designated_from=dt.date(2022, 3, 1))
    area = risk_area_designate(actor=futian_commander, region="440304", level="high", area_name="某小区",
                               designated_from=dt.date(2022, 3, 1))
    lift, protocol = risk_area_lift_date(area, last_infection=dt.date(2022, 3, 6))
    assert protocol.code == "8th" and lift == dt.date(2022, 3, 20)
    with pytest.raises(ValidationError) as caught:
        risk_area_designate(actor=futian_commander, region="440304", level="medium",
                            designated_from=dt.date(2022, 12, 1))
    assert "level" in caught.value.message_dict
    assert RiskArea.objects.count() == 1
