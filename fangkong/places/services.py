"""Writes of the places module: each takes the validated data of its input schema (``inputs.py``), checks the
capability in the place's region, runs in one transaction and writes its audit event."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.inputs import error_messages, validate_row
from fangkong.persons import protection
from fangkong.regions.models import Region
from fangkong.table_files import TableLimits, TableRejected, read_table

from . import tally
from .apps import CHECKLIST, INSPECT, REGISTER, SCAN_RECORD
from .models import CATEGORY_TIER, ChecklistVersion, Finding, Inspection, Place, Rectification, RiskTier, Scan

PHONE_PURPOSE = "places.contact_phone"
VENUE_SALT = "fangkong.places.venue"
IMPORT_LIMITS = TableLimits(max_bytes=16 * 1024 * 1024, max_rows=100_000, max_columns=16)
#: Days to rectify a finding, by severity (the module's defaults; an inspector may set an earlier deadline).
DEADLINE_DAYS = {True: 3, False: 7}
#: Import columns: the Chinese header of the template, and the field codes (either is accepted).
PLACE_COLUMNS = {"类别": "category", "名称": "name", "地址": "address", "区划代码": "region",
                 "责任单位": "responsible_unit", "负责人": "responsible_person", "联系电话": "contact_phone",
                 "风险等级": "risk_tier", "统一社会信用代码": "credit_code"}
SCAN_COLUMNS = {"场所码": "venue_code", "人员编号": "person", "扫码时间": "scanned_at"}


def _place_region(code: str) -> tuple[Region, Region]:
    """(region, the county it is counted in) for a county or street code; ValidationError otherwise."""
    region = Region.objects.select_related("parent").filter(code=code).first()
    if region is None:
        raise ValidationError({"region": [_("No region with this code.")]})
    if region.level == Region.Level.COUNTY:
        return region, region
    if region.level == Region.Level.TOWNSHIP:
        county = region.parent if region.parent and region.parent.level == Region.Level.COUNTY else region
        return region, county
    raise ValidationError({"region": [_("A place lies in a county or a street (township), not in a whole city.")]})


def venue_code(place: Place) -> str:
    """The text of the place's QR code: its opaque token, signed (nothing of the place's data)."""
    return signing.Signer(salt=VENUE_SALT).sign(place.venue_token)


def place_by_venue_code(code: str) -> Place | None:
    try:
        token = signing.Signer(salt=VENUE_SALT).unsign(code.strip())
    except signing.BadSignature:
        return None
    return Place.objects.filter(venue_token=token).first()


def _new_place(actor, data: dict) -> Place:
    region, county = _place_region(data["region"])
    if not can(actor, REGISTER, region.code):
        raise PermissionDenied(_("You may not register places in this region."))
    if data.get("credit_code") and Place.objects.filter(credit_code=data["credit_code"]).exists():
        raise ValidationError({"credit_code": [_("A place with this unified social credit code is registered.")]})
    tier = data.get("risk_tier") or CATEGORY_TIER[data["category"]]
    phone = data.get("contact_phone") or ""
    today = timezone.localdate()
    place = Place(
        category=data["category"], name=data["name"], address=data["address"], region=region, county=county,
        responsible_unit=data["responsible_unit"], responsible_person=data["responsible_person"],
        contact_phone_sealed=protection.encrypt(phone, PHONE_PURPOSE) if phone else "",
        contact_phone_masked=protection.mask_phone(phone) if phone else "", credit_code=data.get("credit_code") or "",
        risk_tier=tier, tier_reason="" if data.get("risk_tier") else _("by category"),
        venue_token=secrets.token_urlsafe(24), registered_on=today, created_by=actor)
    place.next_due_on = place.due_from(None)
    return place


def place_register(*, actor, request=None, **data) -> Place:
    """Register a key place (``inputs.PlaceInput``); refused outside the actor's regions."""
    place = _new_place(actor, data)
    with transaction.atomic():
        place.save()
        tally.move(None, tally.place_key(place))
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=place, region_code=place.region_id,
                     request=request, detail={"category": place.category})
    return place


