"""Import files as people fill them in: the template's Chinese headers and an example row (refused if left
in), Chinese values alongside the codes (确诊病例 …), a clear error naming the accepted values, and future
dates refused."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.cases import imports
from fangkong.cases.import_columns import HEADERS_ZH
from fangkong.cases.imports import ImportRejected, cases_import, contacts_import, read_table
from fangkong.cases.models import Case, Contact
from fangkong.cases.tests.builders import make_case
from fangkong.cases.tests.test_imports_scale import _case, _contact
from fangkong.testing.builders import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def dongguan_epi(db):
    return make_user("dg_columns_epi", ("441900", Role.EPIDEMIOLOGIST))


def _chinese(row: dict) -> dict:
    return {HEADERS_ZH[k]: v for k, v in row.items()}


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@pytest.mark.parametrize("kind", ["cases", "contacts"])
def test_the_template_has_chinese_headers_and_an_example_row_that_is_never_imported(dongguan_epi, kind):
    text = imports.template_csv(kind).decode("utf-8-sig")
    header, example = list(csv.reader(io.StringIO(text)))
    assert header == [HEADERS_ZH[c] for c in imports.COLUMNS[kind]] and all(h.isascii() is False for h in header)
    assert example[0].startswith("示例") and len(example) == len(header)
    run = cases_import if kind == "cases" else contacts_import
    with pytest.raises(ImportRejected) as caught:
        run(actor=dongguan_epi, rows=read_table(text.encode("utf-8"), f"{kind}.csv"))
    number = "case_no" if kind == "cases" else "contact_no"
    assert {"row": 2, "column": number,
            "message": "This is the template's example row: delete it before importing."} in caught.value.errors
    assert not Case.objects.exists() and not Contact.objects.exists()


def test_chinese_headers_and_values_import_as_the_codes(dongguan_epi):
    coded = _case("ZH1", classification="confirmed", detection_route="fever_clinic", severity="mild",
                  outcome="under_treatment")
    chinese = _chinese({**_case("ZH2"), "classification": "确诊病例", "detection_route": "发热门诊", "severity": "轻型",
                        "outcome": "治疗中", "disease": "新型冠状病毒肺炎", "sex": "男"})
    assert cases_import(actor=dongguan_epi, rows=[coded]).created == 1
    assert cases_import(actor=dongguan_epi, rows=read_table(_csv([chinese]), "病例.csv")).created == 1
    one, two = Case.objects.get(case_no="ZH1"), Case.objects.get(case_no="ZH2")
    fields = ("classification", "detection_route", "severity", "outcome", "disease_id")
    assert [getattr(two, f) for f in fields] == [getattr(one, f) for f in fields] == [
        "confirmed", "fever_clinic", "mild", "under_treatment", one.disease_id]
    assert two.person.sex == "M"


def test_contacts_with_chinese_values(dongguan_epi):
    source = make_case(dongguan_epi, region="441900", name="源", day="2022-03-12", hour=9)
    row = _chinese({**_contact("ZK1", source_case_no=source.case_no), "category": "密切接触者", "exposure_type": "家庭"})
    assert contacts_import(actor=dongguan_epi, rows=[row]).created == 1
    contact = Contact.objects.get(contact_no="ZK1")
    assert (contact.category, contact.exposure_type) == ("close", "household")


def test_an_unknown_value_names_the_accepted_ones(dongguan_epi):
    with pytest.raises(ImportRejected) as caught:
        cases_import(actor=dongguan_epi, rows=[_case("U1", classification="阳性")])
    message = next(e["message"] for e in caught.value.errors if e["column"] == "classification")
    assert "confirmed（确诊病例）" in message and "asymptomatic（无症状感染者）" in message


@pytest.mark.parametrize(("column", "value"), [("onset_date", "2099-03-13"), ("sampling_date", "2099-03-14"),
                                               ("reported_at", "2099-03-14 12:00")])
def test_future_dates_of_a_case_are_refused(dongguan_epi, column, value):
    with pytest.raises(ImportRejected) as caught:
        cases_import(actor=dongguan_epi, rows=[_case("F1", **{column: value})])
    assert column in {e["column"] for e in caught.value.errors}
    assert not Case.objects.exists()


def test_future_exposure_dates_of_a_contact_are_refused(dongguan_epi):
    source = make_case(dongguan_epi, region="441900", name="源", day="2022-03-12", hour=9)
    with pytest.raises(ImportRejected) as caught:
        contacts_import(actor=dongguan_epi, rows=[_contact("F2", source_case_no=source.case_no,
                                                           exposure_end="2099-01-01")])
    # Beyond the plausible window: the form's own refusal (inside it, "after the day it was listed").
    messages = {(e["column"], e["message"]) for e in caught.value.errors}
    latest = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    assert messages == {("exposure_end", f"Enter a date up to {latest}.")}
    assert not Contact.objects.exists()
