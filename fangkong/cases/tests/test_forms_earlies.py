"""The earlies' times of a case (first medical visit, isolation, admission for treatment): in the case form,
the case page and its edit form, the API and the CSV/XLSX export; bad times are refused."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fangkong.cases.models import Case
from fangkong.cases.tests.builders import at, make_case, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _new_case(person, **over) -> dict:
    return {"person": str(person.pk), "disease": "covid-19", "classification": "confirmed",
            "diagnosed_at": "2022-03-10T09:00", "reported_at": "2022-03-10T10:00", "onset_date": "2022-03-08",
            "detection_route": "fever_clinic", "report_region": "440304", "severity": "mild",
            "outcome": "under_treatment", "first_visit_at": "2022-03-09T18:30", "isolated_at": "2022-03-10T11:00",
            "treatment_at": "2022-03-10T15:00", **over}


def test_the_case_form_records_the_earlies_and_the_page_shows_them(client, shenzhen_epi):
    person = make_person(shenzhen_epi, name="早发现", region="440304")
    client.force_login(shenzhen_epi)
    assert 'name="isolated_at"' in client.get(reverse("cases:case-new")).content.decode()

    response = client.post(reverse("cases:case-new"), _new_case(person))

    case = Case.objects.get()
    assert response.status_code == 302
    assert (case.first_visit_at, case.isolated_at, case.treatment_at) == (
        at("2022-03-09", 18).replace(minute=30), at("2022-03-10", 11), at("2022-03-10", 15))
    page = client.get(reverse("cases:case-detail", kwargs={"case_id": case.pk})).content.decode()
    assert '<dd data-earlies="first_visit_at">2022-03-09 18:30</dd>' in page
    assert '<dd data-earlies="isolated_at">2022-03-10 11:00</dd>' in page
    assert 'value="2022-03-10T15:00"' in page  # the edit form holds the stored time


@pytest.mark.parametrize("change, field", [
    ({"treatment_at": "2022-03-10T10:00"}, "treatment_at"),  # before isolation
    ({"isolated_at": "2099-01-01T00:00"}, "isolated_at"),
])
def test_bad_earlies_are_refused_and_save_nothing(client, shenzhen_epi, change, field):
    person = make_person(shenzhen_epi, name="早报告", region="440304")
    client.force_login(shenzhen_epi)
    response = client.post(reverse("cases:case-new"), _new_case(person, **change))
    assert response.status_code == 400 and field in response.context["errors"] and not Case.objects.exists()


def test_the_earlies_are_edited_under_the_version_lock(client, shenzhen_epi):
    case = make_case(shenzhen_epi, region="440304")
    client.force_login(shenzhen_epi)
    url = reverse("cases:case-edit", kwargs={"case_id": case.pk})
    ok = client.post(url, {"version": case.version, "severity": "mild", "outcome": "under_treatment",
                           "first_visit_at": "", "isolated_at": "2022-03-10T12:00", "treatment_at": ""})
    assert ok.status_code == 302
    case.refresh_from_db()
    assert case.isolated_at == at("2022-03-10", 12) and case.first_visit_at is None and case.version == 2
    bad = client.post(url, {"version": case.version, "isolated_at": "2022-03-10T12:00",
                            "treatment_at": "2022-03-10T08:00"})
    assert bad.status_code == 400 and "Treatment cannot start before isolation" in bad.context["edit_error"]
    stale = client.post(url, {"version": 1, "isolated_at": "2022-03-10T13:00"})
    assert stale.status_code == 409
    case.refresh_from_db()
    assert case.isolated_at == at("2022-03-10", 12) and case.treatment_at is None


def test_the_api_reads_and_writes_the_earlies(client, shenzhen_epi):
    person = make_person(shenzhen_epi, name="接口早隔离", region="440304")
    client.force_login(shenzhen_epi)
    created = client.post(reverse("cases-api:case-list"), {
        "person": person.pk, "classification": "confirmed", "diagnosed_at": "2022-03-10T09:00:00+08:00",
        "reported_at": "2022-03-10T10:00:00+08:00", "report_region": "440304",
        "isolated_at": "2022-03-10T11:00:00+08:00"}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert body["isolated_at"].startswith("2022-03-10T11:00") and body["first_visit_at"] is None
    patched = client.patch(reverse("cases-api:case-detail", kwargs={"pk": body["id"]}),
                           {"version": body["version"], "treatment_at": "2022-03-10T16:00:00+08:00"},
                           content_type="application/json")
    assert patched.status_code == 200 and patched.json()["treatment_at"].startswith("2022-03-10T16:00")
    listed = client.get(reverse("cases-api:case-list")).json()["results"][0]
    assert {"first_visit_at", "isolated_at", "treatment_at"} <= set(listed)


def test_the_exports_carry_the_earlies(client, shenzhen_epi):
    make_case(shenzhen_epi, region="440304", first_visit_at=at("2022-03-09", 20), isolated_at=at("2022-03-10", 11))
    client.force_login(shenzhen_epi)
    rows = list(csv.reader(io.StringIO(client.get(reverse("cases:case-export") + "?format=csv")
                                       .content.decode("utf-8-sig"))))
    watermark, header, row = rows
    assert watermark[0].startswith("Exported by sz_epi at ")
    assert header[-3:] == ["First medical visit", "Isolated", "Admitted for treatment"]
    assert row[-3:] == ["2022-03-09 20:00", "2022-03-10 11:00", ""]
    book = load_workbook(io.BytesIO(client.get(reverse("cases:case-export") + "?format=xlsx").content))
    watermark, header, row = list(book.active.iter_rows(values_only=True))
    assert watermark[0].startswith("Exported by sz_epi at ")
    assert header[-2] == "Isolated" and row[-2] == "2022-03-10 11:00"
