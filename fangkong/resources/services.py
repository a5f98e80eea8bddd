"""Writes of the resources module: one per user action; each checks the capability where it acts, runs in one
transaction, is audited, and bumps the data generation when it changes what the dashboard reads.

- ``site_create``, ``site_manager_add``, ``rooms_add``, ``room_state_set``;
- ``check_in``, ``check_out``, ``transfer``: a person (a contact, by its number, or an inbound traveller) in
  a room, the room locked first (``select_for_update``): the last free room goes to exactly one person;
  the expected check-out is the end of the centralised phase of the person's management period under the
  protocol edition it is managed by (``fangkong.protocols.periods``);
- ``hospital_create``, ``bed_census_record``;
- ``store_create``, ``stock_receive``, ``stock_issue``;
- ``requisition_create`` → ``requisition_approve`` → ``requisition_ship`` → ``requisition_receive``: each
  movement of stock is a ``StockMovement`` row and an audit event; shipping more than is on hand, or a
  requisition to a city outside the province, is refused and changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can, memberships_of
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.locking import check_version
from fangkong.modules import role_capabilities
from fangkong.protocols import periods
from fangkong.regions.codes import city_code, covers
from fangkong.regions.models import Region

from .apps import ASSIGN, MANAGE
from .models import (
    Assignment,
    BedCensus,
    Hospital,
    QuarantineSite,
    Requisition,
    Room,
    StaffRoster,
    StaffTeam,
    Stock,
    StockMovement,
    Store,
)

#: How many rooms one ``rooms_add`` may create (a site of a few thousand rooms is added in a few steps).
ROOMS_AT_ONCE = 2000
#: A city of the province: its code's last four digits are "00" and it is not the province itself.
CITY_LEVEL = "city"


def _region(code: str, field_name: str = "region") -> Region:
    place = Region.objects.filter(code=code).defer("geometry").first()
    if place is None:
        raise ValidationError({field_name: [_("No region with this code.")]})
    return place


def _require(actor, capability: str, region_code: str, message: str) -> None:
    if not can(actor, capability, region_code):
        raise PermissionDenied(message)


def may_assign(actor, site: QuarantineSite) -> bool:
    """Whether the actor may check persons in and out of ``site``: a role granting ``resources.assign`` in
    the site's region — for a quarantine-site manager, only at a site it manages."""
    for code, role in memberships_of(actor):
        if ASSIGN not in role_capabilities().get(role, ()) or not covers(code, site.region_id):
            continue
        if role != Role.QUARANTINE_MANAGER or site.managers.filter(pk=actor.pk).exists():
            return True
    return False


def _require_site(actor, site: QuarantineSite) -> None:
    if not may_assign(actor, site):
        raise PermissionDenied(_("You may not check persons in or out at this site."))


def _future(at: dt.datetime, field_name: str) -> None:
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({field_name: [_("This time is in the future.")]})


# --- sites and rooms ------------------------------------------------------------------------------------------


def site_create(*, actor, region: str, name: str, kind: str, address: str = "", request=None) -> QuarantineSite:
    _require(actor, MANAGE, region, _("You may not record quarantine sites in this region."))
    place = _region(region)
    with transaction.atomic():
        site = QuarantineSite(region=place, name=name, kind=kind, address=address, created_by=actor)
        site.full_clean()
        site.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=site, region_code=region, request=request)
    return site


def site_manager_add(*, actor, site: QuarantineSite, username: str, request=None) -> QuarantineSite:
    """Make a quarantine-site manager of the site's region the manager of the site."""
    from fangkong.accounts.models import User

    _require(actor, MANAGE, site.region_id, _("You may not change this site's managers."))
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or not any(role == Role.QUARANTINE_MANAGER and covers(code, site.region_id)
                               for code, role in memberships_of(user)):
        raise ValidationError({"username": [_("No quarantine-site manager of this region has this user name.")]})
    with transaction.atomic():
        site.managers.add(user)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=site, region_code=site.region_id,
                     request=request, detail={"manager_added": user.username})
    return site


