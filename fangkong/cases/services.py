"""Every write of the cases app: validate first, one transaction, one audit event.

- ``case_register``: a new case (form, API, import), numbered ``440304-2022-00123`` (county, year,
  sequence: ``fangkong.cases.case_numbers``) unless it brings its own number; the reporting deadline of the disease's class in
  force on the diagnosis date (2 h for class A and diseases managed as class A, 24 h otherwise) is
  stored with the case and a report after it is flagged ``reported_late``.
- ``case_update`` / ``case_reclassify`` / ``contact_update``: optimistic locking. The caller sends the
  ``version`` it read; when somebody saved since, ``StaleEditError`` is raised and nothing is written.
- ``contact_register``: the protocol version in force on the day the contact is listed fixes the
  management period and the test schedule, counted from the last exposure (the end of the exposure window;
  the listing date when it is unknown, ``fangkong.protocols.periods``); the contact records that version
  and is numbered ``440304-2022-M00123`` (managing county, year of listing, sequence) unless it brings its
  own number.
  Quarantining a contact does not move the dates; editing its exposure recomputes them (audited with the
  before and after values).
- ``contact_enlist``: the contact form's action — the person found or registered by citizen ID and the
  contact, in one transaction.
- ``contact_convert_to_case``: a contact who tests positive becomes a case in one action; the case's
  infector is the contact's source case (the epidemiological link is kept), its isolation time the
  contact's quarantine time, its report time the one entered (back-entries audited as such).
- ``cases_import`` / ``contacts_import`` (``fangkong.cases.imports``) build on these.
- Every write of a case or a contact ends with ``tracing_summary_refresh`` of the (region, day) keys it
  touched (before and after), in its transaction: the daily tracing summary stays equal to the rows
  (``fangkong.cases.summaries``) and the dashboard's cached figures are invalidated on commit.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can, in_scope
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.cases import rules
from fangkong.cases.case_earlies import case_earlies_refresh
from fangkong.cases.case_numbers import case_number_draw, contact_number_draw
from fangkong.cases.inputs import STATUS_ACTIONS
from fangkong.cases.models import (
    Case,
    Classification,
    ClassificationChange,
    Cluster,
    Contact,
    ContactCategory,
    ContactStatus,
    DetectionRoute,
    Disease,
    DiseaseStatus,
    Exposure,
    ExposureType,
    Outcome,
    RiskArea,
    Severity,
)
from fangkong.cases.summaries import case_keys, contact_keys, tracing_summary_refresh
from fangkong.data_generation import bump_data_generation
from fangkong.locking import StaleEditError, versioned_update
from fangkong.protocols.selectors import NoProtocolInForce, protocol_in_force
from fangkong.regions.codes import subtree_prefix
from fangkong.regions.models import Region

__all__ = ["StaleEditError"]

CASE_EDITABLE = ("onset_date", "sampling_date", "detection_route", "imported", "origin", "severity", "outcome",
                 "residence_region", "cluster", "infector", "first_visit_at", "isolated_at", "treatment_at")
EARLIES = ("first_visit_at", "isolated_at", "treatment_at")  # the "four earlies" times, each optional
CONTACT_EDITABLE = ("quarantined_at", "quarantine_place", "status", "exposure_type", "exposure_start",
                    "exposure_end", "released_at")
#: Statuses that end management before its due date (``Contact.released_at`` records when).
MANAGEMENT_ENDED = (ContactStatus.RELEASED, ContactStatus.LOST)


def disease_status_on(disease: Disease, day: dt.date) -> DiseaseStatus:
    status = disease.statuses.filter(effective_from__lte=day).order_by("-effective_from").first()
    if status is None:
        raise ValidationError({"disease": [_("This disease was not notifiable on that date.")]})
    return status


def reporting_deadline(disease: Disease, diagnosed_at: dt.datetime) -> dt.datetime:
    status = disease_status_on(disease, timezone.localtime(diagnosed_at).date())
    return diagnosed_at + dt.timedelta(hours=status.reporting_hours)


def _require(actor, capability: str, region_code: str, message: str) -> None:
    if not can(actor, capability, region_code):
        raise PermissionDenied(message)


def _region_in_scope(actor, code, field: str, errors: dict, *, regions: dict | None = None) -> Region | None:
    region = regions.get(code) if regions is not None else Region.objects.filter(code=code or "").first()
    if region is None or not in_scope(actor, region.code):
        errors.setdefault(field, []).append(_("Choose a region within your area."))
        return None
    return region


def _number(case: Case) -> None:
    """A case without a number of its own (imports keep theirs) draws the next readable one of its county
    and year of report (``fangkong.cases.case_numbers``), in the caller's transaction."""
    if not case.case_no:
        case.case_no = case_number_draw(region_code=case.report_region_id, report_date=case.report_date)


def _contact_number(contact: Contact) -> None:
    """A contact without a number of its own (imports keep theirs) draws the next readable one of its
    managing county and year of listing (``fangkong.cases.case_numbers``), in the caller's transaction."""
    if not contact.contact_no:
        contact.contact_no = contact_number_draw(region_code=contact.region_id, listed_date=contact.listed_date)


