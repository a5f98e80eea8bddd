"""Crypto-shredding (issue 25), attacked: a dump of the database taken before a purge, and everything the server
holds after it (settings, ``PII_KEY``, the keyring file), must not give back the deleted persons' citizen IDs or
phones — neither by decrypting their sealed values nor by confirming guesses against their look-up hashes.

The dump is the SQLite database's bytes (``serialize``: what copying the file gives) or, on PostgreSQL, ``COPY``
of the holder tables. Each attack is first run *before* the rotation and must succeed there: so the test fails
if the shredding breaks, not only if the attack is wrong.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from cryptography.exceptions import InvalidTag
from django.core.exceptions import ValidationError

from fangkong.accounts.roles import Role
from fangkong.crossregion.models import RequestedPerson
from fangkong.persons import keyring, protection
from fangkong.persons.citizen_id import check_character
from fangkong.persons.models import Person
from fangkong.persons.services import person_lookup, person_register, person_reveal
from fangkong.persons.shredding import legacy_upgrade, rotate
from fangkong.testing.builders import citizen_id, make_user
from fangkong.testing.dump_attack import (
    identifier_brute_forced,
    identifier_decrypted,
    persons_dump,
    phone_confirmed,
)

pytestmark = pytest.mark.django_db
BORN = dt.date(1983, 4, 5)
REASON = "Calling the person about a positive test"


@pytest.fixture
def epi(db):
    return make_user("shred_epi", ("440300", Role.EPIDEMIOLOGIST))


_seq = iter(range(100, 1000, 7))


def _cid() -> str:
    first17 = f"440304{BORN:%Y%m%d}{next(_seq):03d}"
    return first17 + check_character(first17)


def _register(epi, name: str, phone: str) -> tuple[Person, str]:
    cid = _cid()
    return person_register(actor=epi, name=name, address_region="440304", citizen_id=cid, phone=phone).person, cid


def test_a_dump_taken_before_the_purge_gives_nothing_back_once_the_keyring_rotated(epi):
    gone = [_register(epi, f"删除{i}", f"1380013800{i}") for i in range(3)]
    kept = [_register(epi, f"保留{i}", f"1390013900{i}") for i in range(3)]
    dump = persons_dump()
    # Before the rotation the attack works (the keys of the dump's epoch are live): the test can fail.
    for person, cid in gone:
        assert identifier_decrypted(dump[person.pk]) == cid and identifier_brute_forced(dump[person.pk]) == cid
        assert phone_confirmed(dump[person.pk], person_reveal(actor=epi, person=person, reason=REASON).phone)
    assert keyring.load().current == 1

    Person.objects.filter(pk__in=[p.pk for p, _cid in gone]).delete()
    result = rotate(batch=2)

    assert result.destroyed == [1] and keyring.load().epochs.keys() == {2}
    assert result.rekeyed["persons.Person"] == len(kept)
    for (person, cid), phone in zip(gone, [f"+861380013800{i}" for i in range(3)], strict=True):
        row = dump[person.pk]
        with pytest.raises(keyring.KeyringError):  # its epoch is gone
            protection.data_key_open(row["key_wrapped"], row["key_epoch"])
        assert identifier_decrypted(row) is None and identifier_brute_forced(row) is None and not phone_confirmed(row, phone)
        assert cid not in keyring.keyring_path().read_bytes().decode("latin-1")
    # The remaining persons: their old rows in the dump are just as dead; their live rows open and are found.
    for person, cid in kept:
        assert identifier_decrypted(dump[person.pk]) is None
        live = Person.objects.get(pk=person.pk)
        assert live.key_epoch == 2 and live.citizen_id_hash != dump[person.pk]["citizen_id_hash"]
        assert person_reveal(actor=epi, person=live, reason=REASON).citizen_id == cid
        assert person_lookup(actor=epi, citizen_id=cid, purpose="test") == live
        again = person_register(actor=epi, name="又", address_region="440304", citizen_id=cid)
        assert not again.created and again.person == live
    new, new_cid = _register(epi, "新", "13700137000")  # written under the new epoch
    assert Person.objects.get(pk=new.pk).key_epoch == 2
    assert person_reveal(actor=epi, person=new, reason=REASON).citizen_id == new_cid


def test_a_rotation_killed_half_way_keeps_every_person_readable_and_finishes_when_run_again(epi):
    persons = [_register(epi, f"人{i}", "") for i in range(5)]
    bare = person_register(actor=epi, name="无证", address_region="440304").person  # no identifier: no key
    first = rotate(batch=2, stop_after_batches=1)
    assert first.destroyed == [] and keyring.load().epochs.keys() == {1, 2}
    epochs = dict(Person.objects.filter(pk__in=[p.pk for p, _c in persons]).values_list("pk", "key_epoch"))
    assert sorted(epochs.values()) == [1, 1, 1, 2, 2]
    for person, cid in persons:  # mid-rotation: found by ID and opened, under either epoch
        found = person_lookup(actor=epi, citizen_id=cid, purpose="test")
        assert found.pk == person.pk
        assert person_reveal(actor=epi, person=found, reason=REASON).citizen_id == cid
        assert not person_register(actor=epi, name="重", address_region="440304", citizen_id=cid).created
    second = rotate(batch=2)
    assert second.epoch == 2 and second.destroyed == [1] and keyring.load().epochs.keys() == {2}
    assert set(Person.objects.filter(pk__in=[p.pk for p, _c in persons]).values_list("key_epoch", flat=True)) == {2}
    assert Person.objects.get(pk=bare.pk).key_epoch == 0
    for person, cid in persons:
        assert person_lookup(actor=epi, citizen_id=cid, purpose="test").pk == person.pk
    third = rotate()  # nothing was deleted since: a new epoch, every row rekeyed again
    assert third.epoch == 3 and third.destroyed == [2]


def test_a_write_wrapped_under_an_epoch_a_rotation_destroyed_meanwhile_is_rolled_back(epi, monkeypatch):
    before = Person.objects.count()
    original = protection.data_key_new

    def wrapped_then_rotated():
        data_key = original()
        keyring.epoch_open()  # a rotation in another process destroys the epoch between the wrap and the insert
        keyring.epochs_destroy_before(2)
        return data_key

    monkeypatch.setattr(protection, "data_key_new", wrapped_then_rotated)
    with pytest.raises(keyring.KeyringError):
        person_register(actor=epi, name="迟", address_region="440304", citizen_id=citizen_id("440304"))
    assert Person.objects.count() == before


def test_the_identifiers_sealed_the_old_way_are_upgraded_to_a_key_per_person(epi):
    cid = _cid()
    legacy = Person.objects.create(
        name="旧", address_region_id="440304", birth_date=BORN, citizen_id_masked=cid[:6] + "*" * 12,
        citizen_id_hash=protection.keyed_hash(cid, "citizen_id"), citizen_id_sealed=protection.encrypt(cid, "citizen_id"),
        phone_hash=protection.keyed_hash("+8613800138000", "phone"),
        phone_sealed=protection.encrypt("+8613800138000", "phone"))
    bare = Person.objects.create(name="无", address_region_id="440304")
    assert legacy_upgrade(Person) == 1
    legacy.refresh_from_db()
    assert legacy.key_epoch == 1 and legacy.citizen_id_sealed.startswith("v2:")
    assert legacy.citizen_id_hash == protection.identifier_hash(cid, "citizen_id")
    assert legacy.citizen_id_hash != protection.keyed_hash(cid, "citizen_id")  # the global key no longer confirms it
    assert person_reveal(actor=epi, person=legacy, reason=REASON) == type(
        person_reveal(actor=epi, person=legacy, reason=REASON))(citizen_id=cid, phone="+8613800138000")
    assert person_lookup(actor=epi, citizen_id=cid, purpose="test") == legacy
    assert Person.objects.get(pk=bare.pk).key_epoch == 0 and legacy_upgrade(Person) == 0


def test_each_person_has_a_key_of_its_own_and_a_sealed_value_moved_to_another_person_does_not_open(epi):
    (a, cid_a), (b, _cid_b) = _register(epi, "甲", ""), _register(epi, "乙", "")
    assert a.key_wrapped != b.key_wrapped
    b.citizen_id_sealed = a.citizen_id_sealed
    with pytest.raises(InvalidTag):
        protection.identifier_open(b, b.citizen_id_sealed, "citizen_id")
    assert protection.identifier_open(a, a.citizen_id_sealed, "citizen_id") == cid_a


def test_the_keyring_file_holds_no_key_in_clear_and_opens_only_with_its_pii_key(settings):
    ring = keyring.load()
    raw = keyring.keyring_path().read_bytes()
    for epoch in ring.epochs.values():
        for key in (epoch.kek, epoch.hash_key):
            assert key not in raw and protection.base64.b64encode(key) not in raw
    assert keyring.keyring_path().stat().st_mode & 0o077 == 0  # readable by the server's user only
    settings.PII_KEY = "another-key-of-at-least-thirty-two-characters"
    keyring._cache.clear()
    with pytest.raises(keyring.KeyringError):
        keyring.load()


def test_the_cross_region_requests_listed_persons_are_rekeyed_too(shenzhen_epi):
    from fangkong.cases.tests.builders import make_case  # noqa: PLC0415
    from fangkong.crossregion.tests.test_crossregion import send  # noqa: PLC0415

    req, _created = send(shenzhen_epi, make_case(shenzhen_epi, region="440304", name="深圳病例"))
    row = RequestedPerson.objects.filter(request=req).exclude(citizen_id_sealed="").first()
    clear = protection.identifier_open(row, row.citizen_id_sealed, "citizen_id")
    old_hash, old_wrapped = row.citizen_id_hash, row.key_wrapped
    result = rotate()
    row.refresh_from_db()
    assert result.rekeyed["crossregion.RequestedPerson"] >= 1 and row.key_epoch == 2
    assert row.citizen_id_hash != old_hash and row.key_wrapped != old_wrapped
    assert protection.identifier_open(row, row.citizen_id_sealed, "citizen_id") == clear
    assert row.citizen_id_hash == protection.identifier_hash(clear, "citizen_id")


def test_an_invalid_citizen_id_is_refused_before_any_look_up(epi):
    with pytest.raises(ValidationError):
        person_lookup(actor=epi, citizen_id="440304", purpose="test")


def test_a_lost_keyring_is_not_silently_replaced_while_rows_are_sealed_under_it(epi, tmp_path, monkeypatch):
    person, _number = _register(epi, "丢", "")
    monkeypatch.setenv(keyring.ENVIRONMENT, str(tmp_path / "elsewhere"))
    with pytest.raises(keyring.KeyringError, match="restore the keyring"):
        person_register(actor=epi, name="新", address_region="440304", citizen_id=_cid())
    assert not (tmp_path / "elsewhere").exists() and Person.objects.filter(name="新").count() == 0
    with pytest.raises(keyring.KeyringError):
        protection.identifier_open(person, person.citizen_id_sealed, "citizen_id")


def test_the_rotation_command_rotates_and_reports(epi):
    from django.core.management import call_command  # noqa: PLC0415

    person, cid = _register(epi, "令", "")
    out = io.StringIO()
    call_command("keyring_rotate", "--batch", "10", stdout=out)
    assert "keyring at epoch 2; destroyed epochs: 1" in out.getvalue() and "persons.Person 1" in out.getvalue()
    assert person_lookup(actor=epi, citizen_id=cid, purpose="test") == person


def test_a_rotation_inside_a_transaction_is_refused_before_it_changes_anything(epi):
    from django.db import transaction  # noqa: PLC0415

    person, _number = _register(epi, "事", "")
    with transaction.atomic(), pytest.raises(RuntimeError):
        rotate()
    assert keyring.load().epochs.keys() == {1} and Person.objects.get(pk=person.pk).key_epoch == 1
