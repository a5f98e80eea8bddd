"""Writes of the enterprises module: each takes the validated data of its input schema (``inputs.py``), checks
the capability in the enterprise's region — and, for an enterprise contact, that it acts for the enterprise
(``selectors.acts_for``) — runs in one transaction and writes its audit event.

A ticket's time limit is one of the three lists' classes (``worklists.hours.deadlines`` on the working
calendar); a ticket past it is raised as a problem of the three lists by ``problems.feed``, whose task the
lists escalate — the module keeps no escalation of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can, memberships_of
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.inputs import error_messages, validate_row
from fangkong.modules import role_capabilities
from fangkong.persons import protection
from fangkong.regions.codes import covers
from fangkong.regions.models import Region
from fangkong.table_files import TableLimits, TableRejected, read_table
from fangkong.worklists.hours import deadlines
from fangkong.worklists.models import SlaClass, Unit

from .apps import PLAN_APPROVE, PLAN_SUBMIT, REGISTER, TICKET_ANSWER, TICKET_SUBMIT
from .inputs import EnterpriseInput
from .models import (
    ContactPerson,
    Enterprise,
    OperatingState,
    OperatingStatus,
    PlanState,
    PreventionPlan,
    SupplyLink,
    Ticket,
    TicketKind,
    TicketState,
)
from .selectors import acts_for

PHONE_PURPOSE = "enterprises.contact_phone"
IMPORT_LIMITS = TableLimits(max_bytes=16 * 1024 * 1024, max_rows=100_000, max_columns=20)
#: Import columns: the Chinese header of the template, and the field codes (either is accepted).
ENTERPRISE_COLUMNS = {"统一社会信用代码": "credit_code", "企业名称": "name", "行业": "sector", "规模": "size",
                      "区划代码": "region", "地址": "address", "职工人数": "staff", "保供企业": "supply_guarantee",
                      "出口企业": "export", "重点产业链企业": "key_chain", "联系人": "contact_name",
                      "职务": "contact_title", "联系电话": "contact_phone"}
#: The time limit of a ticket by kind, unless the submitter gives one: a stopped supply or a missing pass
#: stops production within a day.
TICKET_SLA = {TicketKind.SUPPLY_CHAIN: SlaClass.URGENT, TicketKind.LOGISTICS_PASS: SlaClass.URGENT,
              TicketKind.TESTING: SlaClass.URGENT}


def _enterprise_region(code: str) -> tuple[Region, Region]:
    """(region, the county it is counted in) for a county or street code; ValidationError otherwise."""
    region = Region.objects.select_related("parent").filter(code=code).first()
    if region is None:
        raise ValidationError({"region": [_("No region with this code.")]})
    if region.level == Region.Level.COUNTY:
        return region, region
    if region.level == Region.Level.TOWNSHIP:  # a town of a city without counties (Dongguan) is its own county
        county = region.parent if region.parent and region.parent.level == Region.Level.COUNTY else region
        return region, county
    raise ValidationError({"region": [_("An enterprise lies in a county or a street (township), not in a whole "
                                        "city.")]})


def _enterprise_for(actor, capability: str, enterprise_id: int, message: str) -> Enterprise:
    """The enterprise of an action: refused (the same refusal whether it exists or not) unless the actor holds
    ``capability`` there and acts for it."""
    enterprise = Enterprise.objects.filter(pk=enterprise_id).first()
    if enterprise is None or not can(actor, capability, enterprise.region_id) or not acts_for(actor, enterprise):
        raise PermissionDenied(message)
    return enterprise


def _new_enterprise(actor, data: dict) -> tuple[Enterprise, list]:
    region, county = _enterprise_region(data["region"])
    if not can(actor, REGISTER, region.code):
        raise PermissionDenied(_("You may not register enterprises in this region."))
    if Enterprise.objects.filter(credit_code=data["credit_code"]).exists():
        raise ValidationError({"credit_code": [_("An enterprise with this unified social credit code is "
                                                 "registered.")]})
    from fangkong.places.models import Place

    place_ids = sorted(set(data.get("places") or []))
    places = list(Place.objects.filter(pk__in=place_ids, region__code__startswith=county.code))
    if len(places) != len(place_ids):
        raise ValidationError({"places": [_("Each place operated must be a registered place of the enterprise's "
                                            "county.")]})
    enterprise = Enterprise(
        credit_code=data["credit_code"], name=data["name"], sector=data["sector"], size=data["size"], region=region,
        county=county, address=data["address"], staff=data.get("staff") or 0,
        supply_guarantee=data.get("supply_guarantee", False), export=data.get("export", False),
        key_chain=data.get("key_chain", False), created_by=actor)
    enterprise.full_clean(validate_unique=False, validate_constraints=False)
    return enterprise, places


def _save_enterprise(actor, enterprise: Enterprise, places: list, data: dict, request=None) -> None:
    enterprise.save()
    if places:
        enterprise.places.set(places)
    if data.get("contact_name"):
        phone = data.get("contact_phone") or ""
        ContactPerson.objects.create(
            enterprise=enterprise, name=data["contact_name"], title=data.get("contact_title") or "",
            phone_sealed=protection.encrypt(phone, PHONE_PURPOSE) if phone else "",
            phone_masked=protection.mask_phone(phone) if phone else "")
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=enterprise, region_code=enterprise.region_id,
                 request=request, detail={"credit_code": enterprise.credit_code, "places": [p.pk for p in places]})


def enterprise_register(*, actor, request=None, **data) -> Enterprise:
    """Register a key enterprise (``inputs.EnterpriseInput``); refused outside the actor's regions, for a
    credit code already registered, or for a place outside the enterprise's county."""
    enterprise, places = _new_enterprise(actor, data)
    try:
        with transaction.atomic():
            _save_enterprise(actor, enterprise, places, data, request)
    except IntegrityError as exc:  # registered at the same moment by someone else
        raise ValidationError({"credit_code": [_("An enterprise with this unified social credit code is "
                                                 "registered.")]}) from exc
    return enterprise