def build_case(*, actor, person, disease: Disease, classification: str, diagnosed_at: dt.datetime,
               report_region: Region | str, reported_at: dt.datetime | None = None,
               onset_date: dt.date | None = None, sampling_date: dt.date | None = None,
               detection_route: str = DetectionRoute.OTHER, imported: bool = False, origin: str = "",
               severity: str = "mild", outcome: str = "under_treatment", residence_region=None,
               infector: Case | None = None, cluster: Cluster | None = None, case_no: str = "",
               regions: dict | None = None, now: dt.datetime | None = None,
               first_visit_at: dt.datetime | None = None, isolated_at: dt.datetime | None = None,
               treatment_at: dt.datetime | None = None) -> Case:
    """Validate one case's fields and build the unsaved row; ``ValidationError`` per field."""
    errors: dict[str, list[str]] = {}
    now = now or timezone.now()
    report_code = report_region.code if isinstance(report_region, Region) else report_region
    region = _region_in_scope(actor, report_code, "report_region", errors, regions=regions)
    if region is not None and not can(actor, Capability.CASE_WRITE, region.code):
        raise PermissionDenied(_("Your role may not register cases."))
    if person is None:
        errors.setdefault("person", []).append(_("Choose a registered person."))
    elif not in_scope(actor, person.address_region_id):
        errors.setdefault("person", []).append(_("Choose a person registered in your area."))
    for field, value in (("classification", classification), ("detection_route", detection_route),
                         ("severity", severity), ("outcome", outcome)):
        _add(errors, rules.one_of(field, value))
    reported_at = reported_at or now
    _add(errors, rules.diagnosis_and_report(
        diagnosed_at, reported_at, now, onset_date=onset_date, sampling_date=sampling_date,
        diagnosed_day=timezone.localtime(diagnosed_at).date() if diagnosed_at is not None else None))
    _add(errors, rules.earlies({"first_visit_at": first_visit_at, "isolated_at": isolated_at,
                                "treatment_at": treatment_at}, now, onset_date=onset_date, reported_at=reported_at))
    _add(errors, rules.origin(imported, origin))
    if residence_region is None and person is not None:
        residence_code = person.address_region_id
    else:
        residence_code = residence_region.code if isinstance(residence_region, Region) else residence_region
    known_residence = (regions.get(residence_code) if regions is not None
                       else Region.objects.filter(code=residence_code or "").exists())
    if not known_residence and (person is not None or residence_code is not None):  # else the person's error says it
        errors.setdefault("residence_region", []).append(_("Unknown region."))
    deadline = None
    if disease is not None and diagnosed_at is not None:
        try:
            deadline = reporting_deadline(disease, diagnosed_at)
        except ValidationError as exc:
            errors.setdefault("disease", []).extend(exc.messages)
    elif disease is None:
        _add(errors, rules.unknown_disease())
    if infector is not None and infector.person_id == getattr(person, "pk", None):
        errors.setdefault("infector", []).append(_("A case cannot be its own infector."))
    if errors:
        raise ValidationError(errors)
    return Case(
        case_no=case_no, person=person, disease=disease, classification=classification,
        onset_date=onset_date, sampling_date=sampling_date, diagnosed_at=diagnosed_at, reported_at=reported_at,
        report_date=timezone.localtime(reported_at).date(), report_deadline=deadline,
        reported_late=reported_at > deadline, detection_route=detection_route, imported=imported,
        origin=origin.strip(), severity=severity, outcome=outcome, residence_region_id=residence_code,
        report_region=region, infector=infector, cluster=cluster, created_by=actor,
        first_visit_at=first_visit_at, isolated_at=isolated_at, treatment_at=treatment_at,
    )


@transaction.atomic
def case_register(*, actor, request=None, **fields) -> Case:
    """Register one case (fields as ``build_case``); its first classification starts the history."""
    case = build_case(actor=actor, **fields)
    _number(case)
    case.full_clean(exclude=["person", "disease", "report_region", "residence_region", "infector", "cluster"])
    case.found_under_management = Contact.objects.filter(person=case.person,
                                                         listed_at__lte=case.reported_at).exists()
    case.save()
    ClassificationChange.objects.create(case=case, previous="", classification=case.classification,
                                        changed_at=case.reported_at, changed_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=case, region_code=case.report_region_id,
                 request=request, detail={"late": case.reported_late})
    tracing_summary_refresh(case_keys(case))
    case_earlies_refresh([case.pk])
    return case


def _add(errors: dict, found: rules.Errors) -> None:
    """The ``(field, message)`` pairs of ``fangkong.cases.rules`` into errors by field."""
    for field, message in found:
        errors.setdefault(field, []).append(message)


def _check_exposure(start: dt.date | None, end: dt.date | None, listed_date: dt.date | None, errors: dict) -> None:
    """An exposure window is ordered and over by the day the contact is listed (``rules.exposure_window``)."""
    _add(errors, rules.exposure_window(start, end, listed_date))