def rooms_add(*, actor, site: QuarantineSite, first: int, last: int, kind: str, prefix: str = "",
              request=None) -> int:
    """Rooms ``prefix + first`` .. ``prefix + last`` of a site; a number the site already has is refused."""
    _require(actor, MANAGE, site.region_id, _("You may not add rooms at this site."))
    if last < first:
        raise ValidationError({"last": [_("The last number must not be below the first.")]})
    if last - first + 1 > ROOMS_AT_ONCE:
        raise ValidationError({"last": [_("At most %(n)d rooms at once.") % {"n": ROOMS_AT_ONCE}]})
    numbers = [f"{prefix}{n}" for n in range(first, last + 1)]
    taken = sorted(Room.objects.filter(site=site, number__in=numbers).values_list("number", flat=True))
    if taken:
        raise ValidationError({"first": [_("The site already has rooms %(numbers)s.") % {"numbers": ", ".join(taken[:10])}]})
    with transaction.atomic():
        Room.objects.bulk_create([Room(site=site, region_id=site.region_id, number=n, kind=kind) for n in numbers])
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, object_type="resources.room",
                     object_id=str(site.pk), region_code=site.region_id, request=request,
                     detail={"site": site.pk, "rooms": len(numbers), "from": numbers[0], "to": numbers[-1]})
        bump_data_generation()
    return len(numbers)


#: States a user sets by hand; "occupied" follows from check-in and check-out only.
MANUAL_STATES = (Room.State.AVAILABLE, Room.State.RESERVED, Room.State.CLEANING, Room.State.OUT_OF_SERVICE)