@dataclass
class ImportResult:
    created: int = 0
    errors: list[dict] = field(default_factory=list)  # {"row", "column", "message"}

    @property
    def ok(self) -> bool:
        return not self.errors


def _rows_of(data: bytes, name: str, columns: dict[str, str]) -> list[dict]:
    rows = read_table(data, name, IMPORT_LIMITS)
    return [{columns.get(key, key): value for key, value in row.items()} for row in rows]


def _checked_rows(rows: list[dict], schema, check, result: ImportResult) -> list:
    """Each row through the action's schema (``validate_row``), then ``check`` (the service's own rules);
    the objects made, every refusal added to ``result.errors`` against its row (the header is row 1)."""
    made = []
    for number, row in enumerate(rows, start=2):
        valid, errors = validate_row(schema, row)
        if not errors:
            try:
                made.append(check(valid))
            except (ValidationError, PermissionDenied) as exc:
                errors = error_messages(exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
        result.errors.extend({"row": number, "column": column, "message": message}
                             for column, messages in errors.items() for message in messages)
    return made


def places_import(*, actor, data: bytes, name: str, request=None) -> ImportResult:
    """Register the places of a CSV or XLSX file (``PLACE_COLUMNS``), every row through ``PlaceInput``: all
    or nothing — one refused row and nothing is registered, every error reported against its row."""
    from .inputs import PlaceInput

    result = ImportResult()
    try:
        rows = _rows_of(data, name, PLACE_COLUMNS)
    except TableRejected as exc:
        result.errors.append({"row": exc.row, "column": "", "message": exc.message})
        return result
    codes: set[str] = set()

    def checked(valid: dict) -> Place:
        place = _new_place(actor, valid)
        if place.credit_code and place.credit_code in codes:
            raise ValidationError({"credit_code": [_("This code is given twice in the file.")]})
        codes.add(place.credit_code)
        return place

    places = _checked_rows(rows, PlaceInput, checked, result)
    if result.errors:
        return result
    with transaction.atomic():
        Place.objects.bulk_create(places, batch_size=1000)
        tally.add_places(places)
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="places.place", request=request,
                     detail={"file": name[:100], "created": len(places)})
    result.created = len(places)
    return result


# --- inspections and rectification ------------------------------------------------------------------------


def checklist_in_force(category: str, day: dt.date) -> ChecklistVersion | None:
    """The highest version of the category's checklist in force on ``day``."""
    for version in ChecklistVersion.objects.filter(category=category, effective_from__lte=day):
        if version.in_force_on(day):
            return version
    return None


def checklist_publish(*, actor, category: str, effective_from: dt.date, items: list[dict],
                      request=None) -> ChecklistVersion:
    """Publish the next version of a category's checklist (``inputs.ChecklistPublishInput``), in force from
    ``effective_from`` (today or later, after the day the latest version came into force); every version still
    in force then is retired on that day, so that an inspection is done against exactly one version a day and
    one naming a retired version is refused. Province-wide: ``places.checklist`` (the provincial commander)."""
    if not can(actor, CHECKLIST):
        raise PermissionDenied(_("Your role may not publish checklists."))
    if effective_from < timezone.localdate():
        raise ValidationError({"effective_from": [_("A new checklist version comes into force today or later.")]})
    with transaction.atomic():
        versions = list(ChecklistVersion.objects.select_for_update().filter(category=category).order_by("-version"))
        latest = versions[0] if versions else None
        if latest is not None and effective_from <= latest.effective_from:
            raise ValidationError({"effective_from": [
                _("Version %(version)s comes into force on %(day)s: a new version must come into force after it.")
                % {"version": latest.version, "day": latest.effective_from.isoformat()}]})
        retired = []
        for old in versions:
            if old.retired_on is None or old.retired_on > effective_from:
                old.retired_on = effective_from
                old.save(update_fields=["retired_on"])
                retired.append(old.version)
        version = ChecklistVersion.objects.create(
            category=category, version=(latest.version + 1) if latest else 1, effective_from=effective_from,
            items=[{"code": i["code"], "zh": i["zh"], "en": i.get("en", ""), "critical": bool(i.get("critical"))}
                   for i in items])
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=version, request=request,
                     detail={"category": category, "version": version.version,
                             "effective_from": effective_from.isoformat(), "retired": retired,
                             "items": len(items), "critical": sum(1 for i in version.items if i["critical"])})
    return version