def _jsonable(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _refuse_uneditable(changes: dict, editable) -> None:
    unknown = sorted(set(changes) - set(editable))
    if unknown:
        raise ValidationError({name: [_("This field cannot be edited.")] for name in unknown})


def _locked_update(*, actor, obj, expected_version: int, values: dict, region_code: str, request=None) -> None:
    """Save ``values`` on ``obj`` under its version lock, update the instance and audit before/after."""
    before = {name: _jsonable(getattr(obj, name)) for name in values}
    obj.version = versioned_update(type(obj), obj.pk, expected_version, values)
    for name, value in values.items():
        setattr(obj, name, value)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=obj, region_code=region_code,
                 request=request, detail={"before": before, "after": {n: _jsonable(v) for n, v in values.items()}})


@transaction.atomic
def case_update(*, actor, case: Case, expected_version: int, changes: dict, request=None) -> Case:
    """Edit a case's fields; refused when the case changed since the caller read ``expected_version``."""
    _require(actor, Capability.CASE_WRITE, case.report_region_id, _("Your role may not edit cases."))
    _refuse_uneditable(changes, CASE_EDITABLE)
    errors: dict[str, list[str]] = {}
    if "detection_route" in changes and changes["detection_route"] not in DetectionRoute.values:
        errors["detection_route"] = [_("Choose a detection route.")]
    if "severity" in changes and changes["severity"] not in Severity.values:
        errors["severity"] = [_("Choose a severity.")]
    if "outcome" in changes and changes["outcome"] not in Outcome.values:
        errors["outcome"] = [_("Choose an outcome.")]
    diagnosed_day = timezone.localtime(case.diagnosed_at).date()
    for name in ("onset_date", "sampling_date"):
        if changes.get(name) and changes[name] > diagnosed_day:
            errors[name] = [_("This date is after the diagnosis.")]
    infector = changes.get("infector")
    if infector is not None and infector.pk == case.pk:
        errors["infector"] = [_("A case cannot be its own infector.")]
    if changes.get("imported", case.imported) and not str(changes.get("origin", case.origin)).strip():
        errors["origin"] = [_("An imported case needs its origin.")]
    if any(name in changes for name in (*EARLIES, "onset_date")):
        _add(errors, rules.earlies({name: changes.get(name, getattr(case, name)) for name in EARLIES}, timezone.now(),
                                   onset_date=changes.get("onset_date", case.onset_date), reported_at=case.reported_at))
    if errors:
        raise ValidationError(errors)
    before = case_keys(case)
    _locked_update(actor=actor, obj=case, expected_version=expected_version, values=changes,
                   region_code=case.report_region_id, request=request)
    tracing_summary_refresh(before | case_keys(case))
    case_earlies_refresh([case.pk])
    return case


@transaction.atomic
def case_reclassify(*, actor, case: Case, classification: str, expected_version: int, reason: str = "",
                    request=None) -> Case:
    """Change the classification and append it to the history (optimistically locked)."""
    _require(actor, Capability.CASE_WRITE, case.report_region_id, _("Your role may not edit cases."))
    if classification not in Classification.values:
        raise ValidationError({"classification": [_("Choose a classification.")]})
    if classification == case.classification:
        raise ValidationError({"classification": [_("The case already has this classification.")]})
    previous = case.classification
    case.version = versioned_update(Case, case.pk, expected_version, {"classification": classification})
    case.classification = classification
    ClassificationChange.objects.create(case=case, previous=previous, classification=classification,
                                        changed_by=actor, reason=reason[:200])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=case, region_code=case.report_region_id,
                 request=request, detail={"classification": [previous, classification], "reason": reason[:200]})
    tracing_summary_refresh(case_keys(case))
    return case


def build_contact(*, actor, person, source_case: Case, category: str, region: Region | str,
                  listed_at: dt.datetime, exposure_type: str = "other", exposure_start: dt.date | None = None,
                  exposure_end: dt.date | None = None, quarantined_at: dt.datetime | None = None,
                  quarantine_place: str = "", via_contact: Contact | None = None, contact_no: str = "",
                  regions: dict | None = None, protocols: list | None = None,
                  now: dt.datetime | None = None) -> Contact:
    """Validate one contact and build the unsaved row with its test schedule from the protocol in force."""
    errors: dict[str, list[str]] = {}
    now = now or timezone.now()
    code = region.code if isinstance(region, Region) else region
    managed = _region_in_scope(actor, code, "region", errors, regions=regions)
    if managed is not None and not can(actor, Capability.CASE_WRITE, managed.code):
        raise PermissionDenied(_("Your role may not register contacts."))
    if person is None:
        errors.setdefault("person", []).append(_("Choose a registered person."))
    elif not in_scope(actor, person.address_region_id):
        errors.setdefault("person", []).append(_("Choose a person registered in your area."))
    if source_case is None:
        errors.setdefault("source_case", []).append(_("Choose the source case."))
    _add(errors, rules.one_of("category", category) + rules.one_of("exposure_type", exposure_type))
    _check_exposure(exposure_start, exposure_end,
                    timezone.localtime(listed_at).date() if listed_at is not None else None, errors)
    _add(errors, rules.listing_times(listed_at, quarantined_at, now))
    _add(errors, rules.at_most("quarantine_place", quarantine_place, 200))
    protocol = None
    if listed_at is not None:
        day = timezone.localtime(listed_at).date()
        if protocols is not None:
            protocol = next((p for p in protocols if p.effective_from <= day), None)
        else:
            try:
                protocol = protocol_in_force(day)
            except NoProtocolInForce:
                protocol = None
        _add(errors, rules.contact_protocol(protocol, category))
    if errors:
        raise ValidationError(errors)
    listed_date = timezone.localtime(listed_at).date()
    schedule, release_due = protocol.contact_plan(category, exposure_end=exposure_end, listed_date=listed_date)
    within_24h = dt.timedelta(days=1)
    return Contact(
        listed_date=listed_date,
        listed_within_24h=listed_at - source_case.reported_at <= within_24h,
        quarantined_within_24h=(quarantined_at - listed_at <= within_24h) if quarantined_at else None,
        contact_no=contact_no, person=person, region=managed, category=category,
        source_case=source_case, via_contact=via_contact, exposure_type=exposure_type,
        exposure_start=exposure_start, exposure_end=exposure_end, listed_at=listed_at,
        quarantined_at=quarantined_at, quarantine_place=quarantine_place.strip(), protocol=protocol,
        test_schedule=schedule, release_due=release_due,
        status=ContactStatus.QUARANTINED if quarantined_at else ContactStatus.LISTED,
    )


