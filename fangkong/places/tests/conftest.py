"""Fixtures of the places tests: an inspector of Guangzhou and one of Shenzhen, a Shenzhen commander."""

import pytest

from fangkong.accounts.roles import Role
from fangkong.testing.builders import make_user


@pytest.fixture
def gz_inspector(db):
    return make_user("inspector_gz_t", ("440100", Role.INSPECTOR))


@pytest.fixture
def sz_inspector(db):
    return make_user("inspector_sz_t", ("440300", Role.INSPECTOR))
