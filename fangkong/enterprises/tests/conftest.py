"""Fixtures of the enterprises module's own tests: credit codes with a valid check character, a Futian
enterprise, its contact and the county's commander."""

from __future__ import annotations

import pytest

from fangkong.accounts.roles import Role
from fangkong.keypopulations.services import employer_access_grant
from fangkong.places.credit_code import check_character
from fangkong.testing.builders import make_user


def credit_code(n: int, region: str = "440300") -> str:
    """A well-formed unified social credit code numbered ``n`` (its check character computed)."""
    first = f"91{region}{n:08d}X"[:17]
    return first + check_character(first)


@pytest.fixture
def enterprise_data():
    def make(n: int, **over) -> dict:
        data = {"credit_code": credit_code(n), "name": f"测试企业{n}", "sector": "electronics", "size": "medium",
                "region": "440304", "address": f"福田区测试路{n}号", "staff": 100 + n}
        data.update(over)
        return data
    return make


@pytest.fixture
def sysadmin_grants(sysadmin):
    def grant(user, code: str):
        employer_access_grant(actor=sysadmin, user=user, employer_code=code)
    return grant


@pytest.fixture
def contact(db):
    return make_user("ent_contact", ("440300", Role.ENTERPRISE_CONTACT))
