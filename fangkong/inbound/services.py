"""Writes of the inbound closed loop: each checks the capability where it acts, validates against the loop's
rules (``loop.py``), runs in one transaction and is audited.

- ``manifest_import``: a manifest and its travellers (declared); the same manifest twice adds nothing.
- ``travellers_arrive``: the port confirms arrival; the management period is fixed from the protocol
  edition in force on the day of entry (``fangkong.protocols``).
- ``handoff_send`` / ``handoffs_answer``: a hand-off from the sender to a receiver, acknowledged or
  rejected by the receiver only (``may_answer``).
- ``traveller_step``: the steps a user records (check-in, home monitoring, release, lost, transferred out). On
  entering central quarantine or home health monitoring (here, or by an acknowledged hand-off home) the
  traveller becomes a person of the registry (``_person_link``): the daily follow-up of ``fangkong.followup``
  reads it through the person (``fangkong.inbound.followup``).
- ``traveller_to_case``: a positive traveller leaves the loop as an imported case (the cases service).
- ``breaks_sweep`` (the periodic job) and ``break_close``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can, memberships_of
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.locking import check_version
from fangkong.modules import role_capabilities
from fangkong.persons import keyring
from fangkong.regions.codes import covers
from fangkong.regions.models import Region

from . import loop
from .apps import MANAGE
from .documents import Document, documents_lookup, documents_protect
from .models import (
    OPEN_STATUSES,
    Handoff,
    LoopBreak,
    LoopStep,
    Manifest,
    Port,
    Status,
    TransferBatch,
    Traveller,
)

#: The ports of the demo province (code, Chinese name, English name, kind, region).
PORTS = (
    ("shenzhen-bay", "深圳湾口岸", "Shenzhen Bay Port", Port.Kind.LAND_PORT, "440305"),
    ("huanggang", "皇岗口岸", "Huanggang Port", Port.Kind.LAND_PORT, "440304"),
    ("futian-port", "福田口岸", "Futian Port", Port.Kind.LAND_PORT, "440304"),
    ("luohu", "罗湖口岸", "Luohu Port", Port.Kind.LAND_PORT, "440303"),
    ("shekou", "蛇口邮轮母港", "Shekou Cruise Homeport", Port.Kind.SEA_PORT, "440305"),
    ("baoan-airport", "深圳宝安国际机场", "Shenzhen Bao'an International Airport", Port.Kind.AIRPORT, "440306"),
    ("baiyun-airport", "广州白云国际机场", "Guangzhou Baiyun International Airport", Port.Kind.AIRPORT, "440111"),
    ("nansha", "南沙港", "Nansha Port", Port.Kind.SEA_PORT, "440115"),
    ("gongbei", "拱北口岸", "Gongbei Port", Port.Kind.LAND_PORT, "440402"),
    ("hzmb-zhuhai", "港珠澳大桥珠海公路口岸", "HZMB Zhuhai Port", Port.Kind.LAND_PORT, "440402"),
)
#: Hours an open break waits for an answer before it goes one level up the region tree.
ESCALATE_AFTER_HOURS = 4


def ports_install() -> int:
    """Install the ports of ``PORTS`` (idempotent); how many were added."""
    added = 0
    for code, zh, en, kind, region in PORTS:
        _port, created = Port.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en, "kind": kind,
                                                                         "region_id": region})
        added += created
    return added


def _require(actor, region_code: str, message: str) -> None:
    if not can(actor, MANAGE, region_code):
        raise PermissionDenied(message)


def _now_check(at: dt.datetime, field_name: str, now: dt.datetime) -> None:
    if at > now + dt.timedelta(minutes=5):
        raise ValidationError({field_name: [_("This time is in the future.")]})


def _lock(pks) -> None:
    """Lock the travellers a write moves, first thing in its transaction (in id order, so that two writes do
    not wait on each other in a circle): a break sweep running meanwhile has either committed its breaks,
    which the step then closes, or waits for the step and finds nothing overdue."""
    list(Traveller.objects.select_for_update().filter(pk__in=sorted(set(pks))).order_by("pk")
         .values_list("pk", flat=True))


def _step(traveller: Traveller, target: str, *, at: dt.datetime, actor, region: str, note: str = "",
          due_at: dt.datetime | None = None) -> LoopStep:
    """Move ``traveller`` to ``target`` (already checked), with its step row; open breaks of the status it
    leaves are closed by the step itself."""
    step = LoopStep(traveller=traveller, status_from=traveller.status, status_to=target, at=at, by=actor,
                    region_id=region, note=note)
    LoopBreak.objects.filter(traveller=traveller, closed_at__isnull=True).update(
        closed_at=at, closed_by=actor, resolution=_("Next step recorded: %(status)s") % {"status": Status(target).label})
    traveller.status, traveller.status_at, traveller.due_at = target, at, due_at
    traveller.version += 1
    return step


# --- manifests ------------------------------------------------------------------------------------------------


#: The columns of a new traveller, in the order ``manifest_import`` gives them to ``_travellers_insert``.
_NEW_TRAVELLER = ("manifest_id", "port_id", "port_region_id", "destination_id", "holder_id", "name", "sex",
                  "birth_date", "nationality", "id_kind", "id_hash", "id_sealed", "id_masked", "key_wrapped",
                  "key_epoch", "address_text", "status", "status_at", "version", "created_at", "created_by_id")


def _travellers_insert(values: list[tuple]) -> None:
    """Insert new travellers (``_NEW_TRAVELLER`` columns): by COPY on PostgreSQL — no model object, no
    statement compiled per batch (a 10,000-row manifest: 2 s of ``bulk_create``, 0.2 s of COPY) — and
    ``bulk_create`` elsewhere. The constraints hold alike (the foreign keys checked at commit)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY inbound_traveller ({', '.join(_NEW_TRAVELLER)}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        return
    Traveller.objects.bulk_create([Traveller(**dict(zip(_NEW_TRAVELLER, row, strict=True))) for row in values],
                                  batch_size=2000)


@dataclass
class ImportResult:
    manifest: Manifest | None
    created: int = 0
    already: int = 0
    errors: list[dict] = field(default_factory=list)  # {"row", "field", "message"}


def manifest_import(*, actor, port: str, carrier: str, carrier_no: str, arrival_date: dt.date, rows: list[dict],
                    request=None, row_errors: list[dict] | None = None) -> ImportResult:
    """Import a manifest's travellers (each row validated by ``inputs.TravellerRow``; ``row_errors`` the
    rows the schema refused). All rows or none: any error refuses the whole file and changes nothing. A
    traveller already on the same manifest is skipped (importing it twice adds nothing); one with an open
    loop on another manifest, or listed twice in the file, is an error on its row."""
    place = Port.objects.select_related("region").filter(code=port).first()
    if place is None:
        raise ValidationError({"port": [_("Unknown port of entry.")]})
    _require(actor, place.region_id, _("You may not import manifests at this port."))
    if arrival_date > timezone.localdate():
        raise ValidationError({"arrival_date": [_("The arrival date is in the future.")]})
    errors = list(row_errors or [])
    destinations = {r.code: r for r in Region.objects.filter(code__in={row["destination"] for row in rows})}
    documents: list[Document] = []
    for number, row in enumerate(rows, start=2):
        if row["destination"] not in destinations:
            errors.append({"row": row.get("_row", number), "field": "destination", "message": _("Unknown region.")})
        documents.append(row["document"])
    protected = documents_protect(documents)
    seen: dict[str, int] = {}
    for number, (row, (digest, *_sealed)) in enumerate(zip(rows, protected, strict=True), start=2):
        line = row.get("_row", number)
        if digest in seen:
            errors.append({"row": line, "field": "id_number",
                           "message": _("The same traveller is listed twice (rows %(first)s and %(row)s).")
                           % {"first": seen[digest], "row": line}})
        seen.setdefault(digest, line)
    if errors:
        return ImportResult(manifest=None, errors=sorted(errors, key=lambda e: (e["row"], e["field"])))
    with transaction.atomic():
        manifest, _created = Manifest.objects.get_or_create(
            port=place, carrier_no=carrier_no, arrival_date=arrival_date,
            defaults={"carrier": carrier, "region_id": place.region_id, "created_by": actor})
        current = documents_lookup(documents)  # any live epoch's hash → the current one (``seen``'s keys)
        on_manifest = {current[h] for h in manifest.travellers.filter(id_hash__in=list(current))
                       .values_list("id_hash", flat=True)}
        elsewhere = {current[h]: no for h, no in Traveller.objects.filter(
            id_hash__in=[h for h, now in current.items() if now not in on_manifest], status__in=OPEN_STATUSES)
            .values_list("id_hash", "manifest__carrier_no")}
        for digest, line in seen.items():
            if digest in elsewhere:
                errors.append({"row": line, "field": "id_number",
                               "message": _("This traveller is already in a closed loop (manifest %(no)s).")
                               % {"no": elsewhere[digest]}})
        if errors:
            transaction.set_rollback(True)
            return ImportResult(manifest=None, errors=errors)
        now = timezone.now()
        new = [(manifest.pk, place.pk, place.region_id, row["destination"], place.region_id, row["name"],
                row.get("sex") or "U", row.get("birth_date"), row.get("nationality", ""), row["document"].kind,
                digest, sealed, mask, wrapped, epoch, row.get("address_text", ""), Status.DECLARED, now, 1, now,
                getattr(actor, "pk", None))
               for row, (digest, sealed, mask, wrapped, epoch) in zip(rows, protected, strict=True)
               if digest not in on_manifest]
        _travellers_insert(new)
        keyring.check_live(*{row[_NEW_TRAVELLER.index("key_epoch")] for row in new})
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.IMPORT, obj=manifest, region_code=place.region_id,
                     request=request, detail={"created": len(new), "already": len(on_manifest), "port": place.code})
    return ImportResult(manifest=manifest, created=len(new), already=len(on_manifest))


