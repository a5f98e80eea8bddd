"""The bounded reader of uploaded tables (``fangkong.table_files``): the declared dimension of a sheet is
ignored, caps on bytes, rows and columns refuse a file with the cap (and the row) named and stop reading
there, the kind is judged from name and first bytes, CSV is streamed, rows are compact mappings."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from fangkong import table_files
from fangkong.table_files import TableLimits, TableRejected, read_table
from fangkong.testing.crafted_files import million_row_csv, wide_dimension_xlsx

LIMITS = TableLimits(max_bytes=10 * 1024 * 1024, max_rows=1000, max_columns=8)


def xlsx(rows: list[list], *, declared: str | None = None) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    if declared is None:
        return out.getvalue()
    source, rewritten = zipfile.ZipFile(io.BytesIO(out.getvalue())), io.BytesIO()
    with zipfile.ZipFile(rewritten, "w") as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                head, _, tail = data.partition(b"<dimension ref=")
                data = head + f'<dimension ref="{declared}"'.encode() + tail[tail.index(b"/>"):]
            target.writestr(member, data)
    return rewritten.getvalue()


def test_the_crafted_wide_dimension_xlsx_reads_as_the_rows_it_holds():
    data = wide_dimension_xlsx()
    assert len(data) < 25_000  # the 17 KB file of the report
    assert b"A1:XFD3000" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    rows = read_table(data, "wide.xlsx", TableLimits(max_bytes=1024 * 1024, max_rows=5000))
    assert len(rows) == 2999 and all(len(r.cells) == 1 for r in rows)
    assert dict(rows[-1]) == {"site": "1"}


def test_a_declared_dimension_smaller_than_the_rows_loses_none_of_them():
    data = xlsx([["site", "count"], *[[f"S{n}", n] for n in range(10)]], declared="A1:A2")
    rows = read_table(data, "small.xlsx", LIMITS)
    assert [r["site"] for r in rows] == [f"S{n}" for n in range(10)] and rows[3]["count"] == "3"


def test_a_value_beyond_the_column_cap_is_refused_naming_the_cap_and_the_row():
    data = xlsx([["a", "b"], ["1", "2"], ["x"] + [""] * 20 + ["far"]])
    with pytest.raises(TableRejected) as refused:
        read_table(data, "t.xlsx", LIMITS)
    assert refused.value.row == 3 and "8 columns" in refused.value.message
    with pytest.raises(TableRejected) as wide_header:
        read_table(b",".join(b"c%d" % n for n in range(9)) + b"\n", "t.csv", LIMITS)
    assert wide_header.value.row == 1 and "8 columns" in wide_header.value.message


def test_a_file_over_the_row_cap_stops_being_read_at_the_cap(monkeypatch):
    read = []
    texts = table_files._text
    monkeypatch.setattr(table_files, "_text", lambda value: read.append(1) or texts(value))
    with pytest.raises(TableRejected) as refused:
        read_table(million_row_csv(), "m.csv", LIMITS)
    assert refused.value.row == 1002 and "1,000 rows" in refused.value.message
    assert len(read) < 5 * 1002  # the million rows were not all read


def test_a_file_over_the_byte_cap_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(table_files, "_csv_rows", lambda *a: pytest.fail("read"))

    class Upload(io.BytesIO):
        size = 10 * 1024 * 1024 + 1

    with pytest.raises(TableRejected) as refused:
        read_table(Upload(b"a,b\n"), "big.csv", LIMITS)
    assert "10 MB" in refused.value.message and "11 MB" not in refused.value.message
    with pytest.raises(TableRejected):
        read_table(b"x" * (LIMITS.max_bytes + 1), "big.csv", LIMITS)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("report.txt", b"a,b\n1,2\n", "CSV or XLSX"),
    ("report.xlsx", b"a,b\n1,2\n", "not a readable XLSX"),
    ("report.csv", xlsx([["a"], ["1"]]), "name it .xlsx"),
    ("report.csv", "a,b\n1,\xe9\n".encode("latin-1"), "UTF-8"),
    ("report.csv", b"a,b\n1,\x002\n", "cannot be read as CSV"),
])
def test_the_kind_and_the_encoding_are_judged_with_a_clear_error(name, data, message):
    with pytest.raises(TableRejected) as refused:
        read_table(data, name, LIMITS)
    assert message in refused.value.message


def test_an_archive_that_unpacks_beyond_the_cap_is_refused_before_openpyxl_opens_it(monkeypatch):
    data = xlsx([["a"], ["1"]])
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for member in zipfile.ZipFile(io.BytesIO(data)).infolist():
            target.writestr(member, zipfile.ZipFile(io.BytesIO(data)).read(member.filename))
        target.writestr("xl/sharedStrings.xml", b" " * (LIMITS.max_bytes + 1))  # packs to a few KB
    assert len(bomb.getvalue()) < 100_000
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: pytest.fail("opened"))
    with pytest.raises(TableRejected) as refused:
        read_table(bomb.getvalue(), "bomb.xlsx", LIMITS)
    assert "unpacks to more than" in refused.value.message


def test_csv_rows_are_stripped_compact_mappings_and_blank_rows_are_skipped():
    data = "\ufeffSite , Count,\n FT1 ,3\n\n,,\nLH1,\n".encode()
    rows = read_table(data, "r.csv", LIMITS)
    assert [dict(r) for r in rows] == [{"site": "FT1", "count": "3"}, {"site": "LH1", "count": ""}]
    assert rows[0].get("missing") is None and "site" in rows[0] and rows[1]["count"] == ""
    assert not hasattr(rows[0], "__dict__")  # one tuple per row, the header shared
    again = read_table(b"d\n2022-03-01\n2022-03-01\n", "d.csv", LIMITS)
    assert again[0]["d"] is again[1]["d"]  # a repeated short text is kept once
