"""Roles and capabilities as the modules declare them (``fangkong.modules``): every capability of every
installed module — a new one included, without editing this file — is granted exactly to its declared
roles, in the member's region subtree only, and the platform's grants are those it always had."""

from __future__ import annotations

import pytest

from fangkong.accounts.access import can
from fangkong.accounts.roles import Capability, Role
from fangkong.modules import capability_grants, role_capabilities
from fangkong.testing.builders import make_user

#: The grants as they stood before the modules declared them (issue 15: behaviour unchanged).
PLATFORM_GRANTS = {
    Role.PROVINCIAL_COMMANDER: {Capability.PERSON_REGISTER, Capability.PERSON_REVEAL, Capability.SENTINEL_IMPORT,
                                Capability.SIGNAL_RESPOND, Capability.DETECTION_CONFIGURE, Capability.CASE_WRITE,
                                Capability.CONTACT_MANAGE, Capability.RISK_AREA_DESIGNATE, Capability.BULLETIN_DRAFT,
                                Capability.BULLETIN_REVIEW, Capability.BULLETIN_APPROVE},
    Role.LOCAL_COMMANDER: {Capability.PERSON_REGISTER, Capability.PERSON_REVEAL, Capability.SENTINEL_IMPORT,
                           Capability.SIGNAL_RESPOND, Capability.CASE_WRITE, Capability.CONTACT_MANAGE,
                           Capability.RISK_AREA_DESIGNATE, Capability.BULLETIN_DRAFT, Capability.BULLETIN_REVIEW,
                           Capability.BULLETIN_APPROVE},
    Role.EPIDEMIOLOGIST: {Capability.PERSON_REGISTER, Capability.PERSON_REVEAL, Capability.PERSON_EXPORT_CLEAR,
                          Capability.SENTINEL_IMPORT,
                          Capability.SIGNAL_RESPOND, Capability.DETECTION_CONFIGURE, Capability.CASE_WRITE,
                          Capability.CONTACT_MANAGE, Capability.BULLETIN_DRAFT, Capability.BULLETIN_REVIEW},
    Role.SENTINEL_REPORTER: {Capability.SENTINEL_REPORT},
    # need to know (issue 13): no platform capability; a person capability only from a module serving its reach
    Role.QUARANTINE_MANAGER: set(),
    Role.COMMUNITY_WORKER: set(),  # a module capability only (fangkong.followup: home monitoring)
    Role.INSPECTOR: set(),
    Role.LABORATORY: set(),  # need to know: the persons of its own samples, from a module serving that reach
    Role.ANALYST: set(),
    Role.SYSTEM_ADMINISTRATOR: {Capability.AUDIT_BROWSE, Capability.USER_MANAGE, Capability.PROTOCOL_EDIT},
    Role.ENTERPRISE_CONTACT: set(),  # need to know: its own enterprises' staff, from a module serving that reach
}
PLATFORM_CODES = {code for codes in PLATFORM_GRANTS.values() for code in codes}


def test_the_platforms_grants_are_unchanged():
    declared = role_capabilities()
    for role in Role.values:
        assert set(declared.get(role, ())) & PLATFORM_CODES == PLATFORM_GRANTS[role], role


def test_every_capability_is_declared_once_with_a_label_and_known_roles():
    grants = capability_grants()
    assert len({g.code for g in grants}) == len(grants)
    for grant in grants:
        assert str(grant.label).strip(), grant.code
        assert grant.roles, f"{grant.code}: no role holds it"
        assert set(grant.roles) <= set(Role.values), grant.code


@pytest.mark.django_db
def test_each_role_holds_exactly_its_declared_capabilities_in_its_subtree_only():
    users = {role: make_user(f"role_{role}", ("440300", role)) for role in Role.values}
    for grant in capability_grants():
        for role, user in users.items():
            expected = role in grant.roles
            assert can(user, grant.code) is expected, (grant.code, role)
            assert can(user, grant.code, "440304") is expected, (grant.code, role, "Futian, inside")
            assert can(user, grant.code, "440100") is False, (grant.code, role, "Guangzhou, outside")