# --- arrival --------------------------------------------------------------------------------------------------


def _period(traveller: Traveller, day: dt.date) -> None:
    from fangkong.protocols.selectors import NoProtocolInForce, protocol_in_force

    try:
        rules = protocol_in_force(day)
    except NoProtocolInForce:
        return
    period = rules.management_period("inbound", day)
    traveller.protocol = rules
    traveller.centralised_until, traveller.home_until = period.centralised_until, period.home_until
    traveller.release_due = period.release_due


def travellers_arrive(*, actor, travellers: list[Traveller], at: dt.datetime, request=None) -> int:
    """The port confirms the arrival of declared travellers at ``at`` (not in the future); their management
    period is counted from the day of entry under the edition in force that day."""
    now = timezone.now()
    _now_check(at, "arrived_at", now)
    for traveller in travellers:
        _require(actor, traveller.port_region_id, _("You may not confirm arrivals at this port."))
        if not loop.may_step(traveller.status, loop.ARRIVED):
            raise ValidationError({"status": [_("%(name)s is %(status)s: arrival cannot be confirmed.")
                                              % {"name": traveller.name, "status": traveller.get_status_display()}]})
    with transaction.atomic():
        _lock(t.pk for t in travellers)
        day = timezone.localtime(at).date()
        steps = []
        for traveller in travellers:
            steps.append(_step(traveller, loop.ARRIVED, at=at, actor=actor, region=traveller.port_region_id,
                               due_at=loop.due_after(loop.ARRIVED, at)))
            traveller.arrived_at = at
            _period(traveller, day)
        Traveller.objects.bulk_update(travellers, ["status", "status_at", "due_at", "version", "arrived_at", "protocol",
                                                   "centralised_until", "home_until", "release_due"])
        LoopStep.objects.bulk_create(steps)
        bump_data_generation()
        for traveller in travellers:
            audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=traveller,
                         region_code=traveller.port_region_id, request=request, detail={"status": loop.ARRIVED})
    return len(travellers)