def _place_for(actor, place_id: int, capability: str) -> Place:
    from .selectors import place_get

    place = place_get(user=actor, place_id=place_id)
    if not can(actor, capability, place.region_id):
        raise PermissionDenied(_("Your role may not do this for places in this region."))
    return place


def _deadline(given: dt.date | None, critical: bool, day: dt.date) -> dt.date:
    if given is not None:
        if given < timezone.localdate():
            raise ValidationError({"deadline": [_("A deadline cannot lie in the past.")]})
        return given
    return max(day, timezone.localdate()) + dt.timedelta(days=DEADLINE_DAYS[critical])


def inspection_record(*, actor, place: int, inspected_on: dt.date, results: dict | None = None,
                      waived: bool = False, notes: str = "", mode: str = Inspection.Mode.PHONE,
                      close_place: bool = False, deadline: dt.date | None = None, follow_up_of: int | None = None,
                      checklist_version: int | None = None, request=None) -> Inspection:
    """Record an inspection (``inputs.InspectionInput``) against the checklist in force on its day.

    Each failed item becomes a finding with a rectification order (deadline by severity). A re-inspection
    (``follow_up_of``) carries forward only the open findings of the inspection it follows: a passed item
    verifies the order, a failed one reopens it; a passed or waived inspection has nothing to follow up.
    A critical finding may close the place temporarily (``close_place``, audited)."""
    target = _place_for(actor, place, INSPECT)
    results = results or {}
    original = None
    if follow_up_of is not None:
        original = Inspection.objects.filter(pk=follow_up_of, place=target).first()
        if original is None:
            raise ValidationError({"follow_up_of": [_("No inspection of this place with this number.")]})
        if original.outcome != Inspection.Outcome.FAILED:
            raise ValidationError({"follow_up_of": [
                _("A passed or waived inspection has no findings to follow up.")]})
        open_orders = {r.finding.item_code: r for r in Rectification.objects.select_related("finding").filter(
            finding__inspection=original).exclude(state=Rectification.State.VERIFIED)}
        if not open_orders:
            raise ValidationError({"follow_up_of": [_("Every finding of this inspection is verified already.")]})
        checklist = original.checklist
        if not waived:
            extra = sorted(set(results) - set(open_orders))
            if extra:
                raise ValidationError({"results": [
                    _("A re-inspection checks only the open findings (%(items)s), not %(extra)s.")
                    % {"items": ", ".join(sorted(open_orders)), "extra": ", ".join(extra)}]})
            missing = sorted(set(open_orders) - set(results))
            if missing:
                raise ValidationError({"results": [_("Give the result of the open findings: %(items)s.")
                                                   % {"items": ", ".join(missing)}]})
    else:
        if checklist_version is not None:
            checklist = ChecklistVersion.objects.filter(category=target.category, version=checklist_version).first()
            if checklist is None or not checklist.in_force_on(inspected_on):
                raise ValidationError({"checklist_version": [
                    _("This checklist version is not in force on the day of the inspection (retired or not yet issued).")]})
        else:
            checklist = checklist_in_force(target.category, inspected_on)
        if checklist is None:
            raise ValidationError({"inspected_on": [_("No checklist of this category is in force on that day.")]})
        if not waived:
            codes = {item["code"] for item in checklist.items}
            unknown = sorted(set(results) - codes)
            missing = sorted(codes - set(results))
            if unknown or missing:
                raise ValidationError({"results": [
                    _("Give one result for each item of checklist version %(version)s (missing: %(missing)s; unknown: %(unknown)s).")
                    % {"version": checklist.version, "missing": ", ".join(missing) or "-",
                       "unknown": ", ".join(unknown) or "-"}]})
    failed = [code for code, result in results.items() if result == "fail"] if not waived else []
    critical = [code for code in failed if (checklist.item(code) or {}).get("critical")]
    if close_place and not critical:
        raise ValidationError({"close_place": [_("Only a critical finding closes a place.")]})
    outcome = Inspection.Outcome.WAIVED if waived else (
        Inspection.Outcome.FAILED if failed else Inspection.Outcome.PASSED)
    with transaction.atomic():
        if original:  # the orders' states under their rows' lock (the tally moves from what they are)
            for pk, state, due in Rectification.objects.select_for_update().filter(
                    pk__in=[o.pk for o in open_orders.values()]).values_list("pk", "state", "deadline"):
                order = next(o for o in open_orders.values() if o.pk == pk)
                order.state, order.deadline = state, due
        inspection = Inspection.objects.create(
            place=target, region_id=target.region_id, checklist=checklist, inspected_on=inspected_on, mode=mode,
            outcome=outcome, results={} if waived else results, notes=notes, follow_up_of=original,
            inspector=actor)
        for code in failed:
            item = checklist.item(code) or {"zh": code, "critical": False}
            finding = Finding.objects.create(inspection=inspection, item_code=code, item_text=item["zh"][:300],
                                             critical=bool(item.get("critical")),
                                             carried_from=open_orders[code].finding if original else None)
            if original:
                order = open_orders[code]
                before = tally.order_key(order, target)
                order.state, order.deadline = Rectification.State.REOPENED, _deadline(deadline, finding.critical,
                                                                                      inspected_on)
                order.updated_at = timezone.now()
                order.save(update_fields=["state", "deadline", "updated_at"])
                tally.move(before, tally.order_key(order, target))
            else:
                order = Rectification.objects.create(finding=finding, place=target, region_id=target.region_id,
                                                     deadline=_deadline(deadline, finding.critical, inspected_on))
                tally.move(None, tally.order_key(order, target))
        if original and not waived:
            for code, result in results.items():
                if result != "fail":
                    _verify(actor, open_orders[code], _("verified by re-inspection %(id)s") % {"id": inspection.pk})
        _after_inspection(target, inspection, critical, close_place)
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=inspection, region_code=target.region_id,
                     request=request, detail={"place": target.pk, "outcome": outcome, "findings": failed,
                                              "follow_up_of": follow_up_of, "closed_place": close_place})
    return inspection