@transaction.atomic
def contact_register(*, actor, request=None, other_source_cases=(), **fields) -> Contact:
    contact = build_contact(actor=actor, **fields)
    _contact_number(contact)
    contact.save()
    if other_source_cases:
        contact.other_source_cases.set(other_source_cases)
    found = cases_found_under_management_mark([contact.person_id])
    detail = {"protocol": contact.protocol.code}
    if found:
        detail["cases_now_found_under_management"] = sorted(found)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=contact, region_code=contact.region_id,
                 request=request, detail=detail)
    tracing_summary_refresh(contact_keys(contact) | set(found.values()))
    return contact


def case_enlist(*, actor, request=None, disease: str = "covid-19", infector_case_no: str = "",
                person: int | None = None, citizen_id: str = "", name: str = "", phone: str = "",
                address_region: str = "", **fields) -> Case:
    """Register a case from what the case form or the API knows (``fangkong.cases.inputs.CaseEnlistInput``):
    the infector by case number, the person by citizen ID — found by an audited look-up (kept on record
    even when the case is refused) or registered with the name, phone and region of residence given (the
    region of report by default) — or else by registry number among the persons the actor may see, the
    disease by code; then ``case_register`` (``fields`` as there): a person registered here stays only with
    the case. ``ValidationError`` by field, ``PersonElsewhereError``, ``PermissionDenied``."""
    from fangkong.cases.selectors import case_get_by_no
    from fangkong.persons.selectors import person_list
    from fangkong.persons.services import person_lookup, person_register

    errors: dict[str, list] = {}  # every refusal of the input at once, as the import reports a row's
    infector = case_get_by_no(infector_case_no) if infector_case_no else None
    if infector_case_no and infector is None:
        _add(errors, rules.unknown_case("infector_case_no"))
    _add(errors, rules.person_named(citizen_id, person))
    chosen_disease = Disease.objects.filter(code=disease or "").first()
    if chosen_disease is None:
        _add(errors, rules.unknown_disease())
    found = None
    if citizen_id:
        try:
            found = person_lookup(actor=actor, citizen_id=citizen_id, purpose="case", request=request)
        except ValidationError as exc:
            _merge(errors, exc, {})
    # The refusals under the input's names: the person is the citizen ID's unless chosen by registry number.
    names = {"infector": "infector_case_no", **({"person": "citizen_id"} if citizen_id else {})}
    with transaction.atomic():
        chosen = None
        if citizen_id and not errors.get("citizen_id"):
            try:
                chosen = found or person_register(actor=actor, request=request, name=name, citizen_id=citizen_id,
                                                  phone=phone,
                                                  address_region=address_region or fields.get("report_region", "")
                                                  ).person
            except ValidationError as exc:
                _merge(errors, exc, names)
        elif person and not citizen_id:
            chosen = person_list(user=actor).filter(pk=person).first()
        try:
            case = case_register(actor=actor, request=request, person=chosen, infector=infector,
                                 disease=chosen_disease, **fields)
        except ValidationError as exc:
            # Without a person or a disease, what the input says about them is already reported.
            skip = {"disease"} if chosen_disease is None else set()
            if chosen is None and (citizen_id or not person):
                skip |= {"person", "residence_region"}
            _merge(errors, exc, names, skip=skip)
        if errors:
            raise ValidationError(errors)  # in the transaction: a person registered here is rolled back
        return case