# --- hand-offs ------------------------------------------------------------------------------------------------


def handoff_send(*, actor, travellers: list[Traveller], stage: str, receiver_region: str, receiver_unit: str,
                 sender_unit: str, expected_at: dt.datetime, ack_deadline: dt.datetime | None = None,
                 vehicle: str = "", escort: str = "", request=None) -> TransferBatch:
    """Hand travellers over to a receiver (point-to-point transfer); each awaits the receiver's answer
    until ``ack_deadline`` (default ``loop.ACK_WITHIN_HOURS`` of the stage after sending)."""
    if not travellers:
        raise ValidationError({"travellers": [_("Choose at least one traveller.")]})
    receiver = Region.objects.filter(code=receiver_region).first()
    if receiver is None:
        raise ValidationError({"receiver_region": [_("Unknown region.")]})
    senders = {t.holder_id for t in travellers}
    if len(senders) != 1:
        raise ValidationError({"travellers": [_("The travellers of one hand-off are held by one region.")]})
    sender = senders.pop()
    _require(actor, sender, _("You may not hand over travellers held by this region."))
    now = timezone.now()
    if stage not in loop.ACK_WITHIN_HOURS:
        raise ValidationError({"stage": [_("Choose the stage of the hand-off.")]})
    deadline = ack_deadline or now + dt.timedelta(hours=loop.ACK_WITHIN_HOURS[stage])
    if deadline <= now:
        raise ValidationError({"ack_deadline": [_("The deadline to acknowledge has passed already.")]})
    if receiver.code == sender:
        raise ValidationError({"receiver_region": [_("A hand-off goes to another region.")]})
    allowed_from = (Status.ARRIVED,) if stage == TransferBatch.Stage.QUARANTINE else (Status.CENTRAL_QUARANTINE,)
    for traveller in travellers:
        if traveller.status not in allowed_from:
            raise ValidationError({"travellers": [_("%(name)s is %(status)s and cannot be handed over now.")
                                                  % {"name": traveller.name,
                                                     "status": traveller.get_status_display()}]})
    with transaction.atomic():
        _lock(t.pk for t in travellers)
        batch = TransferBatch.objects.create(
            stage=stage, sender_region_id=sender, sender_unit=sender_unit, receiver_region=receiver,
            receiver_unit=receiver_unit, vehicle=vehicle, escort=escort, expected_at=expected_at,
            ack_deadline=deadline, created_at=now, created_by=actor)
        handoffs, steps = [], []
        for traveller in travellers:
            handoffs.append(Handoff(batch=batch, traveller=traveller, sender_region_id=sender,
                                    receiver_region=receiver, status_before=traveller.status))
            steps.append(_step(traveller, loop.IN_TRANSFER, at=now, actor=actor, region=sender,
                               due_at=loop.due_after(loop.IN_TRANSFER, now, ack_deadline=deadline)))
        try:
            Handoff.objects.bulk_create(handoffs)
        except IntegrityError as exc:
            raise ValidationError({"travellers": [_("A traveller already awaits another hand-off.")]}) from exc
        LoopStep.objects.bulk_create(steps)
        Traveller.objects.bulk_update(travellers, ["status", "status_at", "due_at", "version"])
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=batch, region_code=sender, request=request,
                     detail={"receiver": receiver.code, "travellers": len(travellers), "stage": stage})
    return batch


