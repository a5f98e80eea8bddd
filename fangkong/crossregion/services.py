"""Writes of the cross-region requests: each checks who may act, runs in one transaction and is audited.

- ``request_send``: a region asks another to find persons linked to one of its cases. Refused: a request
  to one's own region (or to a region inside it, or containing it), a person listed twice, a source case
  outside the sender's regions, a role without ``crossregion.write`` in the sending region. The protocol
  edition in force on the day it is sent is recorded with it; the deadlines follow the urgency
  (``models.DEADLINE_HOURS``). A request submitted twice (the same idempotency key; without one, the same
  content) is recorded once: the second call returns the first request.
- ``request_acknowledge``: the receiving region acknowledges (refused to any other region).
- ``person_outcome_record``: the receiving region records one person's outcome: found and quarantined (the
  person is registered in its registry and as its own contact, linked to the sender's source case — the
  case itself is never written), not found (with the reason; it may still be found later), not in its area
  (forwarded: a new request from the receiver to the region named, carrying the person, the source case and
  the chain), already under management. Refused: a person not in the request, a region that is not the
  receiver, a person whose outcome is final.
- ``overdue_escalate``: the periodic job (``tasks.py``) flagging requests not acknowledged in time, persons
  not reported on in time and persons not found (``escalated_at``), for the problem lists to take up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can, in_scope, memberships_of
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.cases.models import Case, ContactCategory
from fangkong.cases.services import contact_register
from fangkong.data_generation import bump_data_generation
from fangkong.persons import protection
from fangkong.persons.services import (
    CITIZEN_ID,
    PHONE,
    PersonElsewhereError,
    normalise_phone,
    person_register,
)
from fangkong.protocols.selectors import NoProtocolInForce, protocol_in_force
from fangkong.regions.codes import covers
from fangkong.regions.models import Region

from .apps import WRITE
from .models import (
    DEADLINE_HOURS,
    FINAL_OUTCOMES,
    InvestigationRequest,
    OutcomeKind,
    PersonOutcome,
    RequestedPerson,
    RequestStatus,
)


def sending_region_of(actor) -> str | None:
    """The region a user sends from by default: their first membership that may send."""
    return next((code for code, _role in memberships_of(actor) if can(actor, WRITE, code)), None)


def _content_key(sender: str, receiver: str, case_no: str, persons: list[dict]) -> str:
    """The idempotency key of a submission that brings none: the same content is the same request."""
    people = sorted((p.get("citizen_id", ""), p["name"], p.get("phone", ""), str(p.get("exposure_end") or ""))
                    for p in persons)
    text = repr((sender, receiver, case_no, people))
    return "content-" + hashlib.sha256(text.encode()).hexdigest()[:48]


def _same_person_key(person: dict) -> tuple:
    """Two lines are the same person: the same citizen ID, or without one the same name with the same phone
    or birth date."""
    if person.get("citizen_id"):
        return ("id", person["citizen_id"])
    return ("name", person["name"].strip(), person.get("phone", "") or str(person.get("birth_date") or ""))


def _check_persons(persons: list[dict], errors: dict) -> list[dict]:
    seen: dict[tuple, int] = {}
    checked = []
    for number, person in enumerate(persons, start=1):
        person = dict(person)
        if person.get("phone"):
            try:
                person["phone"] = normalise_phone(person["phone"])
            except ValidationError as exc:
                errors.setdefault("persons", []).append(
                    _("Person %(n)d, phone: %(message)s") % {"n": number, "message": exc.messages[0]})
        key = _same_person_key(person)
        if key in seen:
            errors.setdefault("persons", []).append(
                _("Person %(n)d is listed twice: the same person as person %(first)d.") % {"n": number, "first": seen[key]})
        seen.setdefault(key, number)
        checked.append(person)
    return checked


def _deadlines(urgency: str, sent_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    ack_hours, report_hours = DEADLINE_HOURS[urgency]
    return sent_at + dt.timedelta(hours=ack_hours), sent_at + dt.timedelta(hours=report_hours)


def _requested_person(req: InvestigationRequest, person: dict, listed_at: dt.datetime) -> RequestedPerson:
    row = RequestedPerson(request=req, name=person["name"].strip(), sex=person.get("sex") or "U",
                          birth_date=person.get("birth_date"), address_text=(person.get("address_text") or "").strip(),
                          category=person["category"], exposure_start=person.get("exposure_start"),
                          exposure_end=person.get("exposure_end"), listed_at=listed_at)
    number = person.get("citizen_id") or ""
    if number or person.get("phone"):
        data_key = protection.data_key_new()  # the row's own key (crypto-shredding: fangkong.persons.keyring)
        row.key_wrapped, row.key_epoch = data_key.wrapped, data_key.epoch
    if number:
        from fangkong.persons.citizen_id import parse_citizen_id

        parsed = parse_citizen_id(number)
        row.citizen_id_hash = protection.identifier_hash(parsed.number, CITIZEN_ID)
        row.citizen_id_sealed = protection.identifier_seal(data_key.key, parsed.number, CITIZEN_ID)
        row.citizen_id_masked = parsed.masked
        row.sex = row.sex if row.sex != "U" else parsed.sex
        row.birth_date = row.birth_date or parsed.birth_date
    if person.get("phone"):
        row.phone_sealed = protection.identifier_seal(data_key.key, person["phone"], PHONE)
        row.phone_masked = protection.mask_phone(person["phone"])
    return row


def _recount(req: InvestigationRequest, now: dt.datetime) -> None:
    """The request's counts by outcome, its status and the time it was fully reported back."""
    counts = req.persons.aggregate(
        total=Count("id"), pending=Count("id", filter=Q(outcome=OutcomeKind.PENDING)),
        not_found=Count("id", filter=Q(outcome=OutcomeKind.NOT_FOUND)),
        quarantined=Count("id", filter=Q(outcome=OutcomeKind.QUARANTINED)))
    req.persons_total, req.persons_pending = counts["total"], counts["pending"]
    req.persons_not_found, req.persons_quarantined = counts["not_found"], counts["quarantined"]
    if req.persons_pending == 0:
        req.status = RequestStatus.REPORTED
        req.reported_at = req.reported_at or now
    elif req.acknowledged_at is not None:
        req.status = RequestStatus.ACKNOWLEDGED