def _after_inspection(place: Place, inspection: Inspection, critical: list[str], close: bool) -> None:
    """The place after an inspection: last inspected, tier raised by a critical finding, closed; its next
    due day counted again, and its coverage tally moved."""
    locked = Place.objects.select_for_update().values(  # a concurrent inspection of the place waits here
        "last_inspected_on", "next_due_on", "risk_tier", "status").get(pk=place.pk)
    for name, value in locked.items():
        setattr(place, name, value)
    before = tally.place_key(place)
    fields = []
    if inspection.outcome != Inspection.Outcome.WAIVED and (
            place.last_inspected_on is None or inspection.inspected_on > place.last_inspected_on):
        place.last_inspected_on = inspection.inspected_on
        fields.append("last_inspected_on")
    if critical and place.risk_tier != RiskTier.HIGH:
        place.risk_tier = RiskTier.HIGH
        place.tier_reason = _("critical finding on %(day)s") % {"day": inspection.inspected_on.isoformat()}
        fields += ["risk_tier", "tier_reason"]
    if close:
        place.status = Place.Status.CLOSED
        fields.append("status")
    if fields:
        place.next_due_on = place.due_from(place.last_inspected_on)
        place.save(update_fields=[*fields, "next_due_on"])
        tally.move(before, tally.place_key(place))


def _is_responsible(actor, place: Place) -> bool:
    if place.responsible_user_id is not None and place.responsible_user_id == actor.pk:
        return True
    names = {n.strip() for n in (actor.display_name, actor.get_full_name(), actor.username) if n and n.strip()}
    return place.responsible_person.strip() in names


def _verify(actor, order: Rectification, evidence: str = "") -> None:
    if _is_responsible(actor, order.place):
        raise ValidationError({"action": [
            _("The place's own responsible person cannot verify its rectification.")]})
    before = tally.order_key(order, order.place)
    order.state, order.verified_by, order.verified_at = Rectification.State.VERIFIED, actor, timezone.now()
    if evidence and not order.evidence:
        order.evidence = evidence
    order.updated_at = order.verified_at
    order.save(update_fields=["state", "verified_by", "verified_at", "evidence", "updated_at"])
    tally.move(before, None)


