"""Converting a contact to a case keeps what is known: the quarantine time becomes the isolation time, the
report time is the one entered (back-entries allowed and audited, lateness judged on it), the diagnosis
time is asked for, and a contact without exposure dates gives a warning."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fangkong.audit.models import AuditEvent
from fangkong.cases.models import Case, CaseEarlies, Contact
from fangkong.cases.services import contact_convert_to_case
from fangkong.cases.tests.builders import at, make_case, make_contact

pytestmark = pytest.mark.django_db
D = dt.date.fromisoformat


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def contact(shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304", day="2022-04-10")
    return make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-04-11", hour=9,
                        quarantined_hour=15, exposure_start=D("2022-04-09"), exposure_end=D("2022-04-10"))


def _event(case) -> AuditEvent:
    return AuditEvent.objects.get(object_type="cases.case", object_id=str(case.pk), action="create")


def test_the_quarantine_time_becomes_the_isolation_time(shenzhen_epi, contact):
    case = contact_convert_to_case(actor=shenzhen_epi, contact=contact, expected_version=1,
                                   diagnosed_at=at("2022-04-17", 8), reported_at=at("2022-04-17", 9))
    stored = Case.objects.get(pk=case.pk)
    assert stored.isolated_at == at("2022-04-11", 15) == contact.quarantined_at
    earlies = CaseEarlies.objects.get(case=case)
    assert earlies.report_isolation == -(6 * 24 - 6)  # isolated six days before the report, minus 6 hours


def test_a_back_entered_report_is_judged_on_its_real_time_and_audited(shenzhen_epi, contact):
    # diagnosed 17 April 2022, reported an hour later, entered today: on time (class A management: 2 h)
    case = contact_convert_to_case(actor=shenzhen_epi, contact=contact, expected_version=1,
                                   diagnosed_at=at("2022-04-17", 10), reported_at=at("2022-04-17", 11))
    stored = Case.objects.get(pk=case.pk)
    assert stored.reported_at == at("2022-04-17", 11) and stored.report_date == D("2022-04-17")
    assert not stored.reported_late
    detail = _event(case).detail
    assert detail["back_entered"] is True and detail["reported_at"] == at("2022-04-17", 11).isoformat()
    assert "entered_at" in detail and detail["late"] is False and "no_exposure_dates" not in detail


def test_a_report_after_the_deadline_is_late(shenzhen_epi, contact):
    case = contact_convert_to_case(actor=shenzhen_epi, contact=contact, expected_version=1,
                                   diagnosed_at=at("2022-04-17", 10), reported_at=at("2022-04-17", 15))
    assert Case.objects.get(pk=case.pk).reported_late and _event(case).detail["late"] is True


def test_a_report_entered_now_is_not_a_back_entry(shenzhen_epi, contact):
    case = contact_convert_to_case(actor=shenzhen_epi, contact=contact, expected_version=1,
                                   diagnosed_at=at("2022-04-17", 10))
    assert "back_entered" not in _event(case).detail


@pytest.mark.parametrize("fields", [
    {"diagnosed_at": at("2022-04-17", 10), "reported_at": at("2022-04-17", 9)},  # reported before diagnosis
    {"diagnosed_at": at("2022-04-17", 10), "reported_at": at("2999-01-01", 9)},  # in the future
    {"diagnosed_at": None},
])
def test_bad_times_convert_nothing(shenzhen_epi, contact, fields):
    with pytest.raises(ValidationError):
        contact_convert_to_case(actor=shenzhen_epi, contact=contact, expected_version=1, **fields)
    assert Case.objects.count() == 1 and Contact.objects.get(pk=contact.pk).status == "quarantined"


def test_the_page_asks_for_the_diagnosis_time_and_takes_the_report_time(client, shenzhen_epi, contact):
    client.force_login(shenzhen_epi)
    page = client.get(reverse("cases:contact-detail", kwargs={"contact_id": contact.pk})).content.decode()
    assert 'name="diagnosed_at" type="datetime-local" value="" required' in page
    assert 'name="reported_at"' in page and "data-conversion-warning" not in page
    url = reverse("cases:contact-convert", kwargs={"contact_id": contact.pk})

    missing = client.post(url, {"version": 1, "reported_at": "2022-04-17T11:00"}, follow=True)
    assert "The diagnosis time is required." in missing.content.decode()
    assert Contact.objects.get(pk=contact.pk).status == "quarantined" and Case.objects.count() == 1

    response = client.post(url, {"version": 1, "diagnosed_at": "2022-04-17T10:00", "reported_at": "2022-04-17T11:00",
                                 "onset_date": "2022-04-16", "sampling_date": "2022-04-17"})
    case = Case.objects.get(from_contact=contact.pk)
    assert response.status_code == 302 and response["Location"].endswith(f"/cases/{case.pk}/")
    assert case.reported_at == at("2022-04-17", 11) and not case.reported_late
    assert (case.onset_date, case.sampling_date) == (D("2022-04-16"), D("2022-04-17"))
    assert case.isolated_at == contact.quarantined_at


def test_a_contact_without_exposure_dates_gives_a_warning(client, shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304", day="2022-04-10")
    bare = make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-04-11")
    client.force_login(shenzhen_epi)
    page = client.get(reverse("cases:contact-detail", kwargs={"contact_id": bare.pk})).content.decode()
    assert "data-conversion-warning" in page
    response = client.post(reverse("cases:contact-convert", kwargs={"contact_id": bare.pk}),
                           {"version": 1, "diagnosed_at": "2022-04-17T10:00", "reported_at": "2022-04-17T11:00"},
                           follow=True)
    assert "has no exposure dates" in response.content.decode()
    case = Case.objects.get(from_contact=bare.pk)
    assert _event(case).detail["no_exposure_dates"] is True


def test_the_api_converts_with_the_entered_report_time(client, shenzhen_epi, contact):
    client.force_login(shenzhen_epi)
    response = client.post(f"/api/v1/contacts/{contact.pk}/convert/",
                           {"version": 1, "diagnosed_at": "2022-04-17T10:00:00+08:00",
                            "reported_at": "2022-04-17T11:00:00+08:00", "onset_date": "2022-04-16"},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert not case.reported_late and case.onset_date == D("2022-04-16") and case.isolated_at == contact.quarantined_at