def contact_enlist(*, actor, request=None, source_case_no: str, citizen_id: str = "", person: int | None = None,
                   name: str = "", phone: str = "", address_region: str = "", **fields) -> Contact:
    """Register a contact from what the contact form or the API knows (``fangkong.cases.inputs.ContactEnlistInput``):
    the source case by its number among the actor's cases, the person by citizen ID — found in the
    registry (an audited look-up, kept on record even when the contact is refused) or registered with the
    name, phone and region of residence given (the contact's region by default) — or else by registry number
    among the persons the actor may see, and the contact (``contact_register``; ``fields`` as there): the
    new person and the contact both or neither. ``ValidationError`` by field of the input,
    ``PersonElsewhereError`` for an ID registered outside the actor's regions, ``PermissionDenied`` for a
    role that may not register."""
    from fangkong.cases.selectors import case_list
    from fangkong.persons.selectors import person_list
    from fangkong.persons.services import person_lookup, person_register

    errors: dict[str, list] = {}  # every refusal of the input at once, as the import reports a row's
    source = case_list(user=actor).filter(case_no=source_case_no).first() if source_case_no else None
    if source is None:
        _add(errors, rules.unknown_case("source_case_no"))
    _add(errors, rules.person_named(citizen_id, person))
    found = None
    if citizen_id:
        try:
            found = person_lookup(actor=actor, citizen_id=citizen_id, purpose="contact", request=request)
        except ValidationError as exc:
            _merge(errors, exc, {})
    # The refusals under the input's names; a region of residence left empty is the contact's region.
    names = {"source_case": "source_case_no", **({"person": "citizen_id"} if citizen_id else {}),
             **({} if address_region else {"address_region": "region"})}
    with transaction.atomic():
        chosen = None
        if citizen_id and not errors.get("citizen_id"):
            try:
                chosen = found or person_register(actor=actor, request=request, name=name, citizen_id=citizen_id,
                                                  phone=phone, address_region=address_region or fields.get("region", "")
                                                  ).person
            except ValidationError as exc:
                _merge(errors, exc, names)
        elif person and not citizen_id:
            chosen = person_list(user=actor).filter(pk=person).first()
        try:
            contact = contact_register(actor=actor, request=request, person=chosen, source_case=source, **fields)
        except ValidationError as exc:
            # Without a person or a source case, what the input says about them is already reported.
            skip = {"source_case"} | ({"person"} if chosen is None and (citizen_id or not person) else set())
            _merge(errors, exc, names, skip=skip)
        if errors:
            raise ValidationError(errors)  # in the transaction: a person registered here is rolled back
        return contact


def _merge(errors: dict, exc: ValidationError, names: dict[str, str], *, skip=frozenset()) -> None:
    """A ``ValidationError``'s messages into ``errors`` by field, renamed to the input's (``names``)."""
    for field, messages in exc.message_dict.items():
        if field not in skip:
            errors.setdefault(names.get(field, field), []).extend(messages)


def cases_found_under_management_mark(person_ids) -> dict[int, tuple[str, dt.date]]:
    """Cases of these persons that were reported when the person was already on a contact list, but whose
    contact was registered after the case (data entry lags the field work), now count as found under
    management. Returns their ids and summary keys (for ``tracing_summary_refresh``)."""
    listed_before_report = Contact.objects.filter(person=OuterRef("person"), listed_at__lte=OuterRef("reported_at"))
    cases = (Case.objects.filter(person_id__in=list(person_ids), found_under_management=False)
             .filter(Exists(listed_before_report)))
    found = {pk: (region, day) for pk, region, day in cases.values_list("pk", "report_region_id", "report_date")}
    if found:
        Case.objects.filter(pk__in=list(found)).update(found_under_management=True)
    return found


@transaction.atomic
def contact_update(*, actor, contact: Contact, expected_version: int, changes: dict, request=None) -> Contact:
    """Record quarantine, place, status or exposure; an edited exposure recomputes the period (locked)."""
    _require(actor, Capability.CONTACT_MANAGE, contact.region_id, _("Your role may not manage contacts."))
    _refuse_uneditable(changes, CONTACT_EDITABLE)
    errors: dict[str, list[str]] = {}
    status = changes.get("status")
    if status is not None and (status not in ContactStatus.values or status == ContactStatus.CONVERTED):
        errors["status"] = [_("Choose listed, quarantined, released or lost; a conversion is its own action.")]
    if contact.status == ContactStatus.CONVERTED:
        errors["status"] = [_("This contact has become a case and is closed.")]
    quarantined_at = changes.get("quarantined_at")
    if quarantined_at is not None and quarantined_at < contact.listed_at:
        errors["quarantined_at"] = [_("A contact cannot be quarantined before being listed.")]
    if "exposure_type" in changes and changes["exposure_type"] not in ExposureType.values:
        errors["exposure_type"] = [_("Choose an exposure type.")]
    exposure_edited = "exposure_start" in changes or "exposure_end" in changes
    exposure_end = changes.get("exposure_end", contact.exposure_end)
    if exposure_edited:
        _check_exposure(changes.get("exposure_start", contact.exposure_start), exposure_end,
                        _listed_date(contact), errors)
    if errors:
        raise ValidationError(errors)
    values = dict(changes)
    if exposure_edited:  # the period is counted from the last exposure: a new one moves every date
        values["test_schedule"], values["release_due"] = contact.protocol.contact_plan(
            contact.category, exposure_end=exposure_end, listed_date=_listed_date(contact))
    _release_time(contact, status, values, errors)
    if errors:
        raise ValidationError(errors)
    if quarantined_at is not None:
        values["quarantined_within_24h"] = quarantined_at - contact.listed_at <= dt.timedelta(days=1)
        if status is None and contact.status == ContactStatus.LISTED:
            values["status"] = ContactStatus.QUARANTINED
    before = contact_keys(contact)
    _locked_update(actor=actor, obj=contact, expected_version=expected_version, values=values,
                   region_code=contact.region_id, request=request)
    tracing_summary_refresh(before | contact_keys(contact))
    return contact


