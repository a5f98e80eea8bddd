"""Fixtures of the laboratory module's own tests: a Shenzhen laboratory with a staff member of the
laboratory role, a Futian round of 5/10-in-1 pools, and registered persons with their citizen IDs."""

from __future__ import annotations

import pytest

from fangkong.testing.builders import make_person, make_user


@pytest.fixture
def lab_user(db):
    from fangkong.accounts.roles import Role

    return make_user("sz_lab", ("440300", Role.LABORATORY))


@pytest.fixture
def lab(shenzhen_epi, lab_user):
    from fangkong.laboratory.services import laboratory_create

    return laboratory_create(actor=shenzhen_epi, name="深圳测试实验室", region="440300", daily_capacity=5000,
                             staff=[lab_user])


@pytest.fixture
def screening(shenzhen_epi):
    import datetime as dt

    from fangkong.laboratory.services import round_create

    return round_create(actor=shenzhen_epi, county="440304", name="福田第一轮", starts_on=dt.date(2022, 3, 14),
                        population=1000, expected_prevalence=0.001, pool_sizes=[5, 10])


@pytest.fixture
def people(shenzhen_epi):
    """Twelve Futian residents: (person, citizen ID)."""
    from fangkong.persons.citizen_id import check_character

    out = []
    for i in range(12):
        first17 = f"44030419900101{i * 2 + 1:03d}"
        number = first17 + check_character(first17)
        out.append((make_person(shenzhen_epi, name=f"受检者{i}", region="440304", cid=number), number))
    return out