def may_answer(actor, handoff: Handoff) -> bool:
    """Only the receiver answers a hand-off: a membership with the capability whose region lies within the
    receiving region, or covers the receiver but not the sender (the province, above both, does not)."""
    grants = role_capabilities()
    for code, role in memberships_of(actor):
        if MANAGE not in grants.get(role, ()):
            continue
        receiver, sender = handoff.receiver_region_id, handoff.sender_region_id
        if covers(receiver, code) or (covers(code, receiver) and not covers(code, sender)):
            return True
    return False


def handoffs_answer(*, actor, handoffs: list[Handoff], accept: bool, reason: str = "", request=None) -> int:
    """The receiver acknowledges (or rejects, with a reason) pending hand-offs, one or a whole batch. An
    acknowledgement hands the traveller over (to quarantine) or starts home health monitoring; a rejection
    returns the traveller to the sender in the status it had."""
    reason = (reason or "").strip()
    if not handoffs:
        raise ValidationError({"handoffs": [_("Choose at least one hand-off.")]})
    if not accept and not reason:
        raise ValidationError({"reason": [_("Say why the hand-off is rejected.")]})
    for handoff in handoffs:
        if not may_answer(actor, handoff):
            raise PermissionDenied(_("Only the receiving region answers a hand-off."))
        if handoff.state != Handoff.State.PENDING:
            raise ValidationError({"handoffs": [_("This hand-off was answered already.")]})
    now = timezone.now()
    with transaction.atomic():
        _lock(h.traveller_id for h in handoffs)
        travellers, steps = [], []
        for handoff in handoffs:
            traveller, batch = handoff.traveller, handoff.batch
            handoff.state = Handoff.State.ACKNOWLEDGED if accept else Handoff.State.REJECTED
            handoff.answered_at, handoff.answered_by, handoff.reason = now, actor, reason[:200]
            if accept:
                target = loop.HANDED_OVER if batch.stage == TransferBatch.Stage.QUARANTINE else loop.HOME_MONITORING
                traveller.holder_id = handoff.receiver_region_id
                region = handoff.receiver_region_id
            else:
                target, region = handoff.status_before, handoff.sender_region_id
            due = loop.due_after(target, now, centralised_until=traveller.centralised_until,
                                 home_until=traveller.home_until)
            steps.append(_step(traveller, target, at=now, actor=actor, region=region, note=reason[:200], due_at=due))
            if target in FOLLOWED_UP:
                _person_link(actor=actor, traveller=traveller, request=request)
            travellers.append(traveller)
        Handoff.objects.bulk_update(handoffs, ["state", "answered_at", "answered_by", "reason"])
        Traveller.objects.bulk_update(travellers, ["status", "status_at", "due_at", "version", "holder", "person"])
        LoopStep.objects.bulk_create(steps)
        bump_data_generation()
        for handoff in handoffs:
            audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=handoff,
                         region_code=handoff.receiver_region_id, request=request,
                         detail={"state": handoff.state, "traveller": handoff.traveller_id}, reason=reason[:200])
    return len(handoffs)