def contact_status_record(*, actor, contact: Contact, expected_version: int, action: str,
                          quarantined_at: dt.datetime | None = None, quarantine_place: str = "",
                          released_at: dt.datetime | None = None, exposure_start: dt.date | None = None,
                          exposure_end: dt.date | None = None, request=None) -> Contact:
    """What the contact page says happened (``fangkong.cases.inputs.ContactStatusInput``): quarantined at a
    time (required) and place, released or lost (at ``released_at``, default now), back to listed, or the
    exposure window corrected — ``contact_update`` with the changes each means."""
    if action not in STATUS_ACTIONS:
        raise ValidationError({"action": [_("Choose what happened to the contact.")]})
    changes: dict = {"status": STATUS_ACTIONS[action]} if STATUS_ACTIONS[action] else {}
    if action == "exposure":
        changes.update(exposure_start=exposure_start, exposure_end=exposure_end)
    if action in ("release", "lost") and released_at is not None:
        changes["released_at"] = released_at
    if action == "quarantine":
        if quarantined_at is None:
            raise ValidationError({"quarantined_at": [_("The quarantine time is required.")]})
        changes.update(quarantined_at=quarantined_at, quarantine_place=quarantine_place.strip())
    return contact_update(actor=actor, contact=contact, expected_version=expected_version, changes=changes,
                          request=request)


def _release_time(contact: Contact, status: str | None, values: dict, errors: dict) -> None:
    """Released or lost: management ended at the time given (default now; a back-entry may be earlier, not
    before the listing nor in the future), which the counts of contacts in quarantine follow. Taken back
    (listed, quarantined): the time is cleared. A time alone corrects the end of an ended contact."""
    moment = values.get("released_at")
    ending = status in MANAGEMENT_ENDED or (status is None and contact.status in MANAGEMENT_ENDED)
    if status is not None and not ending:
        values["released_at"] = None
        return
    if not ending:
        if moment is not None:
            errors["released_at"] = [_("Only a released or lost contact has an end of management.")]
        return
    if moment is None:
        if status is None or contact.status in MANAGEMENT_ENDED and contact.released_at:
            return  # already ended: keep its time
        moment = values["released_at"] = timezone.now()
    if moment < contact.listed_at:
        errors["released_at"] = [_("Management cannot end before the contact was listed.")]
    elif moment > timezone.now() + dt.timedelta(minutes=5):
        errors["released_at"] = [_("The end of management is in the future.")]


def _listed_date(contact: Contact) -> dt.date:
    return contact.listed_date or timezone.localtime(contact.listed_at).date()


BACK_ENTRY = dt.timedelta(hours=1)  # a report time this much before the entry is a back-entry (audited so)


def contact_conversion_warnings(contact: Contact) -> list[str]:
    """What the person converting a contact should know first: no exposure dates means no incubation
    period and no infector timing can be read from the contact."""
    if contact.exposure_start is None and contact.exposure_end is None:
        return [_("This contact has no exposure dates: the case will carry no exposure time. "
                  "Record the exposure on the contact first if it is known.")]
    return []


@transaction.atomic
def contact_convert_to_case(*, actor, contact: Contact, expected_version: int, diagnosed_at: dt.datetime,
                            classification: str = Classification.CONFIRMED, disease: Disease | None = None,
                            report_region: Region | str | None = None, reported_at: dt.datetime | None = None,
                            sampling_date: dt.date | None = None, onset_date: dt.date | None = None,
                            request=None) -> Case:
    """The contact tested positive: register the case (infector = the contact's source case, for a close
    contact) and close the contact as converted, in one transaction; refused if the contact changed.

    What is known is kept: the contact's quarantine time becomes the case's isolation time (the person was
    isolated from then on); the report time is the one entered (default now) and may be earlier than the
    entry — a back-entry, audited as such — and lateness is judged on that real report time against the
    deadline of the diagnosis time, which the caller must give. A contact without exposure dates converts,
    with the warning of ``contact_conversion_warnings`` in the audit event."""
    if contact.status == ContactStatus.CONVERTED:
        raise ValidationError({"status": [_("This contact has already become a case.")]})
    now = timezone.now()
    source = contact.source_case
    case = build_case(
        actor=actor, person=contact.person, disease=disease or source.disease, classification=classification,
        diagnosed_at=diagnosed_at, reported_at=reported_at, report_region=report_region or contact.region_id,
        onset_date=onset_date, sampling_date=sampling_date, now=now,
        detection_route=(DetectionRoute.DURING_QUARANTINE if contact.quarantined_at else
                         DetectionRoute.CONTACT_TRACING),
        infector=source if contact.category == ContactCategory.CLOSE else None,
        cluster=source.cluster, isolated_at=contact.quarantined_at,
    )
    case.found_under_management = contact.listed_at <= case.reported_at
    _number(case)
    case.save()
    versioned_update(Contact, contact.pk, expected_version,
                 {"status": ContactStatus.CONVERTED, "converted_case": case})
    contact.status, contact.converted_case = ContactStatus.CONVERTED, case
    ClassificationChange.objects.create(case=case, previous="", classification=case.classification,
                                        changed_at=case.reported_at, changed_by=actor)
    detail = {"from_contact": contact.pk, "infector": case.infector_id, "late": case.reported_late,
              "reported_at": case.reported_at.isoformat(), "diagnosed_at": case.diagnosed_at.isoformat(),
              "isolated_at": case.isolated_at.isoformat() if case.isolated_at else None}
    if case.reported_at < now - BACK_ENTRY:
        detail["back_entered"] = True
        detail["entered_at"] = now.isoformat()
    if contact.exposure_start is None and contact.exposure_end is None:
        detail["no_exposure_dates"] = True
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=case, region_code=case.report_region_id,
                 request=request, detail=detail)
    tracing_summary_refresh(contact_keys(contact) | case_keys(case))
    case_earlies_refresh([case.pk])
    return case


