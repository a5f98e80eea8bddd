"""Registering persons: protection at rest, de-duplication, field errors that change nothing."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from fangkong.audit.models import AuditEvent
from fangkong.persons import protection
from fangkong.persons.models import Person
from fangkong.persons.services import PersonElsewhereError, person_register, person_reveal, persons_import
from fangkong.testing.builders import citizen_id


def snapshot():
    return Person.objects.count(), AuditEvent.objects.count()


def test_register_protects_identifiers_and_audits(shenzhen_epi):
    cid = citizen_id("440304", dt.date(1985, 6, 15))
    reg = person_register(actor=shenzhen_epi, name="王五", address_region="440304", citizen_id=cid,
                          phone="138 1234 5678")
    person = Person.objects.get(pk=reg.person.pk)
    assert reg.created
    assert person.citizen_id_masked == cid[:6] + "*" * 12  # no digit the birth date would complete (issue 13)
    assert person.phone_masked == "+86 *******5678"
    assert person.birth_date == dt.date(1985, 6, 15)
    assert cid not in person.citizen_id_sealed and "13812345678" not in person.phone_sealed
    assert person.citizen_id_hash == protection.identifier_hash(cid, "citizen_id")
    event = AuditEvent.objects.get(action="create", object_type="persons.person", object_id=str(person.pk))
    assert event.actor == shenzhen_epi and event.region_code == "440304"


def test_same_citizen_id_returns_the_existing_person(shenzhen_epi, futian_commander):
    cid = citizen_id("440304")
    first = person_register(actor=shenzhen_epi, name="赵六", address_region="440304", citizen_id=cid)
    # The legacy form of the same number is the same person too.
    again = person_register(actor=futian_commander, name="赵 六", address_region="440304", citizen_id=cid.lower())
    assert first.created and not again.created
    assert again.person.pk == first.person.pk
    assert Person.objects.count() == 1


def test_duplicate_outside_scope_says_so_without_details(shenzhen_epi, guangzhou_epi):
    cid = citizen_id("440304")
    person_register(actor=shenzhen_epi, name="深圳某人", address_region="440304", citizen_id=cid)
    before = snapshot()
    with pytest.raises(PersonElsewhereError) as info:
        person_register(actor=guangzhou_epi, name="x", address_region="440106", citizen_id=cid)
    assert "深圳某人" not in str(info.value)
    assert snapshot() == before


@pytest.mark.parametrize(("fields", "field"), [
    ({"citizen_id": "44030419900101123"}, "citizen_id"),  # 17 digits
    ({"citizen_id": "440304199001011230"}, "citizen_id"),  # wrong check character (correct is not 0)
    ({"birth_date": dt.date(2999, 1, 1)}, "birth_date"),
    ({"phone": "12345"}, "phone"),
    ({"phone": "abc-not-a-phone"}, "phone"),
    ({"name": "长" * 65}, "name"),
    ({"name": "  "}, "name"),
    ({"address_text": "x" * 201}, "address_text"),
    ({"address_region": "440100"}, "address_region"),  # Guangzhou: outside a Shenzhen user's scope
    ({"address_region": "999999"}, "address_region"),
    ({"sex": "Q"}, "sex"),
])
def test_bad_input_is_a_field_error_and_changes_nothing(shenzhen_epi, fields, field):
    if fields.get("citizen_id") == "440304199001011230":
        from fangkong.persons.citizen_id import check_character
        assert check_character("44030419900101123") != "0"
    before = snapshot()
    args = {"name": "测试", "address_region": "440304", **fields}
    with pytest.raises(ValidationError) as info:
        person_register(actor=shenzhen_epi, **args)
    assert field in info.value.message_dict
    assert snapshot() == before


def test_birth_date_must_agree_with_the_citizen_id(shenzhen_epi):
    cid = citizen_id("440304", dt.date(1990, 1, 1))
    with pytest.raises(ValidationError) as info:
        person_register(actor=shenzhen_epi, name="a", address_region="440304", citizen_id=cid,
                        birth_date=dt.date(1991, 1, 1))
    assert "birth_date" in info.value.message_dict


def test_metacharacters_are_stored_verbatim(shenzhen_epi):
    name = "<script>alert(1)</script>'; DROP TABLE persons_person;--"
    reg = person_register(actor=shenzhen_epi, name=name[:64], address_region="440304",
                          address_text="\"&<b>x</b>")
    stored = Person.objects.get(pk=reg.person.pk)
    assert stored.name == name[:64]
    assert stored.address_text == "\"&<b>x</b>"


def test_metacharacters_are_rendered_escaped(client, shenzhen_epi):
    reg = person_register(actor=shenzhen_epi, name="<script>alert(1)</script>", address_region="440304")
    client.force_login(shenzhen_epi)
    html = client.get(f"/persons/{reg.person.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_role_without_the_capability_cannot_register(analyst):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        person_register(actor=analyst, name="a", address_region="440304")
    assert snapshot() == before


def test_reveal_decrypts_and_audits_and_is_denied_to_analysts(shenzhen_epi, analyst):
    cid = citizen_id("440304")
    person = person_register(actor=shenzhen_epi, name="a", address_region="440304", citizen_id=cid,
                             phone="13812345678").person
    revealed = person_reveal(actor=shenzhen_epi, person=person, reason="流调电话")
    assert revealed.citizen_id == cid and revealed.phone == "+8613812345678"
    event = AuditEvent.objects.get(action="reveal", object_id=str(person.pk))
    assert event.reason == "流调电话" and event.actor == shenzhen_epi
    with pytest.raises(PermissionDenied):
        person_reveal(actor=analyst, person=person)
    assert AuditEvent.objects.filter(action="reveal").count() == 1


def raw_storage() -> bytes:
    """Every byte the database holds for the application's tables, read below the ORM."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.serialize()
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 (table names from the catalogue)
            chunks.extend(row[0].encode() for row in cursor.fetchall())
    return b"\n".join(chunks)