def room_state_set(*, actor, room_id: int, state: str, expected_version: int | None = None,
                   request=None) -> Room:
    with transaction.atomic():
        room = Room.objects.select_for_update().select_related("site").filter(pk=room_id).first()
        if room is None:
            raise ValidationError({"room": [_("No such room.")]})
        _require_site(actor, room.site)
        check_version(room.version, expected_version)
        if state not in MANUAL_STATES:
            raise ValidationError({"state": [_("A room becomes occupied by a check-in only.")]})
        if room.state == Room.State.OCCUPIED:
            raise ValidationError({"state": [_("The room is occupied: check its occupant out first.")]})
        before = room.state
        room.state, room.version = state, room.version + 1
        room.save(update_fields=["state", "version", "updated_at"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=room, region_code=room.region_id,
                     request=request, detail={"state": [before, state]})
        bump_data_generation()
    return room


# --- assignments ------------------------------------------------------------------------------------------------


def expected_check_out(*, contact=None, traveller=None) -> dt.date | None:
    """The day a person leaves the room: the day after the last centralised day of its management period
    (the protocol edition it is managed by; counted from the last exposure, else the listing date), or its
    release date when the period has no centralised phase; for a traveller, the dates fixed on arrival."""
    if contact is not None:
        counted_from, _known = periods.contact_counted_from(exposure_end=contact.exposure_end,
                                                            listed_date=contact.listed_date or contact.listed_at.date())
        period = contact.protocol.management_period(contact.category, counted_from)
        if period is None:
            return contact.release_due
        return period.centralised_until + periods.DAY if period.centralised_until else period.release_due
    if traveller is not None:
        return traveller.centralised_until + periods.DAY if traveller.centralised_until else traveller.release_due
    return None


def _occupant(contact_no: str, traveller_id: int | None, site: QuarantineSite):
    from fangkong.cases.models import Contact
    from fangkong.inbound.models import Traveller

    if bool(contact_no) == bool(traveller_id):
        raise ValidationError({"contact_no": [_("Give either a contact number or an inbound traveller.")]})
    if contact_no:
        contact = Contact.objects.select_related("protocol", "person").filter(contact_no=contact_no).first()
        if contact is None:
            raise ValidationError({"contact_no": [_("No contact with this number.")]})
        return contact, None
    traveller = Traveller.objects.filter(pk=traveller_id).first()
    if traveller is None:
        raise ValidationError({"traveller_id": [_("No inbound traveller with this id.")]})
    return None, traveller


def _lock_free_room(room_id: int) -> Room:
    """The room, locked until the transaction ends; refused unless it is free (available or reserved)."""
    room = Room.objects.select_for_update().select_related("site").filter(pk=room_id).first()
    if room is None:
        raise ValidationError({"room": [_("No such room.")]})
    if room.state not in (Room.State.AVAILABLE, Room.State.RESERVED):
        raise ValidationError({"room": [_("Room %(number)s is not free (%(state)s).")
                                        % {"number": room.number, "state": room.get_state_display()}]})
    return room


def _open_assignment(room: Room, *, actor, contact, traveller, person, at: dt.datetime, due: dt.date | None,
                     transferred_from: Assignment | None = None) -> Assignment:
    assignment = Assignment(room=room, site=room.site, region_id=room.region_id, person=person, contact=contact,
                            traveller=traveller, checked_in_at=at, expected_check_out=due,
                            transferred_from=transferred_from, created_by=actor)
    try:
        with transaction.atomic():  # a savepoint: the constraint's refusal leaves the outer transaction usable
            assignment.save()
    except IntegrityError as exc:
        raise ValidationError({"contact_no": [_("This person is already checked in to a room.")]}) from exc
    room.state, room.version = Room.State.OCCUPIED, room.version + 1
    room.save(update_fields=["state", "version", "updated_at"])
    return assignment


def check_in(*, actor, room_id: int, contact_no: str = "", traveller_id: int | None = None,
             checked_in_at: dt.datetime | None = None, request=None) -> Assignment:
    """Check a contact (by number) or an inbound traveller into a free room. The room is locked first: of
    two check-ins to the last free room, the second finds it occupied and is refused."""
    at = checked_in_at or timezone.now()
    _future(at, "checked_in_at")
    with transaction.atomic():
        room = _lock_free_room(room_id)
        _require_site(actor, room.site)
        contact, traveller = _occupant(contact_no, traveller_id, room.site)
        # a traveller is a person of the registry once in central quarantine (``Traveller.person``): the daily
        # follow-up finds the persons of a site by it
        person = contact.person if contact is not None else (traveller.person if traveller is not None else None)
        open_rows = Assignment.objects.filter(checked_out_at__isnull=True)
        if (person and open_rows.filter(person=person).exists()) or (
                traveller and open_rows.filter(traveller=traveller).exists()):
            raise ValidationError({"contact_no": [_("This person is already checked in to a room.")]})
        assignment = _open_assignment(room, actor=actor, contact=contact, traveller=traveller, person=person, at=at,
                                      due=expected_check_out(contact=contact, traveller=traveller))
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=assignment, region_code=room.region_id,
                     request=request, detail={"room": room.number, "site": room.site_id,
                                              "expected_check_out": str(assignment.expected_check_out)})
        bump_data_generation()
    return assignment


def traveller_person_set(traveller) -> int:
    """A traveller checked in before it became a person of the registry (``fangkong.inbound``: on entering central
    quarantine) is named by its person on its open assignment, in the caller's transaction: the site's daily
    follow-up finds it. Not when the person holds another open assignment (one room per person). How many rows."""
    if traveller.person_id is None or Assignment.objects.filter(checked_out_at__isnull=True,
                                                                person_id=traveller.person_id).exists():
        return 0
    return Assignment.objects.filter(traveller=traveller, checked_out_at__isnull=True, person__isnull=True).update(
        person_id=traveller.person_id)


