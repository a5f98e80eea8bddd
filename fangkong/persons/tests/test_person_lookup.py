"""Finding a person by citizen ID: a keyed-hash look-up among the persons the user may see, audited, showing
no more than the registry list (name, masked ID, region); in the registry's search box and inside the case
and contact forms (find-or-register with the duplicate check)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fangkong.audit.models import AuditEvent
from fangkong.cases.models import Case, Contact
from fangkong.cases.tests.builders import make_case
from fangkong.persons.models import Person
from fangkong.persons.services import person_lookup, person_register
from fangkong.testing.builders import citizen_id

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def futian_person(shenzhen_epi):
    cid = citizen_id("440304", born=dt.date(1986, 2, 6))
    return cid, person_register(actor=shenzhen_epi, name="刘某", address_region="440304", citizen_id=cid).person


def _lookups():
    return AuditEvent.objects.filter(action="lookup")


def test_the_lookup_finds_by_keyed_hash_and_is_audited_without_the_number(shenzhen_epi, futian_person):
    cid, person = futian_person
    assert person_lookup(actor=shenzhen_epi, citizen_id=cid.lower(), purpose="registry") == person
    event = _lookups().get()
    assert event.detail == {"identifier": "citizen_id", "purpose": "registry", "found": True}
    assert event.object_id == str(person.pk) and event.actor == shenzhen_epi
    assert cid not in str(event.detail) and cid[-6:] not in str(event.detail)


def test_a_person_outside_the_scope_is_not_found_and_nothing_says_it_exists(guangzhou_epi, futian_person):
    cid, _person = futian_person
    assert person_lookup(actor=guangzhou_epi, citizen_id=cid, purpose="registry") is None
    assert _lookups().get().detail["found"] is False and _lookups().get().object_id == ""


def test_an_invalid_number_is_refused_and_not_looked_up(shenzhen_epi, futian_person):
    cid, _person = futian_person
    broken = cid[:-1] + ("0" if cid[-1] != "0" else "1")
    with pytest.raises(ValidationError) as caught:
        person_lookup(actor=shenzhen_epi, citizen_id=broken, purpose="registry")
    assert "citizen_id" in caught.value.message_dict and not _lookups().exists()


def test_the_registry_search_box_finds_by_id_without_putting_it_in_a_url(client, shenzhen_epi, futian_person):
    cid, person = futian_person
    client.force_login(shenzhen_epi)
    page = client.get(reverse("web:person-list")).content.decode()
    assert f'action="{reverse("web:person-find")}"' in page and 'method="post"' in page
    response = client.post(reverse("web:person-find"), {"q": cid})
    assert response.status_code == 302 and response["Location"] == reverse("web:person-detail", args=[person.pk])
    assert cid not in response["Location"]
    detail = client.get(response["Location"]).content.decode()
    assert cid not in detail and person.citizen_id_masked in detail  # masked, as the registry shows it
    # a name goes back to the list, searched by name
    by_name = client.post(reverse("web:person-find"), {"q": "刘某"})
    assert by_name.status_code == 302 and "q=" in by_name["Location"]
    assert _lookups().count() == 1  # the name search is no look-up by identifier


def test_not_found_says_so_and_the_get_list_is_unchanged(client, guangzhou_epi, futian_person):
    cid, _person = futian_person
    client.force_login(guangzhou_epi)
    response = client.post(reverse("web:person-find"), {"q": cid}, follow=True)
    assert "No person with this citizen ID is registered in your area." in response.content.decode()
    assert "刘某" not in response.content.decode()


def test_the_fragment_of_the_forms_shows_the_masked_person(client, shenzhen_epi, futian_person):
    cid, person = futian_person
    client.force_login(shenzhen_epi)
    found = client.post(reverse("web:person-find"), {"citizen_id": cid, "purpose": "case"}, **HTMX)
    body = found.content.decode()
    assert found.status_code == 200 and f'data-found="{person.pk}"' in body and person.citizen_id_masked in body
    assert cid not in body and 'data-purpose="case"' in body
    assert _lookups().get().detail["purpose"] == "case"
    missing = client.post(reverse("web:person-find"), {"citizen_id": citizen_id("440304"), "purpose": "contact"},
                          **HTMX).content.decode()
    assert 'data-found=""' in missing
    bad = client.post(reverse("web:person-find"), {"citizen_id": "12345", "purpose": "contact"}, **HTMX)
    assert "field-error" in bad.content.decode() and _lookups().count() == 2
    for form in ({"citizen_id": cid, "purpose": "export"}, {"citizen_id": cid * 6, "purpose": "case"}):
        refused = client.post(reverse("web:person-find"), form, **HTMX)  # not a form of ours: refused, not looked up
        assert refused.status_code == 400 and "field-error" in refused.content.decode()
        assert cid not in refused.content.decode()
        page = client.post(reverse("web:person-find"), form)
        assert page.status_code == 302 and page["Location"] == reverse("web:person-list")
    assert _lookups().count() == 2


def test_the_lookup_needs_a_signed_in_user_and_a_post(client, futian_person):
    cid, _person = futian_person
    assert client.post(reverse("web:person-find"), {"q": cid}).status_code in (302, 403)
    assert not _lookups().exists()


def _case_form(**over) -> dict:
    return {"disease": "covid-19", "classification": "confirmed", "diagnosed_at": "2022-03-10T09:00",
            "reported_at": "2022-03-10T10:00", "detection_route": "screening", "report_region": "440304",
            "severity": "mild", "outcome": "under_treatment", **over}


def test_the_case_form_finds_a_registered_person_by_id(client, shenzhen_epi, futian_person):
    cid, person = futian_person
    client.force_login(shenzhen_epi)
    page = client.get(reverse("cases:case-new")).content.decode()
    assert 'name="citizen_id"' in page and 'name="person"' not in page and reverse("web:person-find") in page
    response = client.post(reverse("cases:case-new"), _case_form(citizen_id=cid))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.person == person and Person.objects.count() == 1
    assert _lookups().get().detail == {"identifier": "citizen_id", "purpose": "case", "found": True}


def test_the_case_form_registers_a_new_person_inline(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    cid = citizen_id("440304", born=dt.date(1990, 5, 5))
    response = client.post(reverse("cases:case-new"), _case_form(citizen_id=cid, name="新病例"))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.person.name == "新病例" and case.person.address_region_id == "440304"
    assert case.person.citizen_id_masked and Person.objects.count() == 1


def test_a_failed_case_form_registers_nobody_but_keeps_the_lookup_on_record(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    cid = citizen_id("440304", born=dt.date(1990, 5, 6))
    response = client.post(reverse("cases:case-new"), _case_form(citizen_id=cid, name="新病例", classification="x"))
    assert response.status_code == 400 and not Case.objects.exists() and not Person.objects.exists()
    assert _lookups().count() == 1
    no_name = client.post(reverse("cases:case-new"), _case_form(citizen_id=cid))
    assert no_name.status_code == 400 and "name" in no_name.context["errors"] and not Person.objects.exists()


def test_a_person_registered_in_another_city_is_not_taken_by_the_case_form(client, guangzhou_epi, futian_person):
    cid, _person = futian_person
    client.force_login(guangzhou_epi)
    response = client.post(reverse("cases:case-new"), _case_form(citizen_id=cid, name="冒名", report_region="440103"))
    assert response.status_code == 400 and "citizen_id" in response.context["errors"]
    assert not Case.objects.exists() and Person.objects.count() == 1


def test_the_contact_form_finds_the_person_by_id_and_audits_the_lookup(client, shenzhen_epi, futian_person):
    cid, person = futian_person
    source = make_case(shenzhen_epi, region="440304", day="2022-03-10")
    client.force_login(shenzhen_epi)
    response = client.post(reverse("cases:contact-new"), {
        "source_case_no": source.case_no, "citizen_id": cid, "name": "", "phone": "", "address_region": "",
        "category": "close", "region": "440304", "exposure_type": "household", "exposure_start": "",
        "exposure_end": "2022-03-09", "listed_at": "2022-03-10T15:00", "quarantined_at": "",
        "quarantine_place": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Contact.objects.get().person == person
    assert _lookups().filter(detail__purpose="contact").count() == 1