def test_identifiers_never_reach_raw_storage(shenzhen_epi):
    people = [(citizen_id("440304", dt.date(1970 + i, 3, 9)), f"1391234{5600 + i}") for i in range(5)]
    legacy = "440304700309871"
    for i, (cid, phone) in enumerate(people):
        person_register(actor=shenzhen_epi, name=f"p{i}", address_region="440304", citizen_id=cid, phone=phone)
    person_register(actor=shenzhen_epi, name="legacy", address_region="440304", citizen_id=legacy)
    raw = raw_storage()
    assert b"p0" in raw  # the raw read really sees the rows
    for cid, phone in people:
        for needle in (cid, cid[:17], cid[6:14] + cid[14:], phone, "+86" + phone, phone[3:]):
            assert needle.encode() not in raw, needle
    assert legacy.encode() not in raw



def test_import_is_all_or_nothing_and_skips_known_ids(shenzhen_epi):
    known = citizen_id("440304")
    person_register(actor=shenzhen_epi, name="已登记", address_region="440304", citizen_id=known)
    fresh = citizen_id("440305")
    good = [{"name": "甲", "address_region": "440304", "citizen_id": known},
            {"name": "乙", "address_region": "440305", "citizen_id": fresh, "phone": "13812345678"},
            {"name": "乙二", "address_region": "440305", "citizen_id": fresh}]
    bad = [*good, {"name": "丙", "address_region": "440100"}, {"name": "", "address_region": "440304"}]
    before = snapshot()
    with pytest.raises(ValidationError) as info:
        persons_import(actor=shenzhen_epi, rows=bad)
    assert set(info.value.message_dict) == {"row 4", "row 5"}
    assert snapshot() == before
    result = persons_import(actor=shenzhen_epi, rows=good, source="test.csv")
    assert (result.created, result.existing) == (1, 2)
    assert Person.objects.count() == 2
    assert AuditEvent.objects.get(action="import", object_type="persons.person").detail == {"created": 1, "existing": 2}