@dataclass
class ImportResult:
    created: int = 0
    errors: list[dict] = field(default_factory=list)  # {"row", "column", "message"}


def enterprises_import(*, actor, data: bytes, name: str, source: str = "", progress=None) -> ImportResult:
    """Register the enterprises of a file: every row through ``EnterpriseInput`` and the service's own rules
    (a credit code twice in the file is refused like one already registered); all rows or none."""
    result = ImportResult()
    try:
        rows = read_table(data, name, IMPORT_LIMITS)
    except TableRejected as exc:
        result.errors.append({"row": 1, "column": "", "message": str(exc)})
        return result
    made, seen = [], set()
    for number, row in enumerate(rows, start=2):
        valid, errors = validate_row(EnterpriseInput, {ENTERPRISE_COLUMNS.get(k, k): v for k, v in row.items()})
        if not errors:
            try:
                if valid["credit_code"] in seen:
                    raise ValidationError({"credit_code": [_("This unified social credit code is in the file "
                                                             "twice.")]})
                seen.add(valid["credit_code"])
                made.append((*_new_enterprise(actor, valid), valid))
            except ValidationError as exc:
                errors = error_messages(exc)
            except PermissionDenied as exc:
                errors = {"region": [str(exc)]}
        for column, messages in errors.items():
            result.errors.extend({"row": number, "column": column, "message": m} for m in messages)
        if progress is not None:
            progress(number - 1, len(rows))
    if result.errors:
        return result
    with transaction.atomic():
        for enterprise, places, valid in made:
            _save_enterprise(actor, enterprise, places, valid)
    result.created = len(made)
    return result


# --- prevention plans ----------------------------------------------------------------------------------------


def plan_submit(*, actor, enterprise: int, request=None, **data) -> PreventionPlan:
    """Submit a new version of the enterprise's plan (``inputs.PlanInput``): by its contact or an official;
    it waits for the county's approval, the version in force stays the one approved before."""
    found = _enterprise_for(actor, PLAN_SUBMIT, enterprise, _("You may not submit plans for this enterprise."))
    with transaction.atomic():
        Enterprise.objects.select_for_update().filter(pk=found.pk).first()  # versions numbered one at a time
        last = found.plans.order_by("-version").values_list("version", flat=True).first() or 0
        plan = PreventionPlan(enterprise=found, version=last + 1, submitted_by=actor, **data)
        plan.full_clean(validate_constraints=False)
        plan.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=plan, region_code=found.region_id,
                     request=request, detail={"enterprise": found.pk, "version": plan.version})
    return plan


def is_county_approver(actor, county_code: str) -> bool:
    """Whether one of the actor's memberships is in the county itself with the right to approve plans."""
    return any(code == county_code and PLAN_APPROVE in role_capabilities().get(role, ())
               for code, role in memberships_of(actor))


def plan_decide(*, actor, plan_id: int, approve: bool, note: str = "", request=None) -> PreventionPlan:
    """Approve or reject a submitted version: by a county official of the enterprise's county, never its
    submitter. The approved version becomes the one in force."""
    with transaction.atomic():
        plan = PreventionPlan.objects.select_for_update().select_related("enterprise").filter(pk=plan_id).first()
        if plan is None or not is_county_approver(actor, plan.enterprise.county_id):
            raise PermissionDenied(_("Only an official of the enterprise's county approves its plans."))
        if plan.submitted_by_id == actor.pk:
            raise PermissionDenied(_("A plan is approved by someone other than its submitter."))
        if plan.state != PlanState.SUBMITTED:
            raise ValidationError({"approve": [_("This version has already been decided.")]})
        if not approve and not note:
            raise ValidationError({"note": [_("Say why the plan is rejected.")]})
        plan.state = PlanState.APPROVED if approve else PlanState.REJECTED
        plan.decided_by, plan.decided_at, plan.decision_note = actor, timezone.now(), note
        plan.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=plan, region_code=plan.enterprise.region_id,
                     request=request, detail={"state": plan.state, "version": plan.version})
    return plan


# --- support tickets -----------------------------------------------------------------------------------------