# --- the traveller as a person of the registry -----------------------------------------------------------------

#: The statuses a traveller is followed up in daily (``fangkong.inbound.followup``): it becomes a person of the
#: registry on entering them.
FOLLOWED_UP = (Status.CENTRAL_QUARANTINE, Status.HOME_MONITORING)


def _person_link(*, actor, traveller: Traveller, request=None) -> str:
    """Find or register the person of the registry this traveller is (``Traveller.person``), in the caller's
    transaction; what was done: ``linked`` (already, or the person of an earlier trip with the same document),
    ``found`` / ``registered`` (``fangkong.persons.services.person_register``), or ``elsewhere``: the citizen ID
    is registered in a region outside the actor's — the person is not linked here (the registry tells the actor
    nothing more) and the region holding the traveller next links it.

    A citizen ID holder is registered by the ID (the registry's own de-duplication). A passport or home-return
    permit holder is registered without an identifier: the registry holds citizen IDs only, and the document is
    kept on the traveller with the same protection (keyed hash, sealed, mask), its keyed hash finding the person
    again on a later trip. The address is the destination (home) when the actor may register there, else the
    region holding the traveller."""
    from fangkong.accounts.access import in_scope
    from fangkong.persons.services import PersonElsewhereError, person_register

    from .documents import document_reveal
    from .models import IdKind

    if traveller.person_id is not None:
        return "linked"
    earlier = (Traveller.objects.filter(id_hash=traveller.id_hash, id_kind=traveller.id_kind, person__isnull=False)
               .exclude(pk=traveller.pk).order_by("-pk").values_list("person_id", flat=True).first())
    if earlier is not None:
        traveller.person_id = earlier
        _room_named(traveller)
        return "linked"
    citizen_id = document_reveal(traveller) if traveller.id_kind == IdKind.CITIZEN_ID else ""
    home = traveller.destination_id if in_scope(actor, traveller.destination_id) else traveller.holder_id
    try:
        registration = person_register(actor=actor, request=request, capability=MANAGE, name=traveller.name,
                                       sex=traveller.sex, birth_date=traveller.birth_date, citizen_id=citizen_id,
                                       address_region=home, address_text=traveller.address_text)
    except PersonElsewhereError:
        return "elsewhere"
    traveller.person = registration.person
    _room_named(traveller)
    return "registered" if registration.created else "found"


def _room_named(traveller: Traveller) -> None:
    """A room the traveller was checked into before (``fangkong.resources``) now names its person."""
    from fangkong.resources.services import traveller_person_set

    traveller_person_set(traveller)


# --- steps recorded by the holder -----------------------------------------------------------------------------


