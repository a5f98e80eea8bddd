"""Uploaded tables (CSV and XLSX) read in bounded memory: the one reader of every import.

A file is judged before any work is done on it, in this order: its **kind** (``kind_of``: the name ends in
``.csv`` or ``.xlsx``, and an XLSX is a ZIP archive while a CSV is not), its **size** against the import's
byte cap (``size_check``, from the upload's declared size, before it is read), then, while it is read,
its **rows** and **columns** against their caps. Each refusal is a ``TableRejected`` naming the cap (and
the row where it was met), and the reading stops there: a file over a cap costs no more than the rows
read up to it.

- XLSX: the archive's members are checked before openpyxl opens it (their unpacked size — a "ZIP bomb" —
  and the shared-strings table that openpyxl keeps in memory); the sheet is streamed (``read_only``) and
  **the sheet's declared ``<dimension>`` is ignored**: a 17 KB file declaring ``A1:XFD3000`` would
  otherwise have every row padded to 16,384 cells (and one declaring less than it holds would lose rows).
  Each row is as wide as its last cell (at most 16,384 cells, one row at a time); the first whose last
  value lies beyond the column cap is refused.
- CSV: UTF-8 (with or without BOM), decoded and parsed as a stream, never as one string.
- The rows come back as ``Row``s: read-only mappings of the header's names to the cells' stripped texts,
  sharing one header (a dict per row cost about three times the memory), repeated short texts (dates,
  codes, categories) stored once. Blank rows are skipped; header names are stripped and lower-cased.

Peak memory is therefore bounded by the caps: the file itself, plus per row read about 200 bytes and its
distinct texts — figures per crafted file and for a million contacts in ``docs/benchmarks.md``
(``benchmarks/bench_table_files.py``).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

KINDS = ("csv", "xlsx")
XLSX_MAGIC = b"PK\x03\x04"
SHORT_TEXT = 32  # texts up to this length are kept once per column (dates, codes, categories repeat)
CACHE_PER_COLUMN = 50_000  # distinct short texts remembered per column


@dataclass(frozen=True)
class TableLimits:
    """The caps of one kind of import."""

    max_bytes: int
    max_rows: int  # data rows, the header not counted
    max_columns: int = 64

    @property
    def max_unpacked_bytes(self) -> int:
        """An XLSX's members unpacked, in all: its XML is several times its packed size."""
        return 10 * self.max_bytes


class TableRejected(Exception):
    """The file was refused before or while it was read: ``message`` names the cap or the fault; ``row``
    is the row of the file where it was met (the header is row 1), 0 when it is the file as a whole."""

    def __init__(self, message: str, *, row: int = 0):
        super().__init__(message)
        self.message = message
        self.row = row


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def kind_of(name: str, head: bytes) -> str:
    """``csv`` or ``xlsx`` from the file's name and first bytes; ``TableRejected`` for anything else."""
    lowered = (name or "").lower()
    kind = next((k for k in KINDS if lowered.endswith(f".{k}")), None)
    if kind is None:
        raise TableRejected(_("Choose a CSV or XLSX file (the name ends in .csv or .xlsx)."))
    if kind == "xlsx" and not head.startswith(XLSX_MAGIC):
        raise TableRejected(_("This is not a readable XLSX file."))
    if kind == "csv" and head.startswith(XLSX_MAGIC):
        raise TableRejected(_("This file is a spreadsheet (XLSX), not a CSV file: name it .xlsx."))
    return kind


def size_check(size: int, limits: TableLimits) -> None:
    """``TableRejected`` naming the cap when a file of ``size`` bytes is over it."""
    if size > limits.max_bytes:
        raise TableRejected(_("The file is %(size)s: at most %(cap)s may be imported at once.")
                            % {"size": _megabytes(size), "cap": _megabytes(limits.max_bytes)})


def upload_check(upload, limits: TableLimits) -> str:
    """Kind and size of an upload (Django's ``UploadedFile``) before it is read; its kind."""
    size_check(upload.size, limits)
    head = upload.read(len(XLSX_MAGIC))
    upload.seek(0)
    return kind_of(upload.name, head)


class Row(Mapping):
    """One row: the header's names → the cells' stripped texts (``""`` for a missing cell). Read-only."""

    __slots__ = ("cells",)
    index: dict[str, int] = {}  # per table: a subclass sets the header's positions

    def __init__(self, cells: tuple[str, ...]):
        self.cells = cells

    def __getitem__(self, name: str) -> str:
        position = self.index[name]
        return self.cells[position] if position < len(self.cells) else ""

    def get(self, name, default=None):
        position = self.index.get(name)
        if position is None:
            return default
        return self.cells[position] if position < len(self.cells) else ""

    def __iter__(self):
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)

    def __repr__(self) -> str:
        return f"Row({dict(self)!r})"