def ticket_submit(*, actor, enterprise: int, kind: str, description: str, unit: int, sla_class: str = "",
                  request=None) -> Ticket:
    """Ask for support (``inputs.TicketInput``), routed to a department of the enterprise's region or above;
    a department outside it is refused. Due by the class given, or the kind's."""
    found = _enterprise_for(actor, TICKET_SUBMIT, enterprise, _("You may not ask for support for this "
                                                                 "enterprise."))
    department = Unit.objects.filter(pk=unit).first()
    if department is None:
        raise ValidationError({"unit": [_("No department with this id.")]})
    if not covers(department.region_id, found.region_id):
        raise ValidationError({"unit": [_("This department does not serve the enterprise's region.")]})
    if not department.active:
        raise ValidationError({"unit": [_("This department is no longer active.")]})
    sla_class = sla_class or TICKET_SLA.get(kind, SlaClass.ROUTINE)
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket(enterprise=found, kind=kind, description=description, unit=department, sla_class=sla_class,
                        submitted_at=now, submitted_by=actor, due_at=deadlines(now, sla_class)[0])
        ticket.full_clean()
        ticket.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=ticket, region_code=found.region_id,
                     request=request, detail={"kind": kind, "unit": department.pk, "sla_class": sla_class})
    return ticket


#: action → (states it is taken from, state it leads to)
TICKET_STEPS = {"accept": ((TicketState.SUBMITTED,), TicketState.ACCEPTED),
                "answer": ((TicketState.SUBMITTED, TicketState.ACCEPTED), TicketState.ANSWERED),
                "close": ((TicketState.ANSWERED,), TicketState.CLOSED)}


def ticket_step(*, actor, ticket_id: int, action: str, answer: str = "", request=None) -> Ticket:
    """Accept or answer a ticket (an official in the department's region), or close it once answered (its
    submitter side: the enterprise's contact or an official acting for it)."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("enterprise", "unit").filter(pk=ticket_id).first()
        if ticket is None:
            raise PermissionDenied(_("You may not act on this ticket."))
        if action == "close":
            allowed = can(actor, TICKET_SUBMIT, ticket.enterprise.region_id) and acts_for(actor, ticket.enterprise)
        else:
            allowed = can(actor, TICKET_ANSWER, ticket.unit.region_id) and acts_for(actor, ticket.enterprise)
        if not allowed:
            raise PermissionDenied(_("You may not act on this ticket."))
        sources, target = TICKET_STEPS[action]
        if ticket.state not in sources:
            raise ValidationError({"action": [_("This ticket is %(state)s: it cannot be moved so.")
                                              % {"state": ticket.get_state_display()}]})
        fields = ["state"]
        if action == "answer":
            if not answer.strip():
                raise ValidationError({"answer": [_("Write the answer.")]})
            ticket.answer, ticket.answered_at, ticket.answered_by = answer.strip(), timezone.now(), actor
            fields += ["answer", "answered_at", "answered_by"]
        ticket.state = target
        ticket.save(update_fields=fields)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=ticket, region_code=ticket.enterprise.region_id,
                     request=request, detail={"action": action, "state": target})
    return ticket


# --- supply chains and operating status ----------------------------------------------------------------------


def link_add(*, actor, supplier: int, customer: int, goods: str, request=None) -> SupplyLink:
    """Record that ``supplier`` supplies ``customer`` with ``goods`` (``inputs.LinkInput``): an official of
    either's region; a link of an enterprise to itself, or a link already recorded, is refused."""
    if supplier == customer:
        raise ValidationError({"customer": [_("An enterprise cannot supply itself.")]})
    ends = {e.pk: e for e in Enterprise.objects.filter(pk__in=[supplier, customer])}
    if len(ends) != 2 or not any(can(actor, REGISTER, e.region_id) for e in ends.values()):
        raise PermissionDenied(_("You may not record supply links of these enterprises."))
    if SupplyLink.objects.filter(supplier_id=supplier, customer_id=customer).exists():
        raise ValidationError({"customer": [_("This supply link is already recorded.")]})
    with transaction.atomic():
        link = SupplyLink(supplier=ends[supplier], customer=ends[customer], goods=goods)
        link.full_clean()
        link.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=link, region_code=ends[supplier].region_id,
                     request=request, detail={"supplier": supplier, "customer": customer})
    return link


def status_record(*, actor, enterprise: int, day, status: str, reason: str = "", request=None) -> OperatingStatus:
    """The enterprise's operating status on ``day`` (``inputs.StatusInput``): recorded again, replaced."""
    found = _enterprise_for(actor, TICKET_SUBMIT, enterprise, _("You may not record the status of this "
                                                                 "enterprise."))
    if status != OperatingState.OPERATING and not reason:
        raise ValidationError({"reason": [_("Give the reason when the enterprise is not operating normally.")]})
    with transaction.atomic():
        row, created = OperatingStatus.objects.update_or_create(
            enterprise=found, day=day, defaults={"status": status, "reason": reason, "recorded_by": actor,
                                                 "recorded_at": timezone.now()})
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE, obj=row,
                     region_code=found.region_id, request=request, detail={"day": str(day), "status": status})
    return row
