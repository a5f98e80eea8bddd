"""What of a person each reader is shown: the one place pages, API serializers and exports take person fields from.

``person_shown(user, person, region_code)`` reads the need-to-know matrix (``fangkong.accounts.need_to_know``)
for the row's region and returns only the fields of the reader's category:

- ``named`` (and ``identifiers``, whose clear values come only from an audited reveal): name, sex, birth
  date, address, the citizen ID mask and the phone mask;
- ``pseudonymised``: sex, an age band and the address region — no name, no identifier, no phone, no
  address, no birth date;
- nothing (None) below that.

Masks that nothing else shown can undo (issue 13): a citizen ID is ``RRRRRR YYYYMMDD SSS C``; the birth
date is shown to named readers, so a mask showing any of the sequence digits or the check character
would leave a handful of candidates (the last four with the birth date: exactly one). The mask keeps the
first six digits (the region of registration) only, and only when that region lies where the reader may
read named data anyway; otherwise it is all stars. With birth date, sex and region known, 500 numbers
remain possible. A phone mask keeps the last four digits and nothing else (10^7 candidates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fangkong.accounts.need_to_know import Category, Reach, may_read, person_level

CITIZEN_ID_STARS = "*" * 18


@dataclass(frozen=True)
class PersonShown:
    level: str
    person_id: int | None  # named readers only: the person's page
    sex: str
    sex_label: str
    address_region: str
    name: str = ""
    birth_date: dt.date | None = None
    age_band: str = ""
    citizen_id: str = ""  # the mask (see the module docstring)
    phone: str = ""       # the mask
    address_text: str = ""

    @property
    def named(self) -> bool:
        return self.level != Category.PSEUDONYMISED


def age_band(birth_date: dt.date | None, on: dt.date | None = None) -> str:
    """Ten-year band of the age on ``on`` (today): ``30–39``; ``80+``; empty when unknown."""
    if birth_date is None:
        return ""
    on = on or dt.date.today()
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    if age >= 80:
        return "80+"
    low = max(age, 0) // 10 * 10
    return f"{low}–{low + 9}"


def citizen_id_shown(user, masked: str) -> str:
    """The stored mask as this reader may see it: its six region digits only where it may read named data."""
    if not masked:
        return ""
    region = masked[:6]
    if region.isdigit() and may_read(user, Category.NAMED, region):
        return region + "*" * (len(masked) - 6)
    return CITIZEN_ID_STARS


def person_shown(user, person, region_code: str | None, *, reach: str = Reach.REGION) -> PersonShown | None:
    """The fields of ``person`` the user may see on a row of ``region_code`` (None: not even the row).
    ``reach``: a module reach (``Reach.OWN_ENTERPRISES``) when the caller's selector has already kept the row
    to that reach of the user — the row is then shown at the level the user reads there."""
    level = person_level(user, region_code, reach=reach)
    if level is None:
        return None
    base = {"level": level, "sex": person.sex, "sex_label": person.get_sex_display(),
            "address_region": person.address_region_id}
    if level == Category.PSEUDONYMISED:
        return PersonShown(person_id=None, age_band=age_band(person.birth_date), **base)
    return PersonShown(person_id=person.pk, name=person.name, birth_date=person.birth_date,
                       age_band=age_band(person.birth_date), citizen_id=citizen_id_shown(user, person.citizen_id_masked),
                       phone=person.phone_masked, address_text=person.address_text, **base)