def _lock_open(assignment_id: int, expected_version: int | None) -> Assignment:
    assignment = Assignment.objects.select_for_update().select_related("room", "site").filter(pk=assignment_id).first()
    if assignment is None:
        raise ValidationError({"assignment": [_("No such room assignment.")]})
    check_version(assignment.version, expected_version)
    if assignment.checked_out_at is not None:
        raise ValidationError({"checked_out_at": [_("This person has already left the room.")]})
    return assignment


def _close(assignment: Assignment, at: dt.datetime, status: str) -> None:
    if at < assignment.checked_in_at:
        raise ValidationError({"checked_out_at": [_("Check-out cannot be before check-in (%(at)s).")
                                                  % {"at": timezone.localtime(assignment.checked_in_at)
                                                     .strftime("%Y-%m-%d %H:%M")}]})
    assignment.checked_out_at, assignment.status, assignment.version = at, status, assignment.version + 1
    assignment.save(update_fields=["checked_out_at", "status", "version"])
    room = Room.objects.select_for_update().get(pk=assignment.room_id)
    room.state, room.version = Room.State.CLEANING, room.version + 1
    room.save(update_fields=["state", "version", "updated_at"])


def check_out(*, actor, assignment_id: int, checked_out_at: dt.datetime | None = None,
              expected_version: int | None = None, request=None) -> Assignment:
    """The person leaves; the room goes to cleaning. Before the check-in time: refused."""
    at = checked_out_at or timezone.now()
    _future(at, "checked_out_at")
    with transaction.atomic():
        assignment = _lock_open(assignment_id, expected_version)
        _require_site(actor, assignment.site)
        _close(assignment, at, Assignment.Status.OUT)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=assignment, region_code=assignment.region_id,
                     request=request, detail={"checked_out": True})
        bump_data_generation()
    return assignment


def transfer(*, actor, assignment_id: int, room_id: int, at: dt.datetime | None = None,
             expected_version: int | None = None, request=None) -> Assignment:
    """Move a person to another free room (of the same or another site): the old assignment ends as
    transferred, a new one starts with the same expected check-out. Both sites must be the actor's."""
    at = at or timezone.now()
    _future(at, "at")
    with transaction.atomic():
        assignment = _lock_open(assignment_id, expected_version)
        _require_site(actor, assignment.site)
        if room_id == assignment.room_id:
            raise ValidationError({"room": [_("The person is already in this room.")]})
        target = _lock_free_room(room_id)
        _require_site(actor, target.site)
        _close(assignment, at, Assignment.Status.TRANSFERRED)
        moved = _open_assignment(target, actor=actor, contact=assignment.contact, traveller=assignment.traveller,
                                 person=assignment.person, at=at, due=assignment.expected_check_out,
                                 transferred_from=assignment)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=assignment, region_code=assignment.region_id,
                     request=request, detail={"transferred_to": moved.pk, "room": target.number,
                                              "site": target.site_id})
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=moved, region_code=target.region_id,
                     request=request, detail={"transferred_from": assignment.pk})
        bump_data_generation()
    return moved


# --- hospitals and beds -----------------------------------------------------------------------------------------


def hospital_create(*, actor, region: str, name: str, request=None) -> Hospital:
    _require(actor, MANAGE, region, _("You may not record hospitals in this region."))
    place = _region(region)
    with transaction.atomic():
        hospital = Hospital(region=place, name=name)
        hospital.full_clean()
        hospital.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=hospital, region_code=region, request=request)
    return hospital