def traveller_step(*, actor, traveller: Traveller, status: str, at: dt.datetime | None = None, note: str = "",
                   expected_version: int | None = None, request=None) -> Traveller:
    """Record a step the holder makes (check-in at the site, home monitoring, release, lost, transferred out)."""
    now = timezone.now()
    at = at or now
    _require(actor, traveller.holder_id, _("Only the region holding the traveller records this step."))
    if status not in loop.RECORDED_STEPS or status == loop.ARRIVED:
        raise ValidationError({"status": [_("This step is not recorded here.")]})
    if not loop.may_step(traveller.status, status) or (traveller.status, status) in loop.HANDOFF_STEPS:
        raise ValidationError({"status": [_("A traveller who is %(current)s cannot become %(target)s.")
                                          % {"current": traveller.get_status_display(),
                                             "target": Status(status).label}]})
    _now_check(at, "at", now)
    if at < traveller.status_at:
        raise ValidationError({"at": [_("This step cannot precede the previous one.")]})
    stale = _("Someone changed this traveller meanwhile; reload the page.")
    check_version(traveller.version, expected_version, stale)
    with transaction.atomic():
        locked = Traveller.objects.select_for_update().get(pk=traveller.pk)
        check_version(locked.version, traveller.version, stale)
        due = loop.due_after(status, at, centralised_until=traveller.centralised_until,
                             home_until=traveller.home_until)
        step = _step(traveller, status, at=at, actor=actor, region=traveller.holder_id, note=note[:200], due_at=due)
        step.save()
        detail = {"status": status}
        if status in FOLLOWED_UP:
            detail["person"] = _person_link(actor=actor, traveller=traveller, request=request)
        traveller.save(update_fields=["status", "status_at", "due_at", "version", "person"])
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=traveller, region_code=traveller.holder_id,
                     request=request, detail=detail)
    return traveller


def traveller_to_case(*, actor, traveller: Traveller, diagnosed_at: dt.datetime, classification: str = "confirmed",
                      onset_date: dt.date | None = None, request=None) -> Traveller:
    """A positive traveller (or one whose follow-up found fever or symptoms: ``classification`` suspected) leaves
    the loop as an imported case, registered through the cases service in the region holding the traveller
    (residence: the destination). The person is the traveller's (``Traveller.person``), else found by citizen ID
    or registered there."""
    from fangkong.cases.models import DetectionRoute, Disease
    from fangkong.cases.services import case_register
    from fangkong.persons.services import person_register

    from .documents import document_reveal
    from .models import IdKind

    _require(actor, traveller.holder_id, _("Only the region holding the traveller records this step."))
    if not loop.may_step(traveller.status, loop.CASE):
        raise ValidationError({"status": [_("A traveller who is %(current)s cannot become %(target)s.")
                                          % {"current": traveller.get_status_display(),
                                             "target": Status.CASE.label}]})
    with transaction.atomic():
        _lock([traveller.pk])
        person = traveller.person
        if person is None:
            citizen_id = document_reveal(traveller) if traveller.id_kind == IdKind.CITIZEN_ID else ""
            person = person_register(actor=actor, request=request, name=traveller.name, sex=traveller.sex,
                                     birth_date=traveller.birth_date, citizen_id=citizen_id,
                                     address_region=traveller.holder_id, address_text=traveller.address_text).person
        case = case_register(actor=actor, request=request, person=person,
                             disease=Disease.objects.get(code="covid-19"), classification=classification,
                             diagnosed_at=diagnosed_at, onset_date=onset_date, report_region=traveller.holder_id,
                             detection_route=DetectionRoute.INBOUND_SCREENING, imported=True,
                             origin=traveller.port.name_zh, residence_region=traveller.destination_id)
        step = _step(traveller, loop.CASE, at=diagnosed_at, actor=actor, region=traveller.holder_id,
                     note=case.case_no)
        step.save()
        traveller.case, traveller.person = case, person
        traveller.save(update_fields=["status", "status_at", "due_at", "version", "case", "person"])
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=traveller, region_code=traveller.holder_id,
                     request=request, detail={"status": loop.CASE, "case": case.case_no})
    return traveller


# --- breaks ---------------------------------------------------------------------------------------------------


