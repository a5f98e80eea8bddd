"""Readable case numbers: county code, year of report, sequence — ``440304-2022-00123``.

A number can be read out on the telephone and written on a form. The sequence runs per county and year
(``CaseNumberSequence``); drawing increments the counter row in the caller's transaction, so a concurrent
registration waits for the row until that transaction ends and then draws the next number (on SQLite
writes are serialised anyway). A number already taken — an imported case keeps the number it came with —
is skipped. A registration that is rolled back rolls its draw back too, so the sequence has no gaps.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F

from fangkong.cases.models import Case, CaseNumberSequence

WIDTH = 5  # 00123; a county with more cases in a year simply gets longer numbers


def case_number_format(county: str, year: int, sequence: int) -> str:
    return f"{county}-{year}-{sequence:0{WIDTH}d}"


def _counter(county: str, year: int) -> None:
    """Make sure the counter row exists (a concurrent creation of the same row is not an error)."""
    if CaseNumberSequence.objects.filter(county=county, year=year).exists():
        return
    try:
        with transaction.atomic():
            CaseNumberSequence.objects.create(county=county, year=year)
    except IntegrityError:
        pass  # created by a concurrent registration meanwhile


def case_number_draw(*, region_code: str, report_date: dt.date) -> str:
    """The next free number of the county of ``region_code`` (its first six digits) for the year of
    ``report_date``. Call inside the transaction that saves the case."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("draw case numbers inside the transaction that saves the case")
    county, year = region_code[:6], report_date.year
    _counter(county, year)
    rows = CaseNumberSequence.objects.filter(county=county, year=year)
    while True:
        rows.update(last=F("last") + 1)  # takes the row's lock until the transaction ends
        number = case_number_format(county, year, rows.values_list("last", flat=True).get())
        if not Case.objects.filter(case_no=number).exists():
            return number
