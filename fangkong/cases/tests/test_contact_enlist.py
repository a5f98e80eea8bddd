"""Registering a contact from the contact form is one action (issue 15, item 1): ``contact_enlist`` finds or
registers the person by citizen ID and registers the contact in one transaction; the page only binds its
form to ``inputs.ContactEnlistInput`` and shows the service's verdict — the same as the service's own on
the same values read as an import row (``fangkong.inputs.validate_row``)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fangkong.audit.models import AuditEvent
from fangkong.cases.inputs import ContactEnlistInput
from fangkong.cases.models import Contact
from fangkong.cases.services import contact_enlist
from fangkong.cases.tests.builders import make_case
from fangkong.inputs import validate_row
from fangkong.persons.models import Person
from fangkong.persons.services import PersonElsewhereError
from fangkong.testing.builders import citizen_id, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(shenzhen_epi):
    return make_case(shenzhen_epi, region="440304", name="源头病例", day="2022-03-10")


def _row(source, **over) -> dict:
    return {"source_case_no": source.case_no, "citizen_id": citizen_id("440304"), "name": "新密接",
            "phone": "13812345678", "address_region": "", "category": "close", "region": "440304",
            "exposure_type": "household", "exposure_start": "2022-03-08", "exposure_end": "2022-03-09",
            "listed_at": "2022-03-10T15:00", "quarantined_at": "2022-03-10T20:00", "quarantine_place": "福田某酒店",
            **over}


def _enlist(actor, row):
    data, errors = validate_row(ContactEnlistInput, row)
    assert errors == {}, errors
    return contact_enlist(actor=actor, **{**data, "exposure_type": data["exposure_type"] or "other"})


def test_a_new_person_and_the_contact_are_registered_together(shenzhen_epi, source):
    persons = Person.objects.count()
    contact = _enlist(shenzhen_epi, _row(source))
    assert Person.objects.count() == persons + 1
    assert (contact.person.name, contact.person.address_region_id, contact.person.phone_masked[-4:]) == (
        "新密接", "440304", "5678")  # the contact's region by default
    assert (contact.source_case, contact.status, contact.quarantine_place) == (source, "quarantined", "福田某酒店")
    assert AuditEvent.objects.filter(action="lookup", object_type="persons.person").count() == 1


def test_a_refused_contact_registers_no_person_but_the_look_up_stays_on_record(shenzhen_epi, source):
    persons = Person.objects.count()
    with pytest.raises(ValidationError) as refused:
        _enlist(shenzhen_epi, _row(source, quarantined_at="2022-03-10T10:00"))
    assert "quarantined_at" in refused.value.message_dict
    assert Person.objects.count() == persons and not Contact.objects.exists()
    assert AuditEvent.objects.filter(action="lookup", object_type="persons.person").count() == 1


def test_a_known_person_is_found_and_one_elsewhere_is_not_revealed(shenzhen_epi, guangzhou_epi, source):
    from fangkong.persons import protection

    known = make_person(shenzhen_epi, name="老住户", region="440304")
    number = protection.identifier_open(known, known.citizen_id_sealed, "citizen_id")
    assert _enlist(shenzhen_epi, _row(source, citizen_id=number, name="别名")).person == known
    elsewhere = make_person(guangzhou_epi, name="广州居民", region="440106")
    number = protection.identifier_open(elsewhere, elsewhere.citizen_id_sealed, "citizen_id")
    with pytest.raises(PersonElsewhereError):
        _enlist(shenzhen_epi, _row(source, citizen_id=number))
    assert Contact.objects.count() == 1


def test_denied_paths(analyst, guangzhou_epi, shenzhen_epi, source):
    with pytest.raises(ValidationError) as refused:  # another city's case is not found, nothing says it exists
        _enlist(guangzhou_epi, _row(source, region="440106", citizen_id=citizen_id("440106")))
    assert set(refused.value.message_dict) == {"source_case_no"}
    with pytest.raises(ValidationError) as refused:
        _enlist(shenzhen_epi, _row(source, citizen_id=""))
    assert set(refused.value.message_dict) == {"citizen_id"}
    with pytest.raises((PermissionDenied, ValidationError)):
        _enlist(analyst, _row(source))
    assert not Contact.objects.exists()


@pytest.mark.parametrize("change", [
    {}, {"citizen_id": "440304199001011234"}, {"category": "maybe"}, {"exposure_end": "2022-03-01"},
    {"region": "440106"}, {"listed_at": "yesterday"}, {"exposure_type": ""}, {"phone": "12"},
    {"quarantined_at": "2022-03-10T10:00"}, {"source_case_no": "nope"}, {"name": ""},
])
def test_the_page_gives_the_verdict_of_the_service(client, shenzhen_epi, source, change):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(shenzhen_epi)
    row = _row(source, **change)
    response = client.post(reverse("cases:contact-new"), row)
    page_errors = {} if response.status_code == 302 else {
        **response.context["errors"], **({"__all__": response.context["non_field_errors"]}
                                         if response.context["non_field_errors"] else {})}
    page_contact = list(Contact.objects.values("person__name", "category", "region_id", "listed_at",
                                               "quarantined_at", "exposure_type", "exposure_end"))
    Contact.objects.all().delete()
    Person.objects.filter(name__in=["新密接", ""]).delete()
    data, errors = validate_row(ContactEnlistInput, row)
    if not errors:
        try:
            contact_enlist(actor=shenzhen_epi, **{**data, "exposure_type": data["exposure_type"] or "other"})
        except (ValidationError, PersonElsewhereError) as exc:
            errors = exc.message_dict if isinstance(exc, ValidationError) else {"citizen_id": [str(exc)]}
    if errors.get("address_region") and not row["address_region"]:  # shown under the contact's region
        errors.setdefault("region", []).extend(errors.pop("address_region"))
    assert page_errors == errors
    assert page_contact == list(Contact.objects.values("person__name", "category", "region_id", "listed_at",
                                                       "quarantined_at", "exposure_type", "exposure_end"))
    assert (response.status_code == 302) == (change in ({}, {"exposure_type": ""}))
