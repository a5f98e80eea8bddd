"""Writes to the person registry: registering a person and revealing protected fields, both audited.

``person_register`` validates every field first and changes nothing when any is wrong, raising
``ValidationError`` with one message list per field. A citizen ID already in the registry returns the
existing person (``created=False``) when it lies in the caller's scope; outside the scope the caller
learns only that the number is registered elsewhere (``PersonElsewhereError``), nothing about whom.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fangkong.accounts.access import can, in_scope
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.persons import protection
from fangkong.persons.citizen_id import CitizenIdError, parse_citizen_id
from fangkong.persons.models import Person
from fangkong.regions.models import Region

CITIZEN_ID = "citizen_id"
PHONE = "phone"


class PersonElsewhereError(Exception):
    """The citizen ID is registered to a person outside the caller's regions."""


@dataclass(frozen=True)
class Registration:
    person: Person
    created: bool


def normalise_phone(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Not a phone number.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _check_length(errors: dict, field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors.setdefault(field, []).append(_("At most %(limit)d characters.") % {"limit": limit})


def _person_from_input(
    *, actor, name: str, address_region: str, sex: str = "", birth_date: dt.date | None = None,
    citizen_id: str = "", phone: str = "", address_text: str = "", regions: dict | None = None,
) -> Person:
    """Validate one person's fields and build the unsaved row (identifiers sealed); raise per field."""
    errors: dict[str, list[str]] = {}
    name, address_text = (name or "").strip(), (address_text or "").strip()
    if not name:
        errors.setdefault("name", []).append(_("A name is required."))
    _check_length(errors, "name", name, 64)
    _check_length(errors, "address_text", address_text, 200)
    if sex and sex not in Person.Sex.values:
        errors.setdefault("sex", []).append(_("Sex must be M, F or U."))
    if birth_date is not None and (birth_date > dt.date.today() or birth_date.year < 1890):
        errors.setdefault("birth_date", []).append(_("The birth date is impossible."))
    if regions is not None:
        region = regions.get(address_region or "")
    else:
        region = Region.objects.filter(code=address_region or "").first()
    if region is None or not in_scope(actor, region.code):
        errors.setdefault("address_region", []).append(_("Choose a region within your area."))
    elif not can(actor, Capability.PERSON_REGISTER, region.code):
        raise PermissionDenied(_("Your role may not register persons."))
    parsed = None
    if citizen_id:
        try:
            parsed = parse_citizen_id(citizen_id)
        except CitizenIdError as exc:
            errors.setdefault("citizen_id", []).append(str(exc))
    if parsed and birth_date and parsed.birth_date != birth_date:
        errors.setdefault("birth_date", []).append(_("The birth date does not match the citizen ID."))
    if parsed and sex in ("M", "F") and parsed.sex != sex:
        errors.setdefault("sex", []).append(_("The sex does not match the citizen ID."))
    e164 = ""
    if phone:
        try:
            e164 = normalise_phone(phone)
        except ValidationError as exc:
            errors.setdefault("phone", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    person = Person(
        name=name,
        sex=sex or (parsed.sex if parsed else Person.Sex.UNKNOWN),
        birth_date=birth_date or (parsed.birth_date if parsed else None),
        address_region=region,
        address_text=address_text,
        created_by=actor,
    )
    if parsed:
        person.citizen_id_hash = protection.keyed_hash(parsed.number, CITIZEN_ID)
        person.citizen_id_sealed = protection.encrypt(parsed.number, CITIZEN_ID)
        person.citizen_id_masked = parsed.masked
    if e164:
        person.phone_hash = protection.keyed_hash(e164, PHONE)
        person.phone_sealed = protection.encrypt(e164, PHONE)
        person.phone_masked = protection.mask_phone(e164)
    return person


@transaction.atomic
def person_register(*, actor, request=None, **fields) -> Registration:
    """Register one person (fields as in ``_person_from_input``), or return the one already registered."""
    person = _person_from_input(actor=actor, **fields)
    if person.citizen_id_hash:
        existing = Person.objects.filter(citizen_id_hash=person.citizen_id_hash).first()
        if existing is not None:
            if not in_scope(actor, existing.address_region_id):
                raise PersonElsewhereError(_("This citizen ID is already registered in another region."))
            return Registration(person=existing, created=False)
    person.full_clean()
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:  # a concurrent registration of the same citizen ID won the race
        existing = Person.objects.get(citizen_id_hash=person.citizen_id_hash)
        return Registration(person=existing, created=False)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=person,
                 region_code=person.address_region_id, request=request)
    return Registration(person=person, created=True)


@dataclass(frozen=True)
class ImportResult:
    created: int
    existing: int


@transaction.atomic
def persons_import(*, actor, rows: list[dict], source: str = "", request=None) -> ImportResult:
    """Register many persons at once: all rows valid or nothing saved; known citizen IDs are skipped.

    Errors are reported per row as ``{"row 3": ["phone: ..."]}`` (rows numbered from 1). Rows whose
    citizen ID is already registered (in the database or earlier in the file) count as ``existing``.
    One audit event records the import.
    """
    regions = {r.code: r for r in Region.objects.all().only("code")}
    built, errors = [], {}
    for number, row in enumerate(rows, start=1):
        try:
            built.append(_person_from_input(actor=actor, regions=regions, **row))
        except ValidationError as exc:
            errors[f"row {number}"] = [f"{field}: {m}" for field, ms in exc.message_dict.items() for m in ms]
    if errors:
        raise ValidationError(errors)
    hashes = [p.citizen_id_hash for p in built if p.citizen_id_hash]
    known = set(Person.objects.filter(citizen_id_hash__in=hashes).values_list("citizen_id_hash", flat=True))
    fresh, existing = [], 0
    for person in built:
        if person.citizen_id_hash and person.citizen_id_hash in known:
            existing += 1
            continue
        if person.citizen_id_hash:
            known.add(person.citizen_id_hash)
        fresh.append(person)
    Person.objects.bulk_create(fresh, batch_size=1000)
    audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="persons.person",
                 object_id=source[:64], request=request, detail={"created": len(fresh), "existing": existing})
    return ImportResult(created=len(fresh), existing=existing)


@dataclass(frozen=True)
class Revealed:
    citizen_id: str
    phone: str


def person_reveal(*, actor, person: Person, reason: str = "", request=None) -> Revealed:
    """Decrypt the citizen ID and phone of a person the actor may see, and audit the reveal."""
    if not can(actor, Capability.PERSON_REVEAL, person.address_region_id):
        raise PermissionDenied(_("Your role may not see personal identifiers."))
    revealed = Revealed(
        citizen_id=protection.decrypt(person.citizen_id_sealed, CITIZEN_ID) if person.citizen_id_sealed else "",
        phone=protection.decrypt(person.phone_sealed, PHONE) if person.phone_sealed else "",
    )
    audit_record(
        actor=actor, action=AuditEvent.Action.REVEAL, obj=person, region_code=person.address_region_id,
        request=request, detail={"fields": ["citizen_id", "phone"], "reason": reason[:200]},
    )
    return revealed
