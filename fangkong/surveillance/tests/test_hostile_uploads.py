"""Hostile uploads at the sentinel-report import (API and page): the caller's capability is checked before
the file is read, then its kind and size; a file over a cap is refused naming the cap (and the row); the
crafted files of issue 14 get a clear 400, never a 500; nothing is saved."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fangkong import table_files
from fangkong.surveillance.models import SentinelReport
from fangkong.surveillance.services import IMPORT_LIMITS
from fangkong.testing.crafted_files import large_csv, million_row_csv, wide_dimension_xlsx

pytestmark = pytest.mark.django_db
API = "surveillance-api:report-import-file"
PAGE = "surveillance:import"


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def nothing_read(monkeypatch):
    """Fails the test if any upload is read: the reader's entry points."""
    for name in ("read_table", "upload_check", "kind_of", "size_check"):
        monkeypatch.setattr(table_files, name, lambda *a, _name=name, **k: pytest.fail(f"{_name} was called"))


@pytest.mark.parametrize("where", [API, PAGE])
def test_an_analysts_import_is_refused_before_the_file_is_parsed(client, analyst, futian_site, nothing_read,
                                                                 where):
    data = million_row_csv()  # a million rows: seconds to parse
    client.force_login(analyst)
    response = client.post(reverse(where), {"file": SimpleUploadedFile("m.csv", data)})
    assert response.status_code == 403
    if where == API:
        assert response.json()["error"]["code"] == "permission_denied"
    assert SentinelReport.objects.count() == 0


def test_a_reporter_without_the_import_capability_is_refused_too(client, futian_reporter, nothing_read):
    client.force_login(futian_reporter)
    response = client.post(reverse(API), {"file": SimpleUploadedFile("d.csv", b"site\n")})
    assert response.status_code == 403


@pytest.mark.parametrize(("where", "megabytes"), [(API, 50), (PAGE, 17)])
def test_a_file_over_the_byte_cap_is_refused_naming_it_before_it_is_read(client, shenzhen_epi, futian_site,
                                                                        monkeypatch, where, megabytes):
    monkeypatch.setattr(table_files, "_csv_rows", lambda *a: pytest.fail("the file was read"))
    client.force_login(shenzhen_epi)
    response = client.post(reverse(where), {"file": SimpleUploadedFile("big.csv", large_csv(megabytes))})
    assert response.status_code == 400
    text = response.json()["error"]["fields"]["file"][0] if where == API else response.content.decode()
    assert "at most 16 MB" in text and f"{megabytes} MB" in text
    assert SentinelReport.objects.count() == 0


@pytest.mark.parametrize("where", [API, PAGE])
def test_a_million_rows_are_refused_at_the_row_cap(client, shenzhen_epi, futian_site, monkeypatch, where):
    from fangkong.surveillance import reports

    limits = table_files.TableLimits(max_bytes=IMPORT_LIMITS.max_bytes, max_rows=10_000, max_columns=16)
    monkeypatch.setattr(reports, "IMPORT_LIMITS", limits)  # the cap met sooner: the same path, less waiting
    client.force_login(shenzhen_epi)
    response = client.post(reverse(where), {"file": SimpleUploadedFile("m.csv", million_row_csv())})
    assert response.status_code == 400
    text = response.json()["error"]["fields"]["file"][0] if where == API else response.content.decode()
    assert "more than 10,000 rows" in text and "row 10,002" in text
    assert SentinelReport.objects.count() == 0


def test_the_wide_dimension_xlsx_is_read_as_it_is(client, shenzhen_epi, futian_site):
    client.force_login(shenzhen_epi)
    response = client.post(reverse(API), {"file": SimpleUploadedFile("wide.xlsx", wide_dimension_xlsx())})
    assert response.status_code == 400  # its one column is not a report: the columns are named
    assert "site, indicator, date, count" in str(response.json()["error"]["fields"])
    assert SentinelReport.objects.count() == 0


@pytest.mark.parametrize(("name", "data", "message"), [
    ("day.txt", b"site,indicator,date,count\n", "CSV or XLSX"),
    ("day.xlsx", b"site,indicator,date,count\n", "not a readable XLSX"),
    ("day.csv", b"site,indicator,date,count\nFT1,fever\x00_clinic_visits,2022-03-01,1\n", "NUL"),
])
def test_a_file_of_another_kind_or_unreadable_gets_a_clear_error(client, shenzhen_epi, futian_site, name, data,
                                                                  message):
    client.force_login(shenzhen_epi)
    response = client.post(reverse(API), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 400 and message in response.json()["error"]["fields"]["file"][0]
