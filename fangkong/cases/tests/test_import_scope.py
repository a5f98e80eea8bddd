"""An import names other cases (a contact's source case, a case's infector) the way the page and the API
do: only cases the importer may read. A case of another region is unknown to the file — the row is refused
with exactly the answer a number that does not exist gets, so an import cannot link a row to a case outside
the importer's area nor tell which case numbers exist there (numbers like 440104-2022-00001 are guessable)."""

from __future__ import annotations

import pytest

from fangkong.cases.imports import ImportRejected, cases_import, contacts_import
from fangkong.cases.models import Case, Contact
from fangkong.cases.tests.builders import make_case
from fangkong.cases.tests.test_imports_scale import _case, _contact

pytestmark = pytest.mark.django_db


def _verdict(run) -> list[tuple[str, str]] | None:
    try:
        run()
    except ImportRejected as exc:
        return sorted((error["column"], error["message"]) for error in exc.errors)
    return None


@pytest.fixture
def cases_both_sides(shenzhen_epi, guangzhou_epi):
    own = make_case(shenzhen_epi, region="440304", name="深圳源病例", day="2022-03-12")
    elsewhere = make_case(guangzhou_epi, region="440104", name="广州源病例", day="2022-03-12")
    return own, elsewhere


def _contact_row(source_no: str) -> dict:
    return _contact(f"导入-{source_no}", source_case_no=source_no, region="440304", address_region="440304")


def test_a_contact_of_a_case_elsewhere_is_refused_as_if_the_case_did_not_exist(shenzhen_epi, cases_both_sides):
    own, elsewhere = cases_both_sides
    contacts_before = Contact.objects.count()

    outside = _verdict(lambda: contacts_import(actor=shenzhen_epi, rows=[_contact_row(elsewhere.case_no)]))
    missing = _verdict(lambda: contacts_import(actor=shenzhen_epi, rows=[_contact_row("440104-2022-99999")]))

    assert outside is not None and outside == missing
    assert [column for column, _message in outside] == ["source_case_no"]
    assert Contact.objects.count() == contacts_before
    # the same row naming a case of the importer's area is written, linked to it
    assert _verdict(lambda: contacts_import(actor=shenzhen_epi, rows=[_contact_row(own.case_no)])) is None
    assert Contact.objects.filter(source_case=own).count() == 1


def test_a_case_infected_by_a_case_elsewhere_is_refused_as_if_the_infector_did_not_exist(
        shenzhen_epi, cases_both_sides):
    own, elsewhere = cases_both_sides

    def row(infector_no: str) -> dict:
        return _case(f"导入-{infector_no}", infector_case_no=infector_no, report_region="440304",
                     address_region="440304")

    outside = _verdict(lambda: cases_import(actor=shenzhen_epi, rows=[row(elsewhere.case_no)]))
    missing = _verdict(lambda: cases_import(actor=shenzhen_epi, rows=[row("440104-2022-99999")]))

    assert outside is not None and outside == missing
    assert [column for column, _message in outside] == ["infector_case_no"]
    assert not Case.objects.filter(infector=elsewhere).exists()
    assert _verdict(lambda: cases_import(actor=shenzhen_epi, rows=[row(own.case_no)])) is None
    assert Case.objects.filter(infector=own).count() == 1
