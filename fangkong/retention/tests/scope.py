"""Records of the retention module for the platform's scope test (``scope_records`` of the module): the
module is the administrators' (province-wide) — another city's user may open none of its URLs."""

from __future__ import annotations

from fangkong.testing.builders import make_user


def other_city_records(actor) -> dict[str, list[str]]:
    from fangkong.accounts.roles import Role

    from ..services import hold_place, policies_seed, policy_change_propose, purge_plan

    policies_seed()
    admin = make_user("scope_retention_admin", ("440000", Role.SYSTEM_ADMINISTRATOR))
    change = policy_change_propose(actor=admin, category="scans", clock="scan_time", period_days=20,
                                   action="delete", legal_basis="PIPL 47", reason="scope test change")
    hold = hold_place(actor=admin, target="region", region="440304", reason="scope test hold")
    purge = purge_plan(actor=admin, region="440304")
    return {"change_id": [str(change.pk)], "hold_id": [str(hold.pk)], "purge_id": [str(purge.pk)],
            "pk": [str(change.pk), str(purge.pk)]}