def bed_census_record(*, actor, hospital: Hospital, bed_type: str, date: dt.date, beds: int, occupied: int,
                      request=None) -> BedCensus:
    """Beds open and occupied of one type on one day (recorded again: replaced, audited with both values)."""
    _require(actor, MANAGE, hospital.region_id, _("You may not record this hospital's beds."))
    if date > timezone.localdate():
        raise ValidationError({"date": [_("This day is in the future.")]})
    if occupied > beds:
        raise ValidationError({"occupied": [_("More beds occupied than open: record the extra beds opened.")]})
    with transaction.atomic():
        row = BedCensus.objects.select_for_update().filter(hospital=hospital, bed_type=bed_type, date=date).first()
        before = (row.beds, row.occupied) if row else None
        if row is None:
            row = BedCensus(hospital=hospital, region_id=hospital.region_id, bed_type=bed_type, date=date)
        row.beds, row.occupied, row.recorded_by = beds, occupied, actor
        row.save()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE if before else AuditEvent.Action.CREATE, obj=row,
                     region_code=hospital.region_id, request=request,
                     detail={"bed_type": bed_type, "date": date.isoformat(), "before": before,
                             "after": [beds, occupied]})
        bump_data_generation()
    return row


# --- staff -------------------------------------------------------------------------------------------------------

#: How far ahead a roster may be planned.
ROSTER_AHEAD_DAYS = 60


def team_create(*, actor, region: str, name: str, skill: str, size: int, request=None) -> StaffTeam:
    """A staff team of one skill in a region (its name once per region)."""
    _require(actor, MANAGE, region, _("You may not record staff teams in this region."))
    place = _region(region)
    if StaffTeam.objects.filter(region=place, name=name).exists():
        raise ValidationError({"name": [_("This region already has a team with this name.")]})
    with transaction.atomic():
        team = StaffTeam(region=place, name=name, skill=skill, size=size)
        team.full_clean()
        team.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=team, region_code=region, request=request,
                     detail={"skill": skill, "size": size})
        bump_data_generation()
    return team


def roster_record(*, actor, team: StaffTeam, date: dt.date, available: int, request=None) -> StaffRoster:
    """How many of the team are available on a day, worked or planned up to ``ROSTER_AHEAD_DAYS`` ahead (recorded
    again: replaced, audited with both values); never more than the team has."""
    _require(actor, MANAGE, team.region_id, _("You may not record this team's roster."))
    if date > timezone.localdate() + dt.timedelta(days=ROSTER_AHEAD_DAYS):
        raise ValidationError({"date": [_("A roster is planned at most %(days)d days ahead.")
                                        % {"days": ROSTER_AHEAD_DAYS}]})
    if available > team.size:
        raise ValidationError({"available": [_("More available than the team has members (%(size)d).")
                                             % {"size": team.size}]})
    with transaction.atomic():
        row = StaffRoster.objects.select_for_update().filter(team=team, date=date).first()
        before = row.available if row else None
        if row is None:
            row = StaffRoster(team=team, region_id=team.region_id, date=date)
        row.available, row.recorded_by = available, actor
        row.save()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE if before is not None else AuditEvent.Action.CREATE,
                     obj=row, region_code=team.region_id, request=request,
                     detail={"date": date.isoformat(), "before": before, "after": available})
        bump_data_generation()
    return row


# --- supplies ---------------------------------------------------------------------------------------------------


def store_create(*, actor, region: str, name: str, request=None) -> Store:
    _require(actor, MANAGE, region, _("You may not record stores in this region."))
    place = _region(region)
    with transaction.atomic():
        store = Store(region=place, name=name)
        store.full_clean()
        store.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=store, region_code=region, request=request)
    return store