def request_send(*, actor, receiver_region: str, source_case, persons: list[dict], sender_region: str | None = None,
                 exposure_details: str = "", urgency: str = "urgent", idempotency_key: str = "", request=None,
                 now: dt.datetime | None = None) -> tuple[InvestigationRequest, bool]:
    """Send a request (input validated by ``inputs.RequestInput``); returns (request, created)."""
    sender_code = sender_region or sending_region_of(actor)
    if not sender_code or not can(actor, WRITE, sender_code):
        raise PermissionDenied(_("Your role may not send investigation requests from this region."))
    errors: dict[str, list[str]] = {}
    sender = Region.objects.filter(code=sender_code).first()
    receiver = Region.objects.filter(code=receiver_region or "").first()
    if sender is None:
        errors.setdefault("sender_region", []).append(_("No region with this code."))
    if receiver is None:
        errors.setdefault("receiver_region", []).append(_("No region with this code."))
    elif sender is not None and (covers(sender.code, receiver.code) or covers(receiver.code, sender.code)):
        errors.setdefault("receiver_region", []).append(
            _("A request goes to another region: %(receiver)s is the sending region or part of it.")
            % {"receiver": receiver.name})
    case = source_case if isinstance(source_case, Case) else (
        Case.objects.filter(case_no=(source_case or "").strip()).first())
    if case is None or not in_scope(actor, case.report_region_id):
        errors.setdefault("source_case", []).append(_("No case with this number in your area."))
    persons = _check_persons(persons, errors)
    if not persons:
        errors.setdefault("persons", []).append(_("List at least one person."))
    now = now or timezone.now()
    try:
        protocol = protocol_in_force(timezone.localtime(now).date())
    except NoProtocolInForce:
        protocol = None
        errors.setdefault("__all__", []).append(_("No protocol version was in force on that date."))
    if protocol is not None and not protocol.secondary_contacts_traced:
        for number, person in enumerate(persons, start=1):
            if person.get("category") == ContactCategory.SECONDARY:
                errors.setdefault("persons", []).append(
                    _("Person %(n)d: the protocol in force (%(name)s) no longer traces contacts of close contacts.")
                    % {"n": number, "name": protocol.name})
    if errors:
        raise ValidationError(errors)
    key = (idempotency_key or "").strip() or _content_key(sender.code, receiver.code, case.case_no, persons)
    return _request_create(actor=actor, sender=sender, receiver=receiver, case=case, origin=case.report_region_id,
                           persons=persons, exposure_details=exposure_details, urgency=urgency, key=key,
                           protocol=protocol, now=now, request=request)