@transaction.atomic
def cluster_create(*, actor, name: str, region: Region | str, cases=(), request=None) -> Cluster:
    code = region.code if isinstance(region, Region) else region
    errors: dict = {}
    found = _region_in_scope(actor, code, "region", errors)
    if not (name or "").strip():
        errors.setdefault("name", []).append(_("A name is required."))
    if errors:
        raise ValidationError(errors)
    _require(actor, Capability.CASE_WRITE, found.code, _("Your role may not create clusters."))
    cluster = Cluster.objects.create(name=name.strip()[:100], region=found)
    ids = [c.pk for c in cases if in_scope(actor, c.report_region_id)]
    Case.objects.filter(pk__in=ids).update(cluster=cluster, version=F("version") + 1)
    if ids:
        bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=cluster, region_code=found.code,
                 request=request, detail={"cases": len(ids)})
    return cluster


@transaction.atomic
def exposure_record(*, actor, place_name: str, region: Region | str, starts_at: dt.datetime, ends_at: dt.datetime,
                    cases=(), description: str = "", request=None) -> Exposure:
    """An exposure event at a place and time window, with the cases present (those in the actor's scope)."""
    code = region.code if isinstance(region, Region) else region
    errors: dict = {}
    found = _region_in_scope(actor, code, "region", errors)
    if not (place_name or "").strip():
        errors.setdefault("place_name", []).append(_("A place is required."))
    if len(place_name or "") > 200:
        errors.setdefault("place_name", []).append(_("At most %(limit)d characters.") % {"limit": 200})
    if starts_at is None or ends_at is None:
        errors.setdefault("starts_at", []).append(_("The time window is required."))
    elif ends_at < starts_at:
        errors.setdefault("ends_at", []).append(_("The exposure ends before it starts."))
    outside = [c.case_no for c in cases if not in_scope(actor, c.report_region_id)]
    if outside:
        errors.setdefault("cases", []).append(_("Choose cases within your area."))
    if errors:
        raise ValidationError(errors)
    _require(actor, Capability.CASE_WRITE, found.code, _("Your role may not record exposures."))
    exposure = Exposure.objects.create(place_name=place_name.strip(), region=found, starts_at=starts_at,
                                       ends_at=ends_at, description=(description or "").strip()[:500])
    exposure.cases.set(cases)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=exposure, region_code=found.code,
                 request=request, detail={"cases": [c.pk for c in cases]})
    return exposure


def risk_area_lift_date(area: RiskArea, *, last_infection: dt.date | None = None) -> tuple[dt.date | None, object]:
    """(can be lifted on, protocol used): the rule of the protocol in force on the designation date."""
    protocol = protocol_in_force(area.designated_from)
    latest = max(filter(None, (area.last_infection_on, last_infection)), default=None)
    return protocol.risk_area_lift_date(designated_from=area.designated_from, last_infection=latest,
                                        negative_screen=area.negative_screen_on), protocol