def _move(*, actor, store: Store, item: str, change: int, kind: str, reason: str = "",
          requisition: Requisition | None = None, request=None, at: dt.datetime | None = None) -> StockMovement:
    """Change a store's stock of an item by ``change`` (locked row), with its movement row and audit event;
    refused, changing nothing, when it would leave less than nothing."""
    stock = Stock.objects.select_for_update().filter(store=store, item=item).first()
    if stock is None:
        stock = Stock.objects.create(store=store, region_id=store.region_id, item=item, quantity=0)
        stock = Stock.objects.select_for_update().get(pk=stock.pk)
    if stock.quantity + change < 0:
        raise ValidationError({"quantity": [_("Only %(n)d on hand at %(store)s: cannot take %(q)d.")
                                            % {"n": stock.quantity, "store": store.name, "q": -change}]})
    stock.quantity, stock.version = stock.quantity + change, stock.version + 1
    stock.save(update_fields=["quantity", "version"])
    movement = StockMovement.objects.create(store=store, region_id=store.region_id, item=item, kind=kind,
                                            change=change, balance=stock.quantity, requisition=requisition,
                                            reason=reason, by=actor, at=at or timezone.now())
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=stock, region_code=store.region_id,
                 request=request, reason=reason,
                 detail={"item": item, "change": change, "balance": stock.quantity, "movement": movement.pk,
                         "kind": kind, "requisition": requisition.pk if requisition else None})
    return movement


def stock_receive(*, actor, store: Store, item: str, quantity: int, reason: str, request=None) -> StockMovement:
    _require(actor, MANAGE, store.region_id, _("You may not change this store's stock."))
    if quantity <= 0:
        raise ValidationError({"quantity": [_("A quantity above zero.")]})
    with transaction.atomic():
        movement = _move(actor=actor, store=store, item=item, change=quantity, kind=StockMovement.Kind.RECEIPT,
                         reason=reason, request=request)
        bump_data_generation()
    return movement


def stock_issue(*, actor, store: Store, item: str, quantity: int, reason: str, request=None,
                at: dt.datetime | None = None) -> StockMovement:
    """Supplies issued from a store (``at``: when, for issues recorded afterwards; the burn rate the forecast
    reads is the issues of the last days)."""
    _require(actor, MANAGE, store.region_id, _("You may not change this store's stock."))
    if quantity <= 0:
        raise ValidationError({"quantity": [_("A quantity above zero.")]})
    if at is not None:
        _future(at, "at")
    with transaction.atomic():
        movement = _move(actor=actor, store=store, item=item, change=-quantity, kind=StockMovement.Kind.ISSUE,
                         reason=reason, request=request, at=at)
        bump_data_generation()
    return movement


def requisition_create(*, actor, store: Store, supplying_city: str, item: str, quantity: int, note: str = "",
                       request=None) -> Requisition:
    """A city asks another city of the same province for supplies, into one of its stores."""
    requesting = city_code(store.region_id)
    _require(actor, MANAGE, requesting, _("You may not request supplies for this city."))
    supplier = _region(supplying_city, "supplying_city")
    if supplier.code[:2] != requesting[:2]:
        raise ValidationError({"supplying_city": [_("Supplies are requested from a city of the same province.")]})
    if supplier.code[2:] == "0000" or supplier.code[4:] != "00":
        raise ValidationError({"supplying_city": [_("Choose a city (not a county or the province).")]})
    if supplier.code == requesting:
        raise ValidationError({"supplying_city": [_("A city does not request supplies from itself.")]})
    if quantity <= 0:
        raise ValidationError({"quantity": [_("A quantity above zero.")]})
    with transaction.atomic():
        requisition = Requisition.objects.create(requesting_region_id=requesting, supplying_region=supplier, item=item,
                                                 quantity=quantity, destination_store=store, note=note,
                                                 requested_by=actor)
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=requisition, region_code=requesting,
                     request=request, detail={"to": supplier.code, "item": item, "quantity": quantity})
        bump_data_generation()
    return requisition


def _step(requisition_id: int, expected_version: int | None, status_from: str) -> Requisition:
    requisition = Requisition.objects.select_for_update().filter(pk=requisition_id).first()
    if requisition is None:
        raise ValidationError({"requisition": [_("No such requisition.")]})
    check_version(requisition.version, expected_version)
    if requisition.status != status_from:
        raise ValidationError({"status": [_("The requisition is %(status)s, not %(expected)s.")
                                          % {"status": requisition.get_status_display(),
                                             "expected": Requisition.Status(status_from).label}]})
    return requisition