def _request_create(*, actor, sender, receiver, case, origin: str, persons: list[dict], exposure_details: str,
                    urgency: str, key: str, protocol, now, request=None, forwarded_from=None,
                    from_persons: list[RequestedPerson] | None = None) -> tuple[InvestigationRequest, bool]:
    existing = InvestigationRequest.objects.filter(sender_region=sender, idempotency_key=key).first()
    if existing is not None:
        return existing, False
    ack_deadline, report_deadline = _deadlines(urgency, now)
    try:
        with transaction.atomic():
            req = InvestigationRequest.objects.create(
                request_no=f"pending-{uuid.uuid4().hex}", sender_region=sender, receiver_region=receiver,
                origin_region_id=origin, source_case=case, source_case_no=case.case_no,
                exposure_details=(exposure_details or "").strip(), protocol=protocol, urgency=urgency, sent_at=now,
                ack_deadline=ack_deadline, report_deadline=report_deadline, idempotency_key=key,
                forwarded_from=forwarded_from, created_by=actor, persons_total=len(persons),
                persons_pending=len(persons))
            req.request_no = f"XC-{sender.code}-{timezone.localtime(now):%Y}-{req.pk:06d}"
            req.save(update_fields=["request_no"])
            rows = [_requested_person(req, person, person.get("listed_at") or now) for person in persons]
            for row, previous in zip(rows, from_persons or [None] * len(rows), strict=True):
                row.forwarded_from = previous
            RequestedPerson.objects.bulk_create(rows)
            bump_data_generation()
            audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=req, region_code=sender.code,
                         request=request, detail={"receiver": receiver.code, "source_case": case.case_no,
                                                  "persons": len(rows), "urgency": urgency,
                                                  "forwarded_from": forwarded_from.request_no if forwarded_from else None})
    except IntegrityError:  # the same submission, saved by a concurrent call
        existing = InvestigationRequest.objects.filter(sender_region=sender, idempotency_key=key).first()
        if existing is None:
            raise
        return existing, False
    return req, True


def _require_receiver(actor, req: InvestigationRequest, message: str) -> None:
    if not can(actor, WRITE, req.receiver_region_id):
        raise PermissionDenied(message % {"region": req.receiver_region.name})


@transaction.atomic
def request_acknowledge(*, actor, req: InvestigationRequest, note: str = "", request=None,
                        now: dt.datetime | None = None) -> InvestigationRequest:
    """The receiving region acknowledges; acknowledging again changes nothing."""
    _require_receiver(actor, req, _("Only the receiving region (%(region)s) may acknowledge this request."))
    req = InvestigationRequest.objects.select_for_update().select_related("receiver_region").get(pk=req.pk)
    if req.acknowledged_at is not None:
        return req
    now = now or timezone.now()
    req.acknowledged_at, req.acknowledged_by = now, actor
    if req.status == RequestStatus.SENT:
        req.status = RequestStatus.ACKNOWLEDGED
    req.save(update_fields=["acknowledged_at", "acknowledged_by", "status"])
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=req, region_code=req.receiver_region_id,
                 request=request, detail={"acknowledged": True, "late": now > req.ack_deadline, "note": note[:300]})
    return req


