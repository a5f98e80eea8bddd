"""Shenzhen's inbound records for the platform's scope test (``scope_records`` of the module): travellers
at Huanggang (Futian) bound for Dongguan, one arrived and handed over to a Nanshan site (pending, past its
deadline, so a break is open), one declared."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ..documents import document_parse
from ..models import IdKind, LoopBreak, Traveller
from ..services import breaks_sweep, handoff_send, manifest_import, ports_install, travellers_arrive

NAMES = ("闭环测试甲", "闭环测试乙")


def shenzhen_loop(actor) -> dict:
    ports_install()
    rows = [{"name": NAMES[0], "document": document_parse(IdKind.PASSPORT, "E11223344"), "destination": "441900"},
            {"name": NAMES[1], "document": document_parse(IdKind.CITIZEN_ID, "440304199001011233"),
             "destination": "440304"}]
    now = timezone.now()
    result = manifest_import(actor=actor, port="huanggang", carrier="vehicle", carrier_no="粤Z1234港",
                             arrival_date=timezone.localdate(), rows=rows)
    first, second = Traveller.objects.filter(manifest=result.manifest).order_by("id")
    travellers_arrive(actor=actor, travellers=[first], at=now - dt.timedelta(hours=1))
    batch = handoff_send(actor=actor, travellers=[first], stage="quarantine", receiver_region="440305",
                         receiver_unit="南山集中隔离点", sender_unit="皇岗口岸", expected_at=now,
                         ack_deadline=now + dt.timedelta(minutes=1))
    breaks_sweep(now=now + dt.timedelta(hours=1))
    return {"manifest": result.manifest, "travellers": [first, second], "batch": batch,
            "handoff": batch.handoffs.get(), "break": LoopBreak.objects.get(traveller=first)}


def other_city_records(actor) -> dict[str, list[str]]:
    made = shenzhen_loop(actor)
    travellers = [str(t.pk) for t in made["travellers"]]
    return {"slug": ["huanggang"],
            "pk": [*travellers, str(made["batch"].pk), str(made["handoff"].pk), str(made["break"].pk)]}
