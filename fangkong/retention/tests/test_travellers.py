"""Inbound travellers carry their own name and document: the seeded policy anonymises them a year after
arrival — the row stays (the port's figures), its name, document and address go; one not yet arrived waits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.inbound.documents import document_parse
from fangkong.inbound.models import IdKind, Traveller
from fangkong.inbound.services import manifest_import, ports_install, travellers_arrive
from fangkong.retention.purge import ANONYMOUS_NAME
from fangkong.retention.services import purge_decide, purge_plan, purge_run

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def test_travellers_are_anonymised_a_year_after_arrival(policies, admin1, admin2):
    ports_install()
    officer = User.objects.create(username="retention_port")
    Membership.objects.create(user=officer, region_id="440304", role=Role.EPIDEMIOLOGIST)
    day = AS_OF - dt.timedelta(days=400)
    rows = [{"name": name, "document": document_parse(IdKind.PASSPORT, number), "destination": "441900"}
            for name, number in (("旧入境甲", "E11220001"), ("旧入境乙", "E11220002"))]
    result = manifest_import(actor=officer, port="huanggang", carrier="vehicle", carrier_no="粤Z0001港",
                             arrival_date=day, rows=rows)
    arrived = result.manifest.travellers.get(name="旧入境甲")
    waiting = result.manifest.travellers.get(name="旧入境乙")
    travellers_arrive(actor=officer, travellers=[arrived],
                      at=timezone.make_aware(dt.datetime.combine(day, dt.time(10))))
    purge = purge_plan(actor=admin1, region="440000", as_of=AS_OF)
    assert purge.plan["travellers"]["count"] == 1
    purge_decide(actor=admin2, purge=purge, approve=True)
    purge = purge_run(purge_id=purge.pk)
    arrived.refresh_from_db()
    assert (arrived.name, arrived.id_sealed, arrived.id_masked, arrived.address_text) == (ANONYMOUS_NAME, "", "", "")
    assert Traveller.objects.get(pk=waiting.pk).name == "旧入境乙"
    assert purge.progress["counts"]["travellers"]["anonymised"] == 1


def _quarantined_traveller(name: str, number: str):
    """A passport holder arrived at Huanggang, handed to Nanshan and placed in central quarantine: a person of
    the registry and a follow-up subject (``fangkong.inbound.followup``); then dated 400 days before ``AS_OF``."""
    from fangkong.followup.models import Subject
    from fangkong.followup.services import subjects_sync
    from fangkong.inbound.models import Status
    from fangkong.inbound.services import handoff_send, handoffs_answer, traveller_step

    ports_install()
    futian, _ = User.objects.get_or_create(username="retention_ft")
    Membership.objects.get_or_create(user=futian, region_id="440304", role=Role.EPIDEMIOLOGIST)
    nanshan, _ = User.objects.get_or_create(username="retention_ns")
    Membership.objects.get_or_create(user=nanshan, region_id="440305", role=Role.EPIDEMIOLOGIST)
    now = timezone.now()
    arrived = now - dt.timedelta(hours=72)
    result = manifest_import(actor=futian, port="huanggang", carrier="vehicle", carrier_no="粤Z0002港",
                             arrival_date=timezone.localtime(arrived).date(),
                             rows=[{"name": name, "document": document_parse(IdKind.PASSPORT, number),
                                    "destination": "441900"}])
    traveller = result.manifest.travellers.get()
    travellers_arrive(actor=futian, travellers=[traveller], at=arrived)
    batch = handoff_send(actor=futian, travellers=[traveller], stage="quarantine", receiver_region="440305",
                         receiver_unit="南山隔离酒店", sender_unit="皇岗口岸", expected_at=now)
    handoffs_answer(actor=nanshan, handoffs=list(batch.handoffs.all()), accept=True)
    traveller_step(actor=nanshan, traveller=Traveller.objects.get(pk=traveller.pk), status=Status.CENTRAL_QUARANTINE)
    subjects_sync(day=timezone.localdate(), kinds=("inbound",))
    traveller = Traveller.objects.get(pk=traveller.pk)
    assert traveller.person is not None and Subject.objects.filter(kind="inbound", source_id=traveller.pk).exists()
    Traveller.objects.filter(pk=traveller.pk).update(
        arrived_at=timezone.make_aware(dt.datetime.combine(AS_OF - dt.timedelta(days=400), dt.time(10))))
    return traveller


def _purged(admin1, admin2):
    purge = purge_plan(actor=admin1, region="440000", as_of=AS_OF)
    purge_decide(actor=admin2, purge=purge, approve=True)
    return purge_run(purge_id=purge.pk)


def test_a_quarantined_travellers_person_goes_with_the_traveller(policies, admin1, admin2):
    """The person the registry made of a traveller in quarantine is anonymised with the traveller (it held the
    same name), and its follow-up rows go: nothing of the traveller's identity is left in the registry."""
    from fangkong.followup.models import Subject
    from fangkong.persons.models import Person

    traveller = _quarantined_traveller("隔离入境丙", "E11220003")
    person_id = traveller.person_id
    _purged(admin1, admin2)
    assert Traveller.objects.get(pk=traveller.pk).name == ANONYMOUS_NAME
    assert Person.objects.get(pk=person_id).name == ANONYMOUS_NAME
    assert not Subject.objects.filter(kind="inbound", source_id=traveller.pk).exists()


def test_a_hold_on_a_travellers_person_keeps_the_traveller(policies, admin1, admin2):
    from fangkong.persons.models import Person
    from fangkong.retention.models import LegalHold

    traveller = _quarantined_traveller("保全入境丁", "E11220004")
    LegalHold.objects.create(target=LegalHold.Target.PERSON, object_id=traveller.person_id, reason="案件调查",
                             placed_by=admin1)
    _purged(admin1, admin2)
    assert Traveller.objects.get(pk=traveller.pk).name == "保全入境丁"
    assert Person.objects.get(pk=traveller.person_id).name == "保全入境丁"