def _quarantine(*, actor, req: InvestigationRequest, person: RequestedPerson, quarantined_at, quarantine_place: str,
                managing_region: str, errors: dict, request=None):
    """Register the person in the receiver's registry and as its contact (close and secondary contacts);
    the contact's source case is the sender's case, which is not written."""
    if quarantined_at is None:
        errors.setdefault("quarantined_at", []).append(_("Enter when the person was quarantined."))
    elif quarantined_at < person.listed_at:
        errors.setdefault("quarantined_at", []).append(
            _("A person cannot be quarantined before the sender listed them."))
    elif quarantined_at > timezone.now() + dt.timedelta(minutes=5):
        errors.setdefault("quarantined_at", []).append(_("This time is in the future."))
    if not covers(req.receiver_region_id, managing_region):
        errors.setdefault("managing_region", []).append(_("Choose the receiving region or a region within it."))
    if errors:
        raise ValidationError(errors)
    if person.category not in ContactCategory.values:
        return None  # co-visitors and travellers: quarantine recorded here, no contact category for them
    citizen_id, phone = protection.identifiers_open(person, (person.citizen_id_sealed, CITIZEN_ID),
                                                    (person.phone_sealed, PHONE))
    fields = {"name": person.name, "address_region": managing_region, "sex": person.sex,
              "birth_date": person.birth_date, "address_text": person.address_text,
              "citizen_id": citizen_id, "phone": phone}
    try:
        registered = person_register(actor=actor, request=request, **fields).person
    except PersonElsewhereError as exc:
        raise ValidationError({"outcome": [_(
            "This citizen ID is registered in another region: record the person as already under management "
            "there, or forward the request to that region.")]}) from exc
    return contact_register(actor=actor, request=request, person=registered, source_case=req.source_case,
                            category=person.category, region=managing_region, listed_at=person.listed_at,
                            exposure_start=person.exposure_start, exposure_end=person.exposure_end,
                            quarantined_at=quarantined_at, quarantine_place=quarantine_place)


@transaction.atomic
def person_outcome_record(*, actor, req: InvestigationRequest, person_id: int, outcome: str, reason: str = "",
                          quarantined_at: dt.datetime | None = None, quarantine_place: str = "",
                          managing_region: str | None = None, forward_to: str | None = None, request=None,
                          now: dt.datetime | None = None) -> RequestedPerson:
    """Record one person's outcome (input validated by ``inputs.OutcomeInput``) in the receiving region."""
    _require_receiver(actor, req, _("Only the receiving region (%(region)s) may report on this request."))
    req = InvestigationRequest.objects.select_for_update().select_related(
        "receiver_region", "source_case", "protocol").get(pk=req.pk)
    person = RequestedPerson.objects.select_for_update().filter(request=req, pk=person_id).first()
    if person is None:
        raise ValidationError({"person": [_("This person is not in this request.")]})
    if person.outcome in FINAL_OUTCOMES:
        raise ValidationError({"outcome": [_("The outcome of this person is already recorded: %(outcome)s.")
                                           % {"outcome": person.get_outcome_display()}]})
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    previous = person.outcome
    history = PersonOutcome(person=person, outcome=outcome, recorded_at=now, recorded_by=actor,
                            reason=(reason or "").strip())
    if outcome == OutcomeKind.QUARANTINED:
        person.contact = _quarantine(actor=actor, req=req, person=person, quarantined_at=quarantined_at,
                                     quarantine_place=(quarantine_place or "").strip(),
                                     managing_region=managing_region or req.receiver_region_id, errors=errors,
                                     request=request)
        person.quarantined_at = quarantined_at
    elif outcome == OutcomeKind.NOT_FOUND:
        if not history.reason:
            raise ValidationError({"reason": [_("Say why the person was not found.")]})
    elif outcome == OutcomeKind.FORWARDED:
        history.forwarded_to = _forward(actor=actor, req=req, person=person, forward_to=forward_to, now=now,
                                        request=request)
    elif outcome != OutcomeKind.ALREADY_MANAGED:
        raise ValidationError({"outcome": [_("Choose an outcome.")]})
    person.outcome, person.outcome_at = outcome, now
    person.save(update_fields=["outcome", "outcome_at", "quarantined_at", "contact"])
    history.save()
    if req.acknowledged_at is None:  # reporting on a person acknowledges the request
        req.acknowledged_at, req.acknowledged_by = now, actor
    _recount(req, now)
    req.save(update_fields=["acknowledged_at", "acknowledged_by", "status", "reported_at", "persons_total",
                            "persons_pending", "persons_not_found", "persons_quarantined"])
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=req, region_code=req.receiver_region_id,
                 request=request, detail={"person": person.pk, "outcome": [previous, outcome],
                                          "contact": person.contact_id,
                                          "forwarded_to": history.forwarded_to.request_no if history.forwarded_to else None})
    return person


