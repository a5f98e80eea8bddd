"""Users of the inbound tests: one per side of a hand-off and a third city, and roles without the need."""

from __future__ import annotations

import pytest

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role

from ..services import ports_install


def make_user(username: str, membership: tuple[str, str]) -> User:
    """A user with one membership, without a password (hashing one costs a second per user)."""
    user = User.objects.create(username=username)
    Membership.objects.create(user=user, region_id=membership[0], role=membership[1])
    return user


@pytest.fixture
def users(db):
    ports_install()
    return {"sz": make_user("sz_in", ("440300", Role.EPIDEMIOLOGIST)),
            "futian": make_user("ft_in", ("440304", Role.EPIDEMIOLOGIST)),
            "nanshan": make_user("ns_in", ("440305", Role.EPIDEMIOLOGIST)),
            "dongguan": make_user("dg_in", ("441900", Role.EPIDEMIOLOGIST)),
            "guangzhou": make_user("gz_in", ("440100", Role.EPIDEMIOLOGIST)),
            "province": make_user("gd_in", ("440000", Role.PROVINCIAL_COMMANDER)),
            "analyst": make_user("an_in", ("440000", Role.ANALYST)),
            "inspector": make_user("in_in", ("440300", Role.INSPECTOR))}
