"""The bulk path of the person registry (large imports) gives the answers of the row-by-row path.

``citizen_ids_parse_many`` = ``parse_citizen_id``, ``PhoneNormaliser`` = ``normalise_phone``,
``PersonChecker`` = ``_person_from_input`` (errors per field and the person built), ``keyed_hashes`` /
``encrypt_many`` = ``keyed_hash`` / ``encrypt``; ``persons_insert_many`` stores no identifier in clear.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.accounts.roles import Role
from fangkong.persons import protection
from fangkong.persons.citizen_id import CitizenIdError, check_character, parse_citizen_id
from fangkong.persons.models import Person
from fangkong.persons.rules import normalise_phone
from fangkong.persons.services import (
    CITIZEN_ID,
    PersonChecker,
    PhoneNormaliser,
    _person_from_input,
    citizen_ids_parse_many,
    persons_insert_many,
)
from fangkong.testing.builders import citizen_id, make_user


def _cid(first17: str) -> str:
    return first17 + check_character(first17)


CITIZEN_IDS = [
    _cid("44030419900101123"), _cid("44030419900101124").lower(), f"  {_cid('44190019851231001')} ",
    _cid("44030419900101123")[:-1] + ("0" if _cid("44030419900101123")[-1] != "0" else "1"),  # check character
    _cid("99030419900101123"),  # no such province
    _cid("44030419901301123"),  # month 13
    _cid("44030430000101123"),  # born in the future
    _cid("44030418800101123"),  # before 1890
    "440304900101123",  # legacy 15 digits
    "4403041990010112", "44030419900101123Y", "4403041990O101123X", "", "４４０３０４１９９００１０１１２３X",
    _cid("81000019700707707"), _cid("11010519491231002"),
]


def test_citizen_ids_parse_many_answers_as_parse_citizen_id():
    expected = []
    for raw in CITIZEN_IDS:
        try:
            expected.append(parse_citizen_id(raw))
        except CitizenIdError as exc:
            expected.append(str(exc))
    assert citizen_ids_parse_many(CITIZEN_IDS) == expected
    assert sum(isinstance(e, str) for e in expected) >= 8  # the list exercises the failures too


def test_phone_normaliser_answers_as_normalise_phone_over_every_four_digit_prefix():
    rng = random.Random(6)
    numbers = [f"{prefix}{rng.randrange(10 ** 7):07d}" for prefix in range(1000, 2000) for _n in range(3)]
    numbers += ["13812345678", "+86 138 1234 5678", "86-138-1234-5678", "020 8888 8888", "12345", "1381234567x",
                "1740000000", "17405123456", "17406123456", "16101234567", "16201234567"]
    normalise = PhoneNormaliser()
    for raw in numbers:
        try:
            expected = normalise_phone(raw)
        except ValidationError as exc:
            expected = exc.messages
        assert normalise(raw) == expected, raw
    assert normalise("13812345678") == "+8613812345678"


def test_person_checker_follows_the_rules_of_person_register(shenzhen_epi):
    laboratory = make_user("lab", ("440304", Role.LABORATORY))  # no samples module yet: registers no one
    futian_epi = make_user("ft_bulk_epi", ("440304", Role.EPIDEMIOLOGIST))
    analyst = make_user("bulk_analyst", ("440300", Role.ANALYST))
    good = citizen_id("440304", dt.date(1990, 5, 6), male=False)
    cases = [
        {"name": "甲", "address_region": "440304", "citizen_id": good, "phone": "13912345678"},
        {"name": "乙", "address_region": "440304", "citizen_id": good, "sex": "M", "birth_date": dt.date(1990, 5, 7)},
        {"name": "", "address_region": "440100", "citizen_id": "123", "phone": "123", "sex": "Q"},
        {"name": "丙" * 65, "address_region": "440304", "address_text": "x" * 201},
        {"name": "丁", "address_region": "nowhere", "birth_date": dt.date(1880, 1, 1)},
        {"name": "戊", "address_region": "440305", "phone": "+86 755 8888 8888", "sex": "U"},
    ]
    checker = PersonChecker(actor=shenzhen_epi)
    for fields in cases:
        try:
            expected_person, expected_errors = _person_from_input(actor=shenzhen_epi, **fields), {}
        except ValidationError as exc:
            expected_person, expected_errors = None, exc.message_dict
        parsed = citizen_ids_parse_many([fields.get("citizen_id", "")])[0] if fields.get("citizen_id") else None
        checked, errors = checker.check(
            name=fields["name"], address_region=fields["address_region"], sex=fields.get("sex", ""),
            birth_date=fields.get("birth_date"), parsed_id=parsed, phone=fields.get("phone", ""),
            address_text=fields.get("address_text", ""),
            citizen_id_hash=protection.identifier_hash(parsed.number, CITIZEN_ID) if parsed and not isinstance(
                parsed, str) else "")
        assert errors == expected_errors, fields
        if expected_person is not None:
            assert (checked.name, checked.sex, checked.birth_date, checked.address_region_id) == (
                expected_person.name, expected_person.sex, expected_person.birth_date,
                expected_person.address_region_id)
            assert (checked.citizen_id_hash or None) == expected_person.citizen_id_hash
    # A role that may not register persons: person_register refuses; the checker reports it on the region.
    with pytest.raises(PermissionDenied):
        _person_from_input(actor=analyst, name="己", address_region="440304")
    assert PersonChecker(actor=analyst).check(name="己", address_region="440304")[1] == {
        "address_region": ["Your role may not register persons."]}
    assert PersonChecker(actor=laboratory).check(name="己", address_region="440304")[1] == {
        "address_region": ["Your role may not register persons."]}
    assert PersonChecker(actor=futian_epi).check(name="己", address_region="440304")[1] == {}


def test_bulk_hashes_and_seals_match_the_single_ones():
    values = ["440304199001011234", "+8613812345678", "中文"]
    assert protection.keyed_hashes(values, CITIZEN_ID) == [protection.keyed_hash(v, CITIZEN_ID) for v in values]
    sealed = protection.encrypt_many(values, "phone")
    assert [protection.decrypt(s, "phone") for s in sealed] == values
    assert len(set(sealed)) == 3 and not any(v in s for v, s in zip(values, sealed, strict=True))


def test_persons_insert_many_stores_no_identifier_in_clear(shenzhen_epi):
    cid = citizen_id("440304", dt.date(1977, 7, 7))
    parsed = citizen_ids_parse_many([cid])[0]
    checked, errors = PersonChecker(actor=shenzhen_epi).check(
        name="批量", address_region="440304", parsed_id=parsed, phone="13800138000",
        citizen_id_hash=protection.identifier_hash(cid, CITIZEN_ID))
    assert errors == {}
    [pk] = persons_insert_many(actor=shenzhen_epi, persons=[checked])
    stored = Person.objects.filter(pk=pk).values().get()
    assert not any(cid in str(v) or "13800138000" in str(v) for v in stored.values())
    person = Person.objects.get(pk=pk)
    assert protection.identifier_open(person, person.citizen_id_sealed, CITIZEN_ID) == cid
    assert protection.identifier_open(person, person.phone_sealed, "phone") == "+8613800138000"
    assert person.phone_hash == protection.identifier_hash("+8613800138000", "phone")
    assert (person.citizen_id_masked, person.phone_masked) == (cid[:6] + "*" * 12, "+86 *******8000")
    assert (person.sex, person.birth_date, person.created_by) == (parsed.sex, dt.date(1977, 7, 7), shenzhen_epi)
