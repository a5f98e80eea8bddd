"""Registering a case is one action with one schema (issue 15, item 1): the case form and the API read the
same ``inputs.CaseEnlistInput`` and call ``case_enlist``, which resolves the infector, the person (by
citizen ID or registry number) and the disease one way — so the same values get the same verdict, the
same errors by field and the same stored case from the page and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from fangkong.cases.models import Case
from fangkong.cases.tests.builders import make_case, make_person
from fangkong.persons.models import Person
from fangkong.testing.builders import citizen_id

pytestmark = pytest.mark.django_db
CASE_FIELDS = ("person__name", "person__address_region_id", "disease__code", "classification", "diagnosed_at",
               "reported_at", "onset_date", "detection_route", "imported", "severity", "outcome",
               "report_region_id", "infector__case_no", "isolated_at")


def _values(**over) -> dict:
    return {"person": "", "citizen_id": "", "name": "", "phone": "", "address_region": "", "disease": "covid-19",
            "classification": "confirmed", "diagnosed_at": "2022-03-10T09:00", "reported_at": "2022-03-10T10:00",
            "onset_date": "2022-03-08", "sampling_date": "", "detection_route": "fever_clinic", "origin": "",
            "severity": "", "outcome": "", "report_region": "440304", "infector_case_no": "",
            "first_visit_at": "", "isolated_at": "2022-03-10T11:00", "treatment_at": "", **over}


def _stored():
    rows = list(Case.objects.filter(case_no__startswith="440304-2022-").exclude(pk__in=KEEP).values(*CASE_FIELDS))
    Case.objects.exclude(pk__in=KEEP).delete()
    Person.objects.filter(name="新病例").delete()
    return rows


KEEP: set[int] = set()


@pytest.mark.parametrize("change", [
    {}, {"citizen_id": "new", "name": "新病例"}, {"citizen_id": "new", "name": ""}, {"citizen_id": "123"},
    {"person": "known"}, {"person": "999999"}, {"classification": "maybe"}, {"disease": "nope"},
    {"diagnosed_at": "2030-01-01T09:00"}, {"diagnosed_at": "yesterday"}, {"report_region": "440106"},
    {"infector_case_no": "none-such"}, {"infector_case_no": "infector"}, {"onset_date": "2022-03-11"},
])
def test_the_page_and_the_api_give_the_same_verdict_and_the_same_case(client, shenzhen_epi, change):
    known = make_person(shenzhen_epi, name="老病人", region="440304")
    infector = make_case(shenzhen_epi, region="440304", name="传染源", day="2022-03-05")
    KEEP.clear()
    KEEP.add(infector.pk)
    cid = citizen_id("440304")
    values = _values(person=str(known.pk))
    for key, value in change.items():
        values[key] = {"new": cid, "known": str(known.pk), "infector": infector.case_no}.get(value, value)
    if "citizen_id" in change:
        values["person"] = ""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(shenzhen_epi)
    page = client.post(reverse("cases:case-new"), values)
    assert page.status_code in (302, 400)
    page_errors = {} if page.status_code == 302 else {
        **page.context["errors"], **({"__all__": page.context["non_field_errors"]}
                                     if page.context["non_field_errors"] else {})}
    page_case = _stored()

    api = APIClient()
    api.force_authenticate(shenzhen_epi)
    body = {k: v for k, v in values.items() if v != ""}  # what a client leaves out, the page leaves empty
    response = api.post("/api/v1/cases/", {**body, "person": int(body["person"]) if "person" in body else None},
                        format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (201, 400), response.content
    api_errors = {} if response.status_code == 201 else dict(response.json()["error"]["fields"])
    if "person" in api_errors and not values["person"]:  # the page shows it under the citizen ID
        api_errors.setdefault("citizen_id", []).extend(api_errors.pop("person"))
    assert set(page_errors) == set(api_errors), (page_errors, api_errors)
    assert page_case == _stored()
    assert (page.status_code == 302) == (change in ({}, {"citizen_id": "new", "name": "新病例"}, {"person": "known"},
                                                    {"infector_case_no": "infector"}))
