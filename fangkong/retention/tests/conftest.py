"""Fixtures of the retention module's tests: two administrators (four eyes), the seeded policies, and a
scenario of old and recent cases and contacts with known names, citizen IDs and phones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from fangkong.accounts.roles import Role
from fangkong.cases.tests.builders import make_case, make_contact
from fangkong.testing.builders import citizen_id, make_person, make_user

#: The purge's day in the tests (fixed, in the past: no test depends on today's date).
AS_OF = dt.date(2026, 6, 1)


@pytest.fixture
def admin1(db):
    return make_user("retention_admin1", ("440000", Role.SYSTEM_ADMINISTRATOR))


@pytest.fixture
def admin2(db):
    return make_user("retention_admin2", ("440000", Role.SYSTEM_ADMINISTRATOR))


@pytest.fixture
def policies(db):
    from fangkong.retention.models import RetentionPolicy
    from fangkong.retention.services import policies_seed

    policies_seed()
    # the engine's tests: cases and contacts deleted two years after their clock (the defaults anonymise cases)
    RetentionPolicy.objects.filter(category="cases").update(action="delete", period_days=730)
    return {p.category: p for p in RetentionPolicy.objects.all()}


@dataclass
class Scenario:
    old_cases: list = field(default_factory=list)
    old_contacts: list = field(default_factory=list)
    recent_case: object = None
    identities: list = field(default_factory=list)  # (name, citizen id, phone) of everyone that must go
    kept_identities: list = field(default_factory=list)  # of those who must stay


def _person(actor, name: str, region: str, phone: str, born: dt.date):
    cid = citizen_id(region, born=born)
    return make_person(actor, name=name, region=region, cid=cid, phone=phone), (name, cid, phone)


@pytest.fixture
def scenario(shenzhen_epi, policies):
    """Two cases of March 2022 with three contacts each (released in March 2022), all due on ``AS_OF``; one
    case of May 2026 with one contact (not due); the recent contact's person is also a released contact of
    an old case (that contact goes, the person stays: kept by the recent record)."""
    from fangkong.cases.services import contact_status_record
    from fangkong.cases.tests.builders import at

    s = Scenario()
    born = dt.date(1971, 5, 3)
    for i in range(2):
        person, identity = _person(shenzhen_epi, f"待删病例{i}", "440304", f"1380013{i:04d}", born + dt.timedelta(days=i))
        s.identities.append(identity)
        case = make_case(shenzhen_epi, region="440304", person=person, day="2022-03-10")
        s.old_cases.append(case)
        for j in range(3):
            person, identity = _person(shenzhen_epi, f"待删密接{i}{j}", "440304", f"1390013{i}{j:03d}",
                                       born + dt.timedelta(days=10 + 3 * i + j))
            s.identities.append(identity)
            contact = make_contact(shenzhen_epi, source_case=case, region="440304", person=person, listed="2022-03-10")
            contact = contact_status_record(actor=shenzhen_epi, contact=contact, expected_version=contact.version,
                                            action="release", released_at=at("2022-03-24"))
            s.old_contacts.append(contact)
    person, identity = _person(shenzhen_epi, "保留病例", "440304", "13700130000", born + dt.timedelta(days=40))
    s.kept_identities.append(identity)
    s.recent_case = make_case(shenzhen_epi, region="440304", person=person, day="2026-05-10")
    person, identity = _person(shenzhen_epi, "保留密接", "440304", "13700130001", born + dt.timedelta(days=41))
    s.kept_identities.append(identity)
    make_contact(shenzhen_epi, source_case=s.recent_case, region="440304", person=person, listed="2026-05-10")
    old = make_contact(shenzhen_epi, source_case=s.old_cases[1], region="440304", person=person, listed="2022-03-10")
    old = contact_status_record(actor=shenzhen_epi, contact=old, expected_version=old.version, action="release",
                                released_at=at("2022-03-24"))
    s.old_contacts.append(old)  # due and deleted; its person stays, kept by the recent contact
    return s