@transaction.atomic
def risk_area_lift(*, actor, area: RiskArea, lifted_on: dt.date, last_infection: dt.date | None = None,
                   override_reason: str = "", request=None) -> RiskArea:
    """Lift a risk area; refused before the date the protocol's rule allows (or while a required
    negative area-wide screen is missing) unless an ``override_reason`` is given: the lift is then
    recorded with that reason and the date the rule would have allowed, in the audit trail."""
    _require(actor, Capability.RISK_AREA_DESIGNATE, area.region_id, _("Your role may not designate risk areas."))
    if area.lifted_on is not None:
        raise ValidationError({"lifted_on": [_("This risk area is already lifted.")]})
    allowed, protocol = risk_area_lift_date(area, last_infection=last_infection)
    override_reason = (override_reason or "").strip()[:500]
    if lifted_on is None:
        raise ValidationError({"lifted_on": [_("The date of lifting is required.")]})
    if lifted_on < area.designated_from:
        raise ValidationError({"lifted_on": [_("A risk area cannot be lifted before it was designated.")]})
    if (allowed is None or lifted_on < allowed) and not override_reason:  # against the rule, and no reason given
        if allowed is None:
            raise ValidationError({"lifted_on": [_("The rule of %(name)s needs a negative area-wide screen first.")
                                                 % {"name": protocol.name}]})
        raise ValidationError({"lifted_on": [_("The rule of %(name)s allows lifting from %(date)s.")
                                             % {"name": protocol.name, "date": allowed.isoformat()}]})
    RiskArea.objects.filter(pk=area.pk).update(lifted_on=lifted_on)
    area.lifted_on = lifted_on
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=area, region_code=area.region_id,
                 request=request, detail={"lifted_on": lifted_on.isoformat(), "protocol": protocol.code,
                                          "rule_allows_from": allowed.isoformat() if allowed else None,
                                          "override_reason": override_reason})
    return area


@transaction.atomic
def risk_area_designate(*, actor, region: Region | str, level: str, designated_from: dt.date,
                        area_name: str = "", kind: str = "", address: str = "", cases=(),
                        last_infection_on: dt.date | None = None,
                        negative_screen_on: dt.date | None = None, request=None) -> RiskArea:
    """Designate a risk area: a whole region (``kind`` region, no name), or a housing compound or village or a
    building or unit (named, with its address) whose own infections ``cases`` (in the actor's scope and in
    the region) are what its lifting is counted on. ``kind`` defaults to compound when a name is given."""
    code = region.code if isinstance(region, Region) else region
    errors: dict = {}
    found = _region_in_scope(actor, code, "region", errors)
    area_name, address = (area_name or "").strip(), (address or "").strip()
    kind = kind or (RiskArea.Kind.COMPOUND if area_name else RiskArea.Kind.REGION)
    if designated_from is None:
        errors.setdefault("designated_from", []).append(_("The start date is required."))
    else:
        try:
            protocol = protocol_in_force(designated_from)
        except NoProtocolInForce:
            errors.setdefault("designated_from", []).append(_("No protocol version was in force on that date."))
        else:
            if level not in protocol.risk_levels:
                errors.setdefault("level", []).append(
                    _("The protocol in force (%(name)s) has no such risk level.") % {"name": protocol.name})
    if kind not in RiskArea.Kind.values:
        errors.setdefault("kind", []).append(_("Choose the whole region, a compound or a building."))
    elif kind == RiskArea.Kind.REGION and area_name:
        errors.setdefault("area_name", []).append(_("A whole region has no area name: choose a compound or a building."))
    elif kind != RiskArea.Kind.REGION and not area_name:
        errors.setdefault("area_name", []).append(_("Name the compound or building."))
    for name, value in (("area_name", area_name), ("address", address)):
        if len(value) > 200:
            errors.setdefault(name, []).append(_("At most %(limit)d characters.") % {"limit": 200})
    _check_area_cases(actor, found, cases, errors)
    if errors:
        raise ValidationError(errors)
    _require(actor, Capability.RISK_AREA_DESIGNATE, found.code, _("Your role may not designate risk areas."))
    area = RiskArea.objects.create(region=found, level=level, designated_from=designated_from, kind=kind,
                                   area_name=area_name, address=address, last_infection_on=last_infection_on,
                                   negative_screen_on=negative_screen_on)
    if cases:
        area.cases.set(cases)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=area, region_code=found.code, request=request,
                 detail={"kind": kind, "cases": sorted(c.pk for c in cases)} if cases or kind != "region" else None)
    return area


def _check_area_cases(actor, region: Region | None, cases, errors: dict) -> None:
    """Infections of an area: cases the actor may see, reported in the area's region."""
    if region is None:
        return
    prefix = subtree_prefix(region.code)
    outside = [c.case_no for c in cases
               if not in_scope(actor, c.report_region_id) or not c.report_region_id.startswith(prefix)]
    if outside:
        errors.setdefault("cases", []).append(
            _("These cases are not in the area's region or not in your area: %(numbers)s.")
            % {"numbers": ", ".join(outside)})


@transaction.atomic
def risk_area_infections_add(*, actor, area: RiskArea, cases, request=None) -> RiskArea:
    """Record new infections found in a compound or building: its lifting date is counted from them."""
    _require(actor, Capability.RISK_AREA_DESIGNATE, area.region_id, _("Your role may not designate risk areas."))
    errors: dict = {}
    if area.kind == RiskArea.Kind.REGION:
        errors["cases"] = [_("A whole region counts every case reported in it: nothing to add.")]
    elif area.lifted_on is not None:
        errors["cases"] = [_("This risk area is already lifted.")]
    elif not cases:
        errors["cases"] = [_("Give the case numbers of the infections.")]
    _check_area_cases(actor, area.region, cases, errors)
    if errors:
        raise ValidationError(errors)
    area.cases.add(*cases)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=area, region_code=area.region_id,
                 request=request, detail={"infections_added": sorted(c.pk for c in cases)})
    return area