#: action → the states it may start from
ALLOWED_FROM = {
    "start": (Rectification.State.OPEN, Rectification.State.REOPENED, Rectification.State.OVERDUE),
    "submit": (Rectification.State.OPEN, Rectification.State.RECTIFYING, Rectification.State.REOPENED,
               Rectification.State.OVERDUE),
    "verify": (Rectification.State.SUBMITTED,),
    "reopen": (Rectification.State.SUBMITTED, Rectification.State.VERIFIED),
}


def rectification_act(*, actor, rectification: int, action: str, evidence: str = "",
                      deadline: dt.date | None = None, request=None) -> Rectification:
    """Move an order on (``inputs.RectificationInput``): submitting needs evidence, verifying a verifier who
    is not the place's responsible person, reopening a deadline not in the past."""
    from .selectors import rectification_get

    order = rectification_get(user=actor, rectification_id=rectification)
    if not can(actor, INSPECT, order.region_id):
        raise PermissionDenied(_("Your role may not act on rectification orders in this region."))
    if order.state not in ALLOWED_FROM[action]:
        raise ValidationError({"action": [_("An order in state “%(state)s” cannot take this action.")
                                          % {"state": order.get_state_display()}]})
    with transaction.atomic():
        # the state and deadline under the row's lock: a concurrent action waits, then is judged on the result
        order.state, order.deadline = Rectification.objects.select_for_update().values_list(
            "state", "deadline").get(pk=order.pk)
        if order.state not in ALLOWED_FROM[action]:
            raise ValidationError({"action": [_("An order in state “%(state)s” cannot take this action.")
                                              % {"state": order.get_state_display()}]})
        before, counted = order.state, tally.order_key(order, order.place)
        if action == "verify":
            _verify(actor, order)
        else:
            if action == "submit":
                if not evidence.strip():
                    raise ValidationError({"evidence": [_("Closing an order needs evidence of the rectification.")]})
                order.evidence = evidence.strip()
                order.state = Rectification.State.SUBMITTED
            elif action == "start":
                order.state = Rectification.State.RECTIFYING
            else:
                order.state = Rectification.State.REOPENED
                order.deadline = _deadline(deadline, order.finding.critical, timezone.localdate())
                order.verified_by, order.verified_at = None, None
            order.updated_at = timezone.now()
            order.save(update_fields=["state", "evidence", "deadline", "verified_by", "verified_at", "updated_at"])
            tally.move(counted, tally.order_key(order, order.place))
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=order, region_code=order.region_id,
                     request=request, detail={"action": action, "from": before, "to": order.state})
    return order


def finding_annotate(*, actor, finding: int, note: str = "", photo=None, request=None) -> Finding:
    """Add a note and/or a photo to a finding (``inputs.FindingNoteInput``; ``photo`` is the checked,
    re-encoded image of ``photos.checked_image``): ``places.inspect`` in the place's region. The note replaces
    the finding's note; the photo is stored outside the database (``photos.store``) and recorded, at most
    ``photos.MAX_PER_FINDING`` a finding. Audited; a failure after the file is written removes it."""
    from . import photos
    from .models import FindingPhoto
    from .selectors import finding_get

    target = finding_get(user=actor, finding_id=finding)
    if not can(actor, INSPECT, target.inspection.region_id):
        raise PermissionDenied(_("Your role may not record findings in this region."))
    if photo is not None and target.photos.count() >= photos.MAX_PER_FINDING:
        raise ValidationError({"photo": [_("At most %(limit)d photos a finding.") % {"limit": photos.MAX_PER_FINDING}]})
    key = photos.store(photo, target.inspection_id) if photo is not None else None
    try:
        with transaction.atomic():
            detail: dict = {"finding": target.pk}
            if note.strip():
                target.note = note.strip()
                target.save(update_fields=["note"])
                detail["note"] = True
            if key is not None:
                stored = FindingPhoto.objects.create(
                    finding=target, region_id=target.inspection.region_id, key=key, content_type=photo.content_type,
                    size=len(photo.content), width=photo.width, height=photo.height,
                    original_name=photo.original_name, uploaded_by=actor)
                detail["photo"] = stored.pk
            audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=target,
                         region_code=target.inspection.region_id, request=request, detail=detail)
    except BaseException:
        if key is not None:
            photos.remove(key)
        raise
    return target


