"""Builders that tests use to make users, persons and citizen IDs through the real services."""

from __future__ import annotations

import datetime as dt
import itertools

from fangkong.accounts.models import User
from fangkong.accounts.services import user_create
from fangkong.persons.citizen_id import check_character
from fangkong.persons.services import person_register

PASSWORD = "correct-horse-battery-9"  # noqa: S105
_sequence = itertools.count(100)


def citizen_id(region: str = "440304", born: dt.date = dt.date(1990, 1, 1), male: bool = True) -> str:
    """A valid 18-character citizen ID (fresh sequence number each call)."""
    seq = next(_sequence) % 1000
    seq = seq if (seq % 2 == 1) == male else (seq + 1) % 1000
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)


def make_user(username: str, *memberships: tuple[str, str]) -> User:
    return user_create(username=username, password=PASSWORD, memberships=memberships, validate_password=False)


def make_person(actor, *, name: str, region: str, phone: str = "", cid: str | None = None, **extra):
    return person_register(
        actor=actor, name=name, address_region=region, citizen_id=cid if cid is not None else citizen_id(region),
        phone=phone, **extra,
    ).person
