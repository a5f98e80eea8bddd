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