def _row_class(header: list[str]) -> type[Row]:
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        if name and name not in index:  # the first of two columns of the same name counts
            index[name] = position
    return type("TableRow", (Row,), {"__slots__": (), "index": index})


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute) != (0, 0) or value.second \
            else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data, name: str, limits: TableLimits) -> list[Row]:
    """The data rows of a CSV or XLSX file (``data``: bytes, or a binary file such as an upload), within
    ``limits``. ``TableRejected`` for a file of another kind, over a cap, or that cannot be read. The size
    (of bytes, or an upload's declared ``size``) and the kind are checked before anything is read."""
    in_memory = isinstance(data, bytes | bytearray | memoryview)
    stream = io.BytesIO(data) if in_memory else data
    size = len(data) if in_memory else getattr(data, "size", None)
    if size is not None:
        size_check(size, limits)
    head = stream.read(len(XLSX_MAGIC))
    stream.seek(0)
    kind = kind_of(name, head)
    cells = _xlsx_rows(stream, limits) if kind == "xlsx" else _csv_rows(stream)
    return _rows(cells, limits)


def _rows(cells: Iterator[tuple], limits: TableLimits) -> list[Row]:
    header_cells = next(cells, None)
    if header_cells is None:
        return []
    header = [_text(c).lower() for c in header_cells]
    while header and not header[-1]:
        header.pop()
    if len(header) > limits.max_columns:
        raise TableRejected(_("The file has more than %(cap)d columns.") % {"cap": limits.max_columns}, row=1)
    row_class = _row_class(header)
    caches = [{} for _ in range(limits.max_columns)]
    rows: list[Row] = []
    for number, raw in enumerate(cells, start=2):
        if number - 1 > limits.max_rows:
            raise TableRejected(_("The file has more than %(cap)s rows (the cap is met at row %(row)s).")
                                % {"cap": f"{limits.max_rows:,}", "row": f"{number:,}"}, row=number)
        texts = [_text(c) for c in raw]
        while texts and not texts[-1]:
            texts.pop()
        if not texts:
            continue  # a blank row
        if len(texts) > limits.max_columns:
            raise TableRejected(_("Row %(row)s has more than %(cap)d columns.")
                                % {"row": f"{number:,}", "cap": limits.max_columns}, row=number)
        for position, text in enumerate(texts):
            if len(text) <= SHORT_TEXT:
                cache = caches[position]
                kept = cache.get(text)
                if kept is not None:
                    texts[position] = kept
                elif len(cache) < CACHE_PER_COLUMN:
                    cache[text] = text
        rows.append(row_class(tuple(texts)))
    return rows


def _lines_without_nul(text) -> Iterator[str]:
    for line in text:
        if "\x00" in line:
            raise csv.Error(_("a NUL character, which cannot be stored"))
        yield line


def _csv_rows(stream) -> Iterator[list[str]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    number = 0
    try:
        for number, row in enumerate(csv.reader(_lines_without_nul(text)), start=1):  # noqa: B007 - for errors
            yield row
    except UnicodeDecodeError as exc:
        raise TableRejected(_("The file is not UTF-8 text."), row=number + 1) from exc
    except csv.Error as exc:
        raise TableRejected(_("Row %(row)s cannot be read as CSV: %(error)s")
                            % {"row": f"{number + 1:,}", "error": exc}, row=number + 1) from exc
    finally:
        with contextlib.suppress(ValueError):  # the caller's stream may be gone already
            text.detach()  # leave the caller's stream open


def _xlsx_rows(stream, limits: TableLimits) -> Iterator[tuple]:
    from openpyxl import load_workbook

    _zip_check(stream, limits)
    stream.seek(0)
    try:
        book = load_workbook(stream, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise TableRejected(_("This is not a readable XLSX file.")) from exc
    try:
        sheet = book.active
        sheet.reset_dimensions()  # never trust the declared <dimension>: rows are read as they are
        yield from sheet.iter_rows(values_only=True)  # each row as wide as its last cell
    except TableRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken sheet inside a sound archive
        raise TableRejected(_("This is not a readable XLSX file.")) from exc
    finally:
        book.close()


def _zip_check(stream, limits: TableLimits) -> None:
    """Refuse an archive whose members would unpack beyond the caps before openpyxl reads any of them."""
    try:
        members = zipfile.ZipFile(stream).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableRejected(_("This is not a readable XLSX file.")) from exc
    unpacked = sum(m.file_size for m in members)
    shared = sum(m.file_size for m in members if m.filename.lower().endswith("sharedstrings.xml"))
    if len(members) > 1000 or unpacked > limits.max_unpacked_bytes or shared > limits.max_bytes:
        raise TableRejected(_("The spreadsheet unpacks to more than %(cap)s: save it as CSV, or import it in "
                              "parts.") % {"cap": _megabytes(limits.max_unpacked_bytes)})
