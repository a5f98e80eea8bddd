"""A purge shreds what it deletes down to the dumps taken before it: after the purge's persons are deleted the
keyring rotates (``purge._keys_shred``), so an attacker holding a dump taken before the purge and everything the
server holds after it (settings, ``PII_KEY``, the keyring file) opens none of the purged persons' citizen IDs or
phones — by decryption or by brute force against their look-up hashes (``fangkong.testing.dump_attack``). The
attack is run first on the dump before the purge, where it must succeed: the test fails if the shredding breaks."""

from __future__ import annotations

import pytest

from fangkong.persons import keyring
from fangkong.persons.models import Person
from fangkong.persons.services import person_lookup
from fangkong.retention.services import purge_decide, purge_plan, purge_run
from fangkong.testing.dump_attack import identifier_brute_forced, identifier_decrypted, persons_dump

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def test_a_dump_taken_before_a_purge_opens_nothing_of_the_purged_persons_afterwards(scenario, admin1, admin2,
                                                                                      shenzhen_epi):
    dump = persons_dump()
    purged = {p.pk: cid for p, cid in ((Person.objects.get(name=name), cid) for name, cid, _phone in
                                        scenario.identities)}
    for pk, cid in purged.items():  # before the purge the attack works
        assert identifier_decrypted(dump[pk]) == cid and identifier_brute_forced(dump[pk]) == cid
    epoch = keyring.load().current
    purge = purge_plan(actor=admin1, region="440000", as_of=AS_OF)
    purge_decide(actor=admin2, purge=purge, approve=True)
    purge = purge_run(purge_id=purge.pk, batch_size=2)
    assert purge.progress["counts"]["persons"]["deleted"] == len(purged)
    assert keyring.load().epochs.keys() == {epoch + 1}  # the purge rotated: the dump's epoch is destroyed
    for pk in purged:
        assert not Person.objects.filter(pk=pk).exists()
        assert identifier_decrypted(dump[pk]) is None and identifier_brute_forced(dump[pk]) is None
    for name, cid, _phone in scenario.kept_identities:  # the persons kept are still found by their ID
        assert person_lookup(actor=shenzhen_epi, citizen_id=cid, purpose="test").name == name