def _forward(*, actor, req: InvestigationRequest, person: RequestedPerson, forward_to: str | None, now,
             request=None) -> InvestigationRequest:
    """The person is not in the receiver's area: a new request from the receiver to ``forward_to``, with the
    same source case, origin and protocol, the person's data and listing time, and the chain back."""
    target = Region.objects.filter(code=forward_to or "").first()
    if target is None:
        raise ValidationError({"forward_to": [_("Name the region to forward the request to.")]})
    if covers(req.receiver_region_id, target.code) or covers(target.code, req.receiver_region_id):
        raise ValidationError({"forward_to": [_("Forward to another region than your own.")]})
    data = {"name": person.name, "sex": person.sex, "birth_date": person.birth_date,
            "address_text": person.address_text, "category": person.category,
            "exposure_start": person.exposure_start, "exposure_end": person.exposure_end,
            "listed_at": person.listed_at}
    forward, _created = _request_create(
        actor=actor, sender=req.receiver_region, receiver=target, case=req.source_case, origin=req.origin_region_id,
        persons=[data], exposure_details=req.exposure_details, urgency=req.urgency, key=f"forward-{person.pk}",
        protocol=req.protocol, now=now, request=request, forwarded_from=req, from_persons=[person])
    # The protected identifiers travel as they are (sealed, with the row's wrapped key), never decrypted for the
    # hand-on.
    RequestedPerson.objects.filter(request=forward).update(
        key_wrapped=person.key_wrapped, key_epoch=person.key_epoch,
        citizen_id_hash=person.citizen_id_hash, citizen_id_sealed=person.citizen_id_sealed,
        citizen_id_masked=person.citizen_id_masked, phone_sealed=person.phone_sealed,
        phone_masked=person.phone_masked)
    return forward


def overdue_escalate(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Flag (``escalated_at``) what is overdue and not flagged yet: requests not acknowledged by their deadline,
    requests with persons not reported on by theirs, and persons not found or not reported on in time.
    One audit event per run that flagged anything. Run by ``tasks.crossregion_escalate``."""
    now = now or timezone.now()
    with transaction.atomic():
        overdue = Q(acknowledged_at__isnull=True, ack_deadline__lt=now) | Q(persons_pending__gt=0,
                                                                             report_deadline__lt=now)
        requests = InvestigationRequest.objects.filter(overdue, escalated_at__isnull=True).update(escalated_at=now)
        persons = RequestedPerson.objects.filter(escalated_at__isnull=True).filter(
            Q(outcome=OutcomeKind.NOT_FOUND)
            | Q(outcome=OutcomeKind.PENDING, request__report_deadline__lt=now)).update(escalated_at=now)
        if requests or persons:
            bump_data_generation()
            audit_record(actor=None, action=AuditEvent.Action.UPDATE,
                         object_type=InvestigationRequest._meta.label_lower,  # labelled as the model in the trail
                         detail={"escalation": True, "requests": requests, "persons": persons, "at": now.isoformat()})
    return {"requests": requests, "persons": persons}
