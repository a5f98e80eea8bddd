"""Readable case and contact numbers: county code, year, sequence — ``440304-2022-00123`` for a case,
``440304-2022-M00123`` for a contact (M: 密接).

A number can be read out on the telephone and written on a form. The sequence runs per kind, county and
year (``NumberSequence``); drawing increments the counter row in the caller's transaction, so a concurrent
registration waits for the row until that transaction ends and then draws the next number (on SQLite
writes are serialised anyway). A number already taken — an imported case or contact keeps the number it
came with — is skipped. A registration that is rolled back rolls its draw back too, so the sequence has no
gaps.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F

from fangkong.cases.models import Case, Contact, NumberSequence

WIDTH = 5  # 00123; a county with more cases in a year simply gets longer numbers
CONTACT_MARK = "M"  # 密接: a contact's number is never mistaken for a case's


def case_number_format(county: str, year: int, sequence: int) -> str:
    return f"{county}-{year}-{sequence:0{WIDTH}d}"


def contact_number_format(county: str, year: int, sequence: int) -> str:
    return f"{county}-{year}-{CONTACT_MARK}{sequence:0{WIDTH}d}"


def _counter(kind: str, county: str, year: int) -> None:
    """Make sure the counter row exists (a concurrent creation of the same row is not an error)."""
    if NumberSequence.objects.filter(kind=kind, county=county, year=year).exists():
        return
    try:
        with transaction.atomic():
            NumberSequence.objects.create(kind=kind, county=county, year=year)
    except IntegrityError:
        pass  # created by a concurrent registration meanwhile


def _draw(kind: str, region_code: str, day: dt.date, number_format, taken) -> str:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("draw numbers inside the transaction that saves the record")
    county, year = region_code[:6], day.year
    _counter(kind, county, year)
    rows = NumberSequence.objects.filter(kind=kind, county=county, year=year)
    while True:
        rows.update(last=F("last") + 1)  # takes the row's lock until the transaction ends
        number = number_format(county, year, rows.values_list("last", flat=True).get())
        if not taken(number):
            return number


def case_number_draw(*, region_code: str, report_date: dt.date) -> str:
    """The next free number of the county of ``region_code`` (its first six digits) for the year of
    ``report_date``. Call inside the transaction that saves the case."""
    return _draw(NumberSequence.Kind.CASE, region_code, report_date, case_number_format,
                 lambda number: Case.objects.filter(case_no=number).exists())


def contact_number_draw(*, region_code: str, listed_date: dt.date) -> str:
    """The next free number of the managing county of ``region_code`` for the year of ``listed_date``.
    Call inside the transaction that saves the contact."""
    return _draw(NumberSequence.Kind.CONTACT, region_code, listed_date, contact_number_format,
                 lambda number: Contact.objects.filter(contact_no=number).exists())