def places_make_due(*, place_ids, day: dt.date) -> int:
    """Bring the next inspection of these places forward to ``day`` where it is later (a positive test of a
    person working there: ``keypopulations.services.positive_follow_up``, which audits it); each place under
    its row's lock, its coverage tally moved. The number of places brought forward."""
    moved = 0
    with transaction.atomic():
        for place in Place.objects.select_for_update().filter(pk__in=list(place_ids), next_due_on__gt=day):
            before = tally.place_key(place)
            place.next_due_on = day
            place.save(update_fields=["next_due_on"])
            tally.move(before, tally.place_key(place))
            moved += 1
    return moved


def place_reopen(*, actor, place: int, request=None) -> Place:
    """Lift a temporary closure."""
    target = _place_for(actor, place, INSPECT)
    with transaction.atomic():
        target.status = Place.Status.OPEN
        target.save(update_fields=["status"])
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=target, region_code=target.region_id,
                     request=request, detail={"status": "open"})
    return target


# --- scans ---------------------------------------------------------------------------------------------------


def _checked_scan(actor, data: dict) -> Scan:
    from fangkong.persons.selectors import person_get

    place = place_by_venue_code(data["venue_code"])
    if place is None:
        raise ValidationError({"venue_code": [_("No place has this venue code.")]})
    if not can(actor, SCAN_RECORD, place.region_id):
        raise PermissionDenied(_("You may not record scans of places in this region."))
    from django.http import Http404

    try:
        person = person_get(user=actor, person_id=data["person"])
    except Http404 as exc:
        raise ValidationError({"person": [_("No person with this number in your regions.")]}) from exc
    return Scan(place=place, region_id=place.region_id, person=person, scanned_at=data["scanned_at"])


def scan_record(*, actor, request=None, **data) -> tuple[Scan, bool]:
    """Record a scan (``inputs.ScanInput``); the same scan twice is kept once. (scan, whether it is new)."""
    scan = _checked_scan(actor, data)
    existing = Scan.objects.filter(place=scan.place, person=scan.person, scanned_at=scan.scanned_at).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            scan.save()
            audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=scan, region_code=scan.region_id,
                         request=request, detail={"place": scan.place_id})
    except IntegrityError:
        return Scan.objects.get(place=scan.place, person=scan.person, scanned_at=scan.scanned_at), False
    return scan, True


def scans_import(*, actor, data: bytes, name: str, request=None) -> ImportResult:
    """Record the scans of a file (``SCAN_COLUMNS``) through ``ScanInput``: all or nothing; scans already
    recorded (the same file imported twice) are not doubled."""
    from .inputs import ScanInput

    result = ImportResult()
    try:
        rows = _rows_of(data, name, SCAN_COLUMNS)
    except TableRejected as exc:
        result.errors.append({"row": exc.row, "column": "", "message": exc.message})
        return result
    scans = _checked_rows(rows, ScanInput, lambda valid: _checked_scan(actor, valid), result)
    if result.errors:
        return result
    with transaction.atomic():
        before = Scan.objects.count()
        Scan.objects.bulk_create(scans, batch_size=2000, ignore_conflicts=True)
        result.created = Scan.objects.count() - before
        audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="places.scan", request=request,
                     detail={"file": name[:100], "rows": len(scans), "created": result.created})
    return result


# --- co-visitors made contacts -------------------------------------------------------------------------------


@dataclass
class EnlistResult:
    """What ``co_visitors_enlist`` did: the contacts it registered, the persons already contacts of the case."""

    created: list = field(default_factory=list)
    already: list[int] = field(default_factory=list)