#: The statement of the sweep: every open loop past a due time that no break names yet becomes a break of the
#: kind its status names (the pending hand-off's receiver, or the destination, is the other side).
_BREAKS_MAKE = """
    WITH due AS (
        SELECT t.id, t.status, t.due_at, t.holder_id, t.destination_id FROM inbound_traveller t
         WHERE t.due_at < %s AND t.status IN ({statuses})
           AND NOT EXISTS (SELECT 1 FROM inbound_loopbreak b WHERE b.traveller_id = t.id AND b.due_at = t.due_at)
        {lock})
    INSERT INTO inbound_loopbreak (kind, traveller_id, handoff_id, sender_region_id, receiver_region_id, due_at,
                                   detected_at, level, resolution)
    SELECT CASE due.status {cases} END, due.id, h.id, due.holder_id,
           COALESCE(h.receiver_region_id, due.destination_id), due.due_at, %s, 0, ''
      FROM due LEFT JOIN inbound_handoff h ON h.traveller_id = due.id AND h.state = %s
     WHERE true
    ON CONFLICT DO NOTHING
    RETURNING kind"""


def _breaks_make(now: dt.datetime) -> dict[str, int]:
    """Make a break of every due time passed at ``now`` that no break names yet, in one statement over the
    whole set: the travellers are not written (a due time stays until the next step replaces it, and a break
    is made once per due time, closed or not); on PostgreSQL the overdue rows are locked, so a step recorded
    meanwhile (``traveller_step`` locks its traveller) waits and then closes the break. The breaks made, by
    kind."""
    from django.db import connection

    kinds = list(loop.BREAK_OF_STATUS.items())
    sql = _BREAKS_MAKE.format(statuses=", ".join("%s" for _ in kinds), cases=" ".join("WHEN %s THEN %s" for _ in kinds),
                              lock="FOR UPDATE OF t" if connection.features.has_select_for_update_of else "")
    params = [now, *(status for status, _kind in kinds), *(value for pair in kinds for value in pair),
              now, Handoff.State.PENDING]
    made: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for (kind,) in cursor.fetchall():
            made[kind] = made.get(kind, 0) + 1
    return made


def breaks_sweep(*, now: dt.datetime | None = None) -> dict:
    """The periodic job: every open loop whose next step is overdue becomes a break, once per due time,
    visible to both sides (the region that holds the traveller and the one it was going to); open breaks
    unanswered for ``ESCALATE_AFTER_HOURS`` go one level up. Set-based (no row goes through Python) and
    audited as one event with the counts."""
    now = now or timezone.now()
    with transaction.atomic():
        made = _breaks_make(now)
        escalated = 0
        for level in (1, 0):  # the higher level first: a break goes up one level per sweep at most
            escalated += LoopBreak.objects.filter(
                closed_at__isnull=True, level=level,
                detected_at__lt=now - dt.timedelta(hours=ESCALATE_AFTER_HOURS * (level + 1))).update(level=level + 1)
        found = sum(made.values())
        if found or escalated:
            bump_data_generation()
            audit_record(actor=None, action=AuditEvent.Action.CREATE, object_type="inbound.loopbreak",
                         detail={"found": found, "by_kind": dict(sorted(made.items())), "escalated": escalated})
    return {"found": found, "escalated": escalated, "by_kind": made}


def break_close(*, actor, loop_break: LoopBreak, resolution: str, request=None) -> LoopBreak:
    """Either side closes a break with what was done (the traveller found, the hand-off re-sent…)."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": [_("Say how the break was resolved.")]})
    if not (can(actor, MANAGE, loop_break.sender_region_id) or can(actor, MANAGE, loop_break.receiver_region_id)):
        raise PermissionDenied(_("Only the two regions of a break close it."))
    if loop_break.closed_at is not None:
        raise ValidationError({"resolution": [_("This break is closed already.")]})
    with transaction.atomic():
        loop_break.closed_at, loop_break.closed_by, loop_break.resolution = timezone.now(), actor, resolution[:200]
        loop_break.save(update_fields=["closed_at", "closed_by", "resolution"])
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=loop_break,
                     region_code=loop_break.sender_region_id, request=request, reason=resolution[:200])
    return loop_break
