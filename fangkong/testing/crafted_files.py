"""Hostile upload files, made on the spot for the tests and the memory benchmark (nothing is stored).

- ``wide_dimension_xlsx``: a valid, small XLSX (about 17 KB) whose sheet declares ``<dimension
  ref="A1:XFD3000"/>`` — 16,384 columns — while its 3,000 rows hold one cell each. A reader that trusts the
  declaration pads every row to 16,384 cells (a 16.9 KB file raised a server from 184 MB to 559 MB).
- ``million_row_csv``: a 5 MB CSV of a million short rows (sentinel-report columns).
- ``large_csv``: a CSV of about ``megabytes`` MB (50 by default) of plausible report rows.
"""

from __future__ import annotations

import io
import re
import zipfile

REPORT_HEADER = b"site,indicator,date,count\n"


def wide_dimension_xlsx(rows: int = 3000, declared: str = "A1:XFD3000") -> bytes:
    """An XLSX of ``rows`` rows of one cell whose sheet declares the range ``declared``."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["site"])
    for _ in range(1, rows):
        sheet.append([1])
    packed = io.BytesIO()
    book.save(packed)
    source = zipfile.ZipFile(io.BytesIO(packed.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{declared}"/>'.encode(), data)
                assert declared.encode() in data
            target.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def million_row_csv(rows: int = 1_000_000) -> bytes:
    """A CSV of ``rows`` rows of 5 bytes after the report header (about 5 MB for a million)."""
    return REPORT_HEADER + b"a,b,\n" * rows


def large_csv(megabytes: int = 50) -> bytes:
    """About ``megabytes`` MB of report rows (site, indicator, date, count)."""
    row = b"SITE-000001,fever_clinic_visits,2022-03-01,12\n"
    return REPORT_HEADER + row * (megabytes * 1024 * 1024 // len(row))
