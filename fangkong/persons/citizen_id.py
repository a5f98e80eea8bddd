"""Citizen identity numbers (GB 11643-1999): validation, legacy 15-digit upgrade, masking.

An 18-character number is ``RRRRRR YYYYMMDD SSS C``: the address code, the birth date, a sequence
number whose parity is the sex (odd = male), and a check character computed with ISO 7064 MOD 11-2
(``X`` stands for 10). The legacy 15-digit form has a two-digit year (19YY) and no check character.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# Province-level codes of GB/T 2260 (incl. 71 Taiwan, 81 Hong Kong, 82 Macao).
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
CHECK_CHARS = "10X98765432"


class CitizenIdError(ValueError):
    """A citizen ID that is not valid; the message says why."""


@dataclass(frozen=True)
class CitizenId:
    number: str  # always the 18-character form
    birth_date: dt.date
    sex: str  # "M" or "F"

    @property
    def masked(self) -> str:
        return mask_citizen_id(self.number)


def check_character(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def _birth_date(text: str) -> dt.date:
    try:
        born = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError as exc:
        raise CitizenIdError(_("the birth date in the citizen ID is not a real date")) from exc
    if born > dt.date.today() or born.year < 1890:
        raise CitizenIdError(_("the birth date in the citizen ID is impossible"))
    return born


def parse_citizen_id(raw: str) -> CitizenId:
    """Validate an 18- or 15-character citizen ID and return its 18-character form and content."""
    text = (raw or "").strip().upper()
    if len(text) == 15 and text.isdigit():
        first17 = text[:6] + "19" + text[6:]
        text = first17 + check_character(first17)
    elif len(text) != 18:
        raise CitizenIdError(_("a citizen ID has 18 characters (or 15 digits in the legacy form)"))
    elif not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise CitizenIdError(_("a citizen ID is 17 digits followed by a digit or X"))
    elif check_character(text[:17]) != text[17]:
        raise CitizenIdError(_("the check character of the citizen ID is wrong"))
    if text[:2] not in PROVINCE_CODES:
        raise CitizenIdError(_("the citizen ID does not start with a province code"))
    born = _birth_date(text[6:14])
    return CitizenId(number=text, birth_date=born, sex="M" if int(text[16]) % 2 else "F")


def mask_citizen_id(number: str) -> str:
    """``440304199001011234`` → ``440304************``: the region digits only.

    The birth date is shown beside the mask, so any digit of the sequence or the check character would
    narrow the number to a few candidates (the last four: to exactly one). Pages drop even the region
    digits for a reader who may not see that region (``fangkong.persons.shown``).
    """
    return number[:6] + "*" * (len(number) - 6)
