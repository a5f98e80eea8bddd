"""The demo part of the inbound module (its ``demo_loader``): the ports, and the simulated travellers of the
demo scenario (``fangkong.demo.demo_scenario``) who entered through Shenzhen and Guangzhou — at Shenzhen Bay
and Huanggang (by turns) and at Baiyun airport — with their loops as the simulator's events make them
(``evaluation.traveller_steps``); the loops the simulator did not break are completed by the rules
(release from home health monitoring); the broken ones stay open where they broke, and the break sweep
is run at the end of the scenario so that their breaks wait in the break list for a demo user to close.
A few travellers of the scenario's last days go through the loop's own services into central quarantine in
Futian (``_in_quarantine``): persons of the registry under daily follow-up.

Written in bulk (one audit event for the load), deterministic (the scenario's seed), a few seconds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.db import transaction

from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.regions.models import Region

from . import loop
from .documents import Document, documents_protect
from .evaluation import traveller_steps
from .models import Handoff, IdKind, LoopStep, Manifest, Port, Status, TransferBatch, Traveller
from .services import breaks_sweep, ports_install

TZ = ZoneInfo("Asia/Shanghai")
SURNAMES = "陈李张黄王林刘吴梁郑杨何周谢郭罗"
GIVEN = ("伟", "芳", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞")
#: Simulated ports by prefecture → the demo's ports there (taken by turns).
PORTS_OF = {"4403": ("shenzhen-bay", "huanggang"), "4401": ("baiyun-airport",)}
CARRIER = {Port.Kind.AIRPORT: Manifest.Carrier.FLIGHT, Port.Kind.LAND_PORT: Manifest.Carrier.VEHICLE,
           Port.Kind.SEA_PORT: Manifest.Carrier.VESSEL}


def _name(i: int) -> str:
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 16) % len(GIVEN)] + GIVEN[(i // 256) % len(GIVEN)]


@transaction.atomic
def demo_load(actor) -> str:
    from fangkong.demo import demo_scenario
    from fangkong.protocols.selectors import NoProtocolInForce, protocol_in_force

    ports_install()
    if Traveller.objects.exists():
        return f"demo inbound: {Traveller.objects.count()} travellers already loaded"
    scenario, tree = demo_scenario()
    params, travellers, places = scenario.params, scenario.travellers, scenario.places
    start = dt.datetime.combine(params.start_date, dt.time(), tzinfo=TZ)
    end = start + dt.timedelta(days=params.total_days)
    ports = {p.code: p for p in Port.objects.all()}
    code_of = [str(c) for c in tree.codes]
    names = dict(Region.objects.values_list("code", "name_zh"))
    steps_of = traveller_steps(scenario)
    chosen = []
    for i in range(travellers.n):
        prefecture = code_of[places.region[travellers.port[i]]][:4]
        if prefecture in PORTS_OF and steps_of[i]:
            options = PORTS_OF[prefecture]
            chosen.append((i, ports[options[i % len(options)]]))
    documents = [Document(IdKind.PASSPORT, f"E{70_000_000 + i:08d}") for i, _port in chosen]
    protected = documents_protect(documents)
    manifests: dict[tuple, Manifest] = {}
    rules_of: dict[dt.date, object] = {}

    def at(days: float) -> dt.datetime:
        return start + dt.timedelta(days=days)

    rows, plans = [], []
    for (i, port), (digest, sealed, mask, wrapped, epoch) in zip(chosen, protected, strict=True):
        entry = at(float(travellers.entry_time[i]))
        day = entry.date()
        key = (port.code, day)
        if key not in manifests:
            prefix = {"shenzhen-bay": "SZB", "huanggang": "HG", "baiyun-airport": "CZ"}[port.code]
            manifests[key] = Manifest(port=port, region_id=port.region_id, carrier=CARRIER[port.kind],
                                      carrier_no=f"{prefix}{day:%m%d}", arrival_date=day, created_by=actor)
        if day not in rules_of:
            try:
                rules_of[day] = protocol_in_force(day)
            except NoProtocolInForce:
                rules_of[day] = None
        rules = rules_of[day]
        period = rules.management_period("inbound", day) if rules else None
        site = travellers.quarantine_site[i]
        site_region = code_of[places.region[site]] if site >= 0 else port.region_id
        destination = code_of[travellers.destination[i]]
        steps = list(steps_of[i])
        broken = travellers.broken_stage[i] >= 0
        if not broken and period is not None and steps[-1].status not in (loop.CASE,):
            steps = _completed(steps, period, start)
        plans.append((len(rows), steps, port, site_region, destination, broken, key))
        rows.append(Traveller(
            manifest=None, port=port, port_region_id=port.region_id, destination_id=destination,
            holder_id=port.region_id, name=_name(i), sex="MF"[i % 2], id_kind=IdKind.PASSPORT, id_hash=digest,
            id_sealed=sealed, id_masked=mask, key_wrapped=wrapped, key_epoch=epoch, status=Status.DECLARED, status_at=entry, created_at=entry,
            created_by=actor, protocol=rules, centralised_until=period.centralised_until if period else None,
            home_until=period.home_until if period else None, release_due=period.release_due if period else None))
    Manifest.objects.bulk_create(manifests.values())
    batches: dict[tuple, TransferBatch] = {}
    pending_handoffs, step_rows = [], []
    for position, steps, port, site_region, destination, _broken, key in plans:
        traveller = rows[position]
        traveller.manifest = manifests[key]
        previous, last_batch = Status.DECLARED, None
        for step in steps:
            moment = at(step.at)
            if step.status == loop.IN_TRANSFER:
                home = step.stage == "home"
                sender, receiver = (site_region, destination) if home else (port.region_id, site_region)
                bkey = (step.stage, sender, receiver, moment.date())
                if bkey not in batches:
                    batches[bkey] = TransferBatch(
                        stage=step.stage, sender_region_id=sender, receiver_region_id=receiver,
                        sender_unit=f"{names[sender]}集中隔离点" if home else port.name_zh,
                        receiver_unit=f"{names[receiver]}社区" if home else f"{names[receiver]}集中隔离点",
                        vehicle=f"粤B{10000 + len(batches):05d}", escort="转运专班",
                        expected_at=moment + dt.timedelta(hours=2),
                        ack_deadline=moment + dt.timedelta(hours=loop.ACK_WITHIN_HOURS[step.stage]),
                        created_at=moment, created_by=actor)
                last_batch = batches[bkey]
                pending_handoffs.append((traveller, last_batch, sender, receiver, previous))
                region = sender
            elif step.status in (loop.HANDED_OVER, loop.HOME_MONITORING):
                region = pending_handoffs[-1][3]
                traveller.holder_id = region
            else:
                region = traveller.holder_id
            if step.status == loop.ARRIVED:
                traveller.arrived_at = moment
            step_rows.append((traveller, LoopStep(status_from=previous, status_to=step.status, at=moment, by=actor,
                                                  region_id=region)))
            traveller.status, traveller.status_at, previous = step.status, moment, step.status
        deadline = last_batch.ack_deadline if steps[-1].status == loop.IN_TRANSFER else None
        traveller.due_at = loop.due_after(traveller.status, traveller.status_at, ack_deadline=deadline,
                                          centralised_until=traveller.centralised_until,
                                          home_until=traveller.home_until)
    Traveller.objects.bulk_create(rows, batch_size=2000)
    TransferBatch.objects.bulk_create(batches.values())
    for traveller, step in step_rows:
        step.traveller = traveller
    LoopStep.objects.bulk_create([step for _t, step in step_rows], batch_size=5000)
    handoffs, last_of = [], {}
    for traveller, batch, sender, receiver, before in pending_handoffs:
        handoff = Handoff(batch=batch, traveller=traveller, sender_region_id=sender, receiver_region_id=receiver,
                          status_before=before, state=Handoff.State.ACKNOWLEDGED, answered_at=batch.created_at,
                          answered_by=actor)
        handoffs.append(handoff)
        last_of[traveller.pk] = handoff
    for traveller in rows:
        if traveller.status == Status.IN_TRANSFER:
            waiting = last_of[traveller.pk]
            waiting.state, waiting.answered_at, waiting.answered_by = Handoff.State.PENDING, None, None
    Handoff.objects.bulk_create(handoffs, batch_size=5000)
    found = breaks_sweep(now=min(end, dt.datetime.now(TZ)))["found"]
    audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="inbound.traveller",
                 detail={"demo": True, "travellers": len(rows), "breaks": found})
    quarantined = _in_quarantine(actor)
    counts = defaultdict(int)
    for traveller in rows:
        counts[traveller.port.code] += 1
    return (f"demo inbound: {len(rows)} travellers ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}), "
            f"{len(batches)} transfer batches, {found} breaks open, {quarantined} in central quarantine in Futian "
            f"under daily follow-up")


#: The travellers of the scenario's last days in central quarantine in Futian (name, passport or citizen ID).
QUARANTINED = (("陈嘉怡", IdKind.PASSPORT, "E80000001"), ("李俊杰", IdKind.PASSPORT, "E80000002"),
               ("张慧敏", IdKind.PERMIT, "H80000003"), ("黄志强", IdKind.PASSPORT, "E80000004"),
               ("王晓彤", IdKind.PERMIT, "H80000005"), ("林浩然", IdKind.PASSPORT, "E80000006"))


def _in_quarantine(actor) -> int:
    """A Shenzhen Bay arrival two days before the scenario's last day, through the loop's own services: handed
    over to Futian, acknowledged by Futian's commander (demo user ``futian``) and checked in to central
    quarantine there — each traveller then a person of the registry, followed up daily (``fangkong.followup``,
    whose demo runs after this one) and placed in a room by the resources demo."""
    from fangkong.accounts.models import User
    from fangkong.demo import scenario_last_day

    from .documents import document_parse
    from .services import handoff_send, handoffs_answer, manifest_import, traveller_step, travellers_arrive

    futian, day = User.objects.filter(username="futian").first(), scenario_last_day()
    if futian is None or day is None:
        return 0
    arrival = dt.datetime.combine(day - dt.timedelta(days=2), dt.time(10), tzinfo=TZ)
    result = manifest_import(actor=actor, port="shenzhen-bay", carrier=Manifest.Carrier.VEHICLE,
                             carrier_no=f"SZB{arrival:%m%d}Q", arrival_date=arrival.date(),
                             rows=[{"name": name, "sex": "MF"[i % 2], "document": document_parse(kind, number),
                                    "destination": "440304"} for i, (name, kind, number) in enumerate(QUARANTINED)])
    travellers = list(result.manifest.travellers.order_by("pk"))
    travellers_arrive(actor=actor, travellers=travellers, at=arrival)
    batch = handoff_send(actor=actor, travellers=travellers, stage=TransferBatch.Stage.QUARANTINE,
                         receiver_region="440304", receiver_unit="福田区集中隔离点", sender_unit="深圳湾口岸",
                         expected_at=dt.datetime.now(TZ))
    handoffs_answer(actor=futian, handoffs=list(batch.handoffs.select_related("traveller", "batch")), accept=True)
    for traveller in Traveller.objects.filter(pk__in=[t.pk for t in travellers]).order_by("pk"):
        traveller_step(actor=futian, traveller=traveller, status=Status.CENTRAL_QUARANTINE)
    # the services stamp the hand-off and the check-in with the real clock: dated on the scenario's day instead,
    # as the rest of the demo (sent two hours after arrival, acknowledged after four, checked in after five)
    sent, answered, checked_in = (arrival + dt.timedelta(hours=h) for h in (2, 4, 5))
    TransferBatch.objects.filter(pk=batch.pk).update(created_at=sent, expected_at=answered,
                                                     ack_deadline=sent + dt.timedelta(hours=8))
    Handoff.objects.filter(batch=batch).update(answered_at=answered)
    steps = LoopStep.objects.filter(traveller__in=travellers)
    for status, moment in ((Status.IN_TRANSFER, sent), (Status.HANDED_OVER, answered),
                           (Status.CENTRAL_QUARANTINE, checked_in)):
        steps.filter(status_to=status).update(at=moment)
    for traveller in Traveller.objects.filter(pk__in=[t.pk for t in travellers]):
        traveller.status_at = checked_in
        traveller.due_at = loop.due_after(Status.CENTRAL_QUARANTINE, checked_in,
                                          centralised_until=traveller.centralised_until)
        traveller.save(update_fields=["status_at", "due_at"])
    return len(travellers)


def _completed(steps, period, start) -> list:
    """A loop the simulator did not break, completed by the rules where the scenario stopped it: released
    from central quarantine and handed home, then released from home health monitoring."""
    from .evaluation import Step

    def days(day: dt.date, hour: int) -> float:
        moment = dt.datetime.combine(day, dt.time(hour), tzinfo=start.tzinfo)
        return (moment - start).total_seconds() / 86400

    steps = list(steps)
    if steps[-1].status == loop.ARRIVED:
        steps.append(Step(loop.IN_TRANSFER, steps[-1].at + 0.2, "quarantine"))
    if steps[-1].status == loop.IN_TRANSFER and steps[-1].stage == "quarantine":
        steps.append(Step(loop.HANDED_OVER, steps[-1].at + 0.2))
    if steps[-1].status == loop.HANDED_OVER:
        steps.append(Step(loop.CENTRAL_QUARANTINE, steps[-1].at))
    if steps[-1].status == loop.CENTRAL_QUARANTINE:
        sent = max(days(period.centralised_until + dt.timedelta(days=1), 10), steps[-1].at)
        steps.append(Step(loop.IN_TRANSFER, sent, "home"))
    if steps[-1].status == loop.IN_TRANSFER and steps[-1].stage == "home":
        steps.append(Step(loop.HOME_MONITORING, steps[-1].at + 0.1))
    if steps[-1].status == loop.HOME_MONITORING:
        steps.append(Step(loop.RELEASED, max(days(period.home_until + dt.timedelta(days=1), 10), steps[-1].at)))
    return steps