def _advance(requisition: Requisition, status: str, stamp: str, *, actor, request, detail=None) -> Requisition:
    requisition.status, requisition.version = status, requisition.version + 1
    setattr(requisition, stamp, timezone.now())
    requisition.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=requisition,
                 region_code=requisition.supplying_region_id if status != Requisition.Status.RECEIVED
                 else requisition.requesting_region_id, request=request, detail={"status": status, **(detail or {})})
    bump_data_generation()
    return requisition


def requisition_approve(*, actor, requisition_id: int, source_store: Store, expected_version: int | None = None,
                        request=None) -> Requisition:
    """The supplying city approves and names the store it ships from."""
    with transaction.atomic():
        requisition = _step(requisition_id, expected_version, Requisition.Status.REQUESTED)
        _require(actor, MANAGE, requisition.supplying_region_id, _("Only the supplying city approves a requisition."))
        if city_code(source_store.region_id) != requisition.supplying_region_id:
            raise ValidationError({"source_store": [_("Ship from a store of the supplying city.")]})
        requisition.source_store = source_store
        return _advance(requisition, Requisition.Status.APPROVED, "approved_at", actor=actor, request=request,
                        detail={"source_store": source_store.pk})


def requisition_ship(*, actor, requisition_id: int, expected_version: int | None = None,
                     request=None) -> Requisition:
    """The supplying city ships: its store's stock goes down (refused when less is on hand); in transit."""
    with transaction.atomic():
        requisition = _step(requisition_id, expected_version, Requisition.Status.APPROVED)
        _require(actor, MANAGE, requisition.supplying_region_id, _("Only the supplying city ships a requisition."))
        _move(actor=actor, store=requisition.source_store, item=requisition.item, change=-requisition.quantity,
              kind=StockMovement.Kind.SHIPPED, requisition=requisition, reason=f"#{requisition.pk}", request=request)
        return _advance(requisition, Requisition.Status.SHIPPED, "shipped_at", actor=actor, request=request)


def requisition_receive(*, actor, requisition_id: int, expected_version: int | None = None,
                        request=None) -> Requisition:
    """The requesting city receives the shipment into its store."""
    with transaction.atomic():
        requisition = _step(requisition_id, expected_version, Requisition.Status.SHIPPED)
        _require(actor, MANAGE, requisition.requesting_region_id, _("Only the requesting city receives a requisition."))
        _move(actor=actor, store=requisition.destination_store, item=requisition.item, change=requisition.quantity,
              kind=StockMovement.Kind.RECEIVED, requisition=requisition, reason=f"#{requisition.pk}", request=request)
        return _advance(requisition, Requisition.Status.RECEIVED, "received_at", actor=actor, request=request)


# --- the forecast's warnings ------------------------------------------------------------------------------------


def shortage_sweep(*, day: dt.date | None = None) -> dict[str, int]:
    """The periodic job: the forecast of every city of the province from ``day`` (default: the last day with
    reported cases, not after today); each city × resource whose first shortage day (median over paths)
    falls within the warning horizon becomes a problem in the three lists, once per city, resource and
    shortage date (``problems.raise_shortages``), with a task for the city's command."""
    from django.db.models import Max

    from fangkong.cases.models import Case

    from . import forecast
    from .problems import announced, raise_shortages

    if day is None:
        day = Case.objects.filter(report_date__lte=timezone.localdate(),
                                  classification__in=forecast.COUNTED).aggregate(last=Max("report_date"))["last"]
        if day is None:
            return {"lines": 0, "warnings": 0, "raised": 0}
    cities = list(Region.objects.filter(level=Region.Level.PREFECTURE).defer("geometry").order_by("code"))
    lines = forecast.forecast(cities, day)
    return {"lines": len(lines), "warnings": len(announced(lines)), "raised": raise_shortages(day, lines)}
