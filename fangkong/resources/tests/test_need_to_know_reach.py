"""The quarantine-site manager's need to know (issue 13) as this module serves it: named persons of its own
sites only (``ResourcesConfig.served_reaches``), nothing region-wide."""

from __future__ import annotations

from fangkong.accounts.need_to_know import (
    NEED_TO_KNOW,
    PERSON_LEVELS,
    Category,
    Reach,
    pending_reaches,
    role_reach,
)
from fangkong.accounts.roles import Role


def test_the_manager_reads_the_named_persons_of_its_own_sites_and_nothing_region_wide():
    reads = NEED_TO_KNOW[Role.QUARANTINE_MANAGER].reads
    assert {level: reach for level, reach in reads.items() if level in PERSON_LEVELS} == {
        Category.NAMED: Reach.ASSIGNED_SITES}
    assert Reach.ASSIGNED_SITES not in pending_reaches()  # this module declares that it serves the reach
    assert role_reach(Role.QUARANTINE_MANAGER, Category.NAMED) == Reach.ASSIGNED_SITES
    assert role_reach(Role.QUARANTINE_MANAGER, Category.IDENTIFIERS) is None
