"""reports_import: all rows valid or nothing saved, errors per row; importing the same file twice is
harmless; a changed value is a correction; sites outside the importer's regions are unknown."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from fangkong.audit.models import AuditEvent
from fangkong.surveillance.models import SentinelReport, SentinelReportRevision
from fangkong.surveillance.services import parse_report_file, reports_import

CSV = (
    b"site,indicator,date,count,denominator\n"
    b"FT1,fever_clinic_visits,2022-03-01,12,\n"
    b"FT1,ili_consultations,2022-03-01,5,200\n"
    b"LH1,fever_clinic_visits,2022-03-01,30,\n"
)


@pytest.fixture
def sites(futian_site, luohu_site, guangzhou_site):
    return futian_site, luohu_site, guangzhou_site


def test_a_valid_file_is_imported_and_audited(shenzhen_epi, sites):
    result = reports_import(actor=shenzhen_epi, rows=parse_report_file("day.csv", CSV), source="day.csv")
    assert (result.created, result.corrected, result.unchanged) == (3, 0, 0)
    assert SentinelReport.objects.get(site__code="FT1", indicator__code="ili_consultations").denominator == 200
    event = AuditEvent.objects.get(action="import", object_type="surveillance.sentinelreport")
    assert event.detail == {"created": 3, "corrected": 0, "unchanged": 0}


def test_importing_the_same_file_twice_changes_nothing(shenzhen_epi, sites):
    reports_import(actor=shenzhen_epi, rows=parse_report_file("day.csv", CSV))
    result = reports_import(actor=shenzhen_epi, rows=parse_report_file("day.csv", CSV))
    assert (result.created, result.corrected, result.unchanged) == (0, 0, 3)
    assert SentinelReport.objects.count() == 3


def test_a_changed_value_is_a_correction(shenzhen_epi, sites):
    reports_import(actor=shenzhen_epi, rows=parse_report_file("day.csv", CSV))
    changed = CSV.replace(b"LH1,fever_clinic_visits,2022-03-01,30", b"LH1,fever_clinic_visits,2022-03-01,31")
    result = reports_import(actor=shenzhen_epi, rows=parse_report_file("day.csv", changed))
    assert (result.created, result.corrected, result.unchanged) == (0, 1, 2)
    assert SentinelReport.objects.get(site__code="LH1").count == 31
    assert SentinelReportRevision.objects.get().count == 30


def test_one_bad_row_saves_nothing_and_names_the_row(shenzhen_epi, sites):
    bad = CSV + b"FT1,fever_clinic_visits,2022-03-02,-4,\nXX9,fever_clinic_visits,2022-03-02,1,\n"
    with pytest.raises(ValidationError) as error:
        reports_import(actor=shenzhen_epi, rows=parse_report_file("day.csv", bad))
    errors = error.value.message_dict
    assert set(errors) == {"row 4", "row 5"}
    assert "count" in errors["row 4"][0] and "site" in errors["row 5"][0]
    assert SentinelReport.objects.count() == 0


def test_a_site_of_another_city_is_unknown_to_the_importer(shenzhen_epi, sites):
    rows = [{"site": "GZ1", "indicator": "fever_clinic_visits", "date": "2022-03-01", "count": "3"}]
    with pytest.raises(ValidationError) as error:
        reports_import(actor=shenzhen_epi, rows=rows)
    assert "site" in error.value.message_dict["row 1"][0]
    assert SentinelReport.objects.count() == 0


def test_a_reporter_may_not_import(futian_reporter, sites):
    rows = [{"site": "FT1", "indicator": "fever_clinic_visits", "date": "2022-03-01", "count": "3"}]
    with pytest.raises(ValidationError):
        reports_import(actor=futian_reporter, rows=rows)
    assert SentinelReport.objects.count() == 0


def test_the_same_key_twice_in_a_file_is_refused(shenzhen_epi, sites):
    twice = CSV + b"FT1,fever_clinic_visits,2022-03-01,13,\n"
    with pytest.raises(ValidationError) as error:
        reports_import(actor=shenzhen_epi, rows=parse_report_file("day.csv", twice))
    assert "row 1" in error.value.message_dict["row 4"][0]
    assert SentinelReport.objects.count() == 0


def test_missing_columns_are_refused(shenzhen_epi, sites):
    with pytest.raises(ValidationError) as error:
        reports_import(actor=shenzhen_epi, rows=parse_report_file("x.csv", b"site,count\nFT1,3\n"))
    assert "file" in error.value.message_dict


def test_an_xlsx_file_is_read(shenzhen_epi, sites):
    book = Workbook()
    sheet = book.active
    sheet.append(["site", "indicator", "date", "count", "denominator"])
    sheet.append(["FT1", "fever_clinic_visits", "2022-03-01", 7, None])
    buffer = io.BytesIO()
    book.save(buffer)
    result = reports_import(actor=shenzhen_epi, rows=parse_report_file("day.xlsx", buffer.getvalue()))
    assert result.created == 1
    assert SentinelReport.objects.get().count == 7


def test_a_broken_xlsx_gets_a_clear_error(sites):
    with pytest.raises(ValidationError) as error:
        parse_report_file("day.xlsx", b"not a zip")
    assert "file" in error.value.message_dict


def test_a_file_naming_many_sites_is_checked_the_same(shenzhen_epi, sites, monkeypatch):
    from fangkong.surveillance import reports

    monkeypatch.setattr(reports, "BULK_LOOKUP", 0)  # every import reads all active sites
    bad = CSV + (b"GZ1,fever_clinic_visits,2022-03-01,3,\n"  # another city's site: unknown
                 b"XX9,fever_clinic_visits,2022-03-01,1,\n"  # no such site
                 b"LH1,ili_consultations,2022-03-01,1,10\n"  # a site that does not report ILI
                 b"LH1,fever_clinic_visits,2099-03-01,1,\n")  # a future date
    with pytest.raises(ValidationError) as error:
        reports_import(actor=shenzhen_epi, rows=parse_report_file("day.csv", bad))
    errors = error.value.message_dict
    assert set(errors) == {"row 4", "row 5", "row 6", "row 7"}
    assert "site" in errors["row 4"][0] and "site" in errors["row 5"][0]
    assert "indicator" in errors["row 6"][0] and "date" in errors["row 7"][0]
    assert SentinelReport.objects.count() == 0
    result = reports_import(actor=shenzhen_epi, rows=parse_report_file("day.csv", CSV))
    assert (result.created, result.corrected, result.unchanged) == (3, 0, 0)
    assert set(SentinelReport.objects.values_list("site__code", "date")) == {
        ("FT1", dt.date(2022, 3, 1)), ("LH1", dt.date(2022, 3, 1))}