def co_visitors_enlist(*, actor, case: int, persons: list[int], window: int = 30, category: str = "close",
                       request=None) -> EnlistResult:
    """Turn co-visitors of a case into its contacts (``inputs.CoVisitEnlistInput``), each through the cases
    module's ``contact_register`` (its checks, number, test schedule and audit), exposure type "same place and
    time" on the day of their scan, and the exposure — place, both scans, overlap — kept beside it
    (``CoVisitContact``). Only persons on the case's candidate list (the co-visit search the actor may run,
    same window) are taken; one already a contact of the case is not registered again. All or nothing, one
    audit event for the action. ``PermissionDenied`` for a role that may not register contacts in the case's
    region; ``Http404`` for a case outside the actor's regions."""
    from fangkong.accounts.roles import Capability
    from fangkong.cases.models import Case, Contact, ExposureType
    from fangkong.cases.selectors import case_get
    from fangkong.cases.services import contact_register
    from fangkong.persons.models import Person

    from .models import CoVisitContact
    from .selectors import co_visitors

    chosen = case_get(user=actor, case_id=case)
    if not can(actor, Capability.CASE_WRITE, chosen.report_region_id):
        raise PermissionDenied(_("Your role may not turn co-visitors into contacts in this region."))
    wanted = list(dict.fromkeys(persons))
    candidates = {c.person_id: c for c in co_visitors(user=actor, person_id=chosen.person_id, window_minutes=window)}
    strangers = [pk for pk in wanted if pk not in candidates]
    if strangers:
        raise ValidationError({"persons": [
            _("Not on the case's co-visitor list (window %(window)s minutes): %(persons)s.")
            % {"window": window, "persons": ", ".join(str(pk) for pk in strangers[:20])}]})
    result = EnlistResult()
    now = timezone.now()
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=chosen.pk).first()  # one enlisting of this case at a time
        known = set(Contact.objects.filter(source_case=chosen, person_id__in=wanted).values_list("person_id", flat=True))
        known |= set(Contact.objects.filter(other_source_cases=chosen, person_id__in=wanted)
                     .values_list("person_id", flat=True))
        people = Person.objects.in_bulk([pk for pk in wanted if pk not in known])
        errors: dict[str, list[str]] = {}
        for pk in wanted:
            if pk in known:
                result.already.append(pk)
                continue
            found = candidates[pk]
            day = timezone.localtime(found.their_scan).date()
            try:
                contact = contact_register(
                    actor=actor, request=request, person=people[pk], source_case=chosen, category=category,
                    region=people[pk].address_region_id, listed_at=now, exposure_type=ExposureType.SPACETIME,
                    exposure_start=day, exposure_end=day)
            except ValidationError as exc:
                for messages in exc.message_dict.values():
                    errors.setdefault("persons", []).extend(f"{pk}: {m}" for m in messages)
                continue
            CoVisitContact.objects.create(
                contact=contact, case=chosen, region_id=contact.region_id, place_id=found.place_id,
                case_scan_at=found.case_scan, their_scan_at=found.their_scan,
                overlap_minutes=found.overlap_minutes, window_minutes=window, created_by=actor)
            result.created.append(contact)
        if errors:
            raise ValidationError(errors)  # in the transaction: none of the contacts stays
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, object_type="places.covisitcontact",
                     object_id=str(chosen.pk), region_code=chosen.report_region_id, request=request,
                     detail={"case": chosen.pk, "window": window, "contacts": [c.pk for c in result.created],
                             "already_contacts": result.already})
    return result


# --- the periodic job ----------------------------------------------------------------------------------------


def overdue_mark(*, today: dt.date | None = None) -> dict:
    """Mark unfinished orders past their deadline overdue; count the places overdue for inspection.
    Running it twice changes nothing more."""
    today = today or timezone.localdate()
    with transaction.atomic():
        marked = Rectification.objects.filter(
            state__in=(Rectification.State.OPEN, Rectification.State.RECTIFYING, Rectification.State.REOPENED),
            deadline__lt=today).update(state=Rectification.State.OVERDUE, updated_at=timezone.now())
        if marked:
            bump_data_generation()
    overdue_places = Place.objects.filter(next_due_on__lt=today).count()
    return {"rectifications_marked_overdue": marked, "places_overdue": overdue_places}
