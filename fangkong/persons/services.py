"""Writes to the person registry: registering a person and revealing protected fields, both audited.

``person_register`` validates every field first and changes nothing when any is wrong, raising
``ValidationError`` with one message list per field. A citizen ID already in the registry returns the
existing person (``created=False``) when it lies in the caller's scope; outside the scope the caller
learns only that the number is registered elsewhere (``PersonElsewhereError``), nothing about whom.

``persons_import`` registers a list of persons row by row (all valid or nothing). Imports of very large
files (cases and contacts) use the bulk path at the end of this module instead: ``citizen_ids_parse_many``,
``PersonChecker`` (the same rules, no model instance per row) and ``persons_insert_many`` (hashing and
sealing in bulk, COPY on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import phonenumbers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can, in_scope
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record, reason_clean
from fangkong.bulk_copy import copy_available, copy_rows, copy_text, ids_reserve
from fangkong.inputs import ColumnReader
from fangkong.persons import keyring, protection, rules
from fangkong.persons.citizen_id import (
    PROVINCE_CODES,
    CitizenId,
    CitizenIdError,
    mask_citizen_id,
    parse_citizen_id,
)
from fangkong.persons.inputs import PersonInput
from fangkong.persons.models import Person
from fangkong.persons.rules import normalise_phone as normalise_phone  # noqa: I001  (kept importable here)
from fangkong.regions.models import Region

CITIZEN_ID = "citizen_id"
PHONE = "phone"


class PersonElsewhereError(Exception):
    """The citizen ID is registered to a person outside the caller's regions."""

    def __init__(self):
        super().__init__(_("This citizen ID is already registered in another region."))


@dataclass(frozen=True)
class Registration:
    person: Person
    created: bool


def _person_from_input(
    *, actor, name: str, address_region: str, sex: str = "", birth_date: dt.date | None = None,
    citizen_id: str = "", phone: str = "", address_text: str = "", regions: dict | None = None,
    capability: str = Capability.PERSON_REGISTER,
) -> Person:
    """Judge one person's fields (``rules.person_fields_check``) and build the unsaved row (identifiers
    sealed); ``ValidationError`` per field, ``PermissionDenied`` for a role that may not register persons."""
    code = address_region or ""
    region = regions.get(code) if regions is not None else Region.objects.filter(code=code).first()
    region_errors, denied = rules.region_verdict(actor, code, known=region is not None, capability=capability)
    if denied:
        raise PermissionDenied(region_errors[0])
    values, errors = rules.person_fields_check(
        name=name, address_region_errors=region_errors, sex=sex, birth_date=birth_date,
        parsed_id=rules.citizen_id_verdict(citizen_id) if citizen_id else None,
        phone=rules.phone_verdict(phone) if phone else "", address_text=address_text)
    if errors:
        raise ValidationError(errors)
    person = Person(name=values["name"], sex=values["sex"], birth_date=values["birth_date"], address_region=region,
                    address_text=values["address_text"], created_by=actor)
    if values["citizen_id"] or values["phone"]:
        data_key = protection.data_key_new()
        person.key_wrapped, person.key_epoch = data_key.wrapped, data_key.epoch
    if values["citizen_id"]:
        number = values["citizen_id"]
        person.citizen_id_hash = protection.identifier_hash(number, CITIZEN_ID)
        person.citizen_id_sealed = protection.identifier_seal(data_key.key, number, CITIZEN_ID)
        person.citizen_id_masked = mask_citizen_id(number)
        person._lookup_hashes = protection.lookup_hashes(number, CITIZEN_ID)
    if values["phone"]:
        e164 = values["phone"]
        person.phone_hash = protection.identifier_hash(e164, PHONE)
        person.phone_sealed = protection.identifier_seal(data_key.key, e164, PHONE)
        person.phone_masked = protection.mask_phone(e164)
    return person


@transaction.atomic
def person_register(*, actor, request=None, **fields) -> Registration:
    """Register one person (fields as in ``_person_from_input``, ``capability`` included: see
    ``rules.region_verdict``), or return the one already registered."""
    person = _person_from_input(actor=actor, **fields)
    if person.citizen_id_hash:
        existing = Person.objects.filter(citizen_id_hash__in=person._lookup_hashes).first()
        if existing is not None:
            if not in_scope(actor, existing.address_region_id):
                raise PersonElsewhereError()
            return Registration(person=existing, created=False)
    person.full_clean()
    try:
        with transaction.atomic():
            person.save()
            keyring.check_live(person.key_epoch)  # a rotation destroyed the epoch meanwhile: roll back
    except IntegrityError:  # a concurrent registration of the same citizen ID won the race
        existing = Person.objects.get(citizen_id_hash__in=person._lookup_hashes)
        return Registration(person=existing, created=False)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=person,
                 region_code=person.address_region_id, request=request)
    return Registration(person=person, created=True)


def looks_like_citizen_id(text: str) -> bool:
    """Digits (and a final X) of an ID's length: a search meant as a look-up by identifier, not a name."""
    text = (text or "").strip().upper()
    return len(text) in (15, 18) and text[:-1].isdigit() and (text[-1].isdigit() or text[-1] == "X")


def person_lookup(*, actor, citizen_id: str, purpose: str, request=None) -> Person | None:
    """Find the person with this citizen ID among those the actor may see (keyed-hash look-up): the person
    or None — a person registered outside the actor's regions is not found, and nothing says it exists.
    Every look-up is audited (action ``lookup``: purpose and whether a person was found, never the number).
    An invalid number raises ``ValidationError`` on ``citizen_id`` and is not audited (nothing was looked up).
    The result is the registry row as the actor's role may see it: masked identifiers only."""
    from fangkong.persons.selectors import person_list

    parsed = rules.citizen_id_verdict(citizen_id)  # the registry's message, as person_register gives it
    if isinstance(parsed, str):
        raise ValidationError({"citizen_id": [parsed]})
    person = person_list(user=actor).filter(
        citizen_id_hash__in=protection.lookup_hashes(parsed.number, CITIZEN_ID)).first()
    audit_record(actor=actor, action=AuditEvent.Action.LOOKUP, object_type="persons.person",
                 object_id=str(person.pk) if person else "", region_code=person.address_region_id if person else "",
                 request=request, detail={"identifier": CITIZEN_ID, "purpose": purpose[:40], "found": person is not None})
    return person


@dataclass(frozen=True)
class ImportResult:
    created: int
    existing: int


@transaction.atomic
def persons_import(*, actor, rows: list[dict], source: str = "", request=None) -> ImportResult:
    """Register many persons at once: all rows valid or nothing saved; known citizen IDs are skipped.

    Each row is read through the input schema of the registry page and the API
    (``fangkong.persons.inputs.PersonInput``, as ``fangkong.inputs.validate_row`` reads an import row: the
    same verdict and messages, each distinct cell text read once by ``fangkong.inputs.ColumnReader`` instead
    of a serializer per row), then judged by the rules of ``person_register``.

    Errors are reported per row as ``{"row 3": ["phone: ..."]}`` (rows numbered from 1). Rows whose
    citizen ID is already registered (in the database or earlier in the file) count as ``existing``.
    One audit event records the import.
    """
    regions = {r.code: r for r in Region.objects.all().only("code")}
    built, errors = [], {}
    reader = ColumnReader(PersonInput)
    for number, row in enumerate(rows, start=1):
        data, row_errors = reader.read_row(row)
        if data is not None:
            try:
                built.append(_person_from_input(actor=actor, regions=regions, **data))
            except ValidationError as exc:
                row_errors = exc.message_dict
        if row_errors:
            errors[f"row {number}"] = [f"{field}: {m}" for field, ms in row_errors.items() for m in ms]
    if errors:
        raise ValidationError(errors)
    hashes = [h for p in built if p.citizen_id_hash for h in p._lookup_hashes]
    known = set(Person.objects.filter(citizen_id_hash__in=hashes).values_list("citizen_id_hash", flat=True))
    fresh, existing = [], 0
    for person in built:
        if person.citizen_id_hash and not known.isdisjoint(person._lookup_hashes):
            existing += 1
            continue
        if person.citizen_id_hash:
            known.add(person.citizen_id_hash)
        fresh.append(person)
    Person.objects.bulk_create(fresh, batch_size=1000)
    keyring.check_live(*{p.key_epoch for p in fresh})
    audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="persons.person",
                 object_id=source[:64], request=request, detail={"created": len(fresh), "existing": existing})
    return ImportResult(created=len(fresh), existing=existing)


@dataclass(frozen=True)
class Revealed:
    citizen_id: str
    phone: str


def person_reveal(*, actor, person: Person, reason: str = "", request=None) -> Revealed:
    """Decrypt the citizen ID and phone of a person the actor may see, and audit the reveal with its reason:
    ``PermissionDenied`` for a role that may not reveal there, ``ValidationError`` on ``reason`` when the
    reason is not a short sentence (``fangkong.audit.services.reason_clean``); nothing is decrypted then."""
    if not can(actor, Capability.PERSON_REVEAL, person.address_region_id):
        raise PermissionDenied(_("Your role may not see personal identifiers."))
    reason = reason_clean(reason)
    citizen_id, phone = protection.identifiers_open(person, (person.citizen_id_sealed, CITIZEN_ID),
                                                    (person.phone_sealed, PHONE))
    revealed = Revealed(citizen_id=citizen_id, phone=phone)
    audit_record(
        actor=actor, action=AuditEvent.Action.REVEAL, obj=person, region_code=person.address_region_id,
        request=request, detail={"fields": ["citizen_id", "phone"]}, reason=reason,
    )
    return revealed


# ------------------------------------------------------------------------------ bulk path (large imports)
#
# The same rules as ``_person_from_input`` for files of a million rows: no model instance per row while
# checking, the citizen IDs checked in one vectorised pass, phone numbers judged by a cached prefix, the
# identifiers hashed and sealed in bulk, and the rows written with COPY on PostgreSQL. ``persons_import``
# keeps the row-by-row path; the tests hold the two to the same results.

_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_CHECK_BYTES = np.frombuffer(b"10X98765432", dtype=np.uint8)
_PROVINCES = np.zeros(100, dtype=bool)
_PROVINCES[[int(code) for code in PROVINCE_CODES]] = True


def citizen_ids_parse_many(raws: list[str]) -> list[CitizenId | str]:
    """``parse_citizen_id`` of many values: each a ``CitizenId`` or the message of its ``CitizenIdError``.

    18-character numbers are checked together (digits, check character, province); their birth dates
    once per distinct date. Anything that fails, and the legacy 15-digit form, goes through
    ``parse_citizen_id`` itself, so the results and messages are the same as one call per value.
    """
    texts = [(raw or "").strip().upper() for raw in raws]
    out: list[CitizenId | str | None] = [None] * len(texts)
    fast = [i for i, text in enumerate(texts) if len(text) == 18 and text.isascii()]
    ok = np.zeros(0, dtype=bool)
    if fast:
        chars = np.frombuffer("".join(texts[i] for i in fast).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        digits = chars[:, :17].astype(np.int64) - 48
        all_digits = ((digits >= 0) & (digits <= 9)).all(axis=1)
        check = (np.where(all_digits[:, None], digits, 0) @ _WEIGHTS) % 11
        ok = all_digits & (_CHECK_BYTES[check] == chars[:, 17]) \
            & _PROVINCES[np.clip(digits[:, 0] * 10 + digits[:, 1], 0, 99)]
        male = (digits[:, 16] % 2 == 1).tolist()
    births: dict[str, dt.date | str] = {}
    for k, i in enumerate(fast):
        if not ok[k]:
            continue
        text = texts[i]
        born = births.get(text[6:14])
        if born is None:  # the first number with this birth date decides for all (only the date is left)
            try:
                born = parse_citizen_id(text).birth_date
            except CitizenIdError as exc:
                born = str(exc)
            births[text[6:14]] = born
        out[i] = CitizenId(number=text, birth_date=born, sex="M" if male[k] else "F") \
            if isinstance(born, dt.date) else born
    for i, text in enumerate(texts):
        if out[i] is None:
            out[i] = rules.citizen_id_verdict(text)
    return out


class PhoneNormaliser:
    """``normalise_phone`` for many numbers.

    A bare mainland mobile number (``1`` and ten more digits, the form nearly every file uses) is judged
    by its first six digits, once per prefix through ``normalise_phone``: in libphonenumber's metadata
    for China an eleven-digit national number starting with 1 can only be a mobile number, and the mobile
    patterns fix at most the first six digits (``1740[0-5]``, ``1(?:610\\d)``, ``1[38]\\d``, …) followed
    by any digits; parsing such a number in region CN gives country code 86 and the eleven digits as the
    national number. Every other form goes through ``normalise_phone``. ``tests/test_bulk_persons.py``
    holds the two to the same answers over every four-digit prefix and random numbers.
    """

    def __init__(self):
        self._prefixes: dict[str, str | list[str]] = {}

    def __call__(self, raw: str) -> str | list[str]:
        """The E.164 form, or the list of error messages."""
        if len(raw) == 11 and raw[0] == "1" and raw.isascii() and raw.isdigit():
            verdict = self._prefixes.get(raw[:6])
            if verdict is None:  # what ``normalise_phone`` decides after parsing "1…" as +86 1…
                valid = phonenumbers.is_valid_number(phonenumbers.PhoneNumber(country_code=86,
                                                                              national_number=int(raw)))
                verdict = self._prefixes[raw[:6]] = "" if valid else [str(_("Not a valid phone number."))]
            return verdict if isinstance(verdict, list) else "+86" + raw
        return rules.phone_verdict(raw)


@dataclass(slots=True)
class CheckedPerson:
    """One person's validated fields (identifiers still in clear, in memory only): ``persons_insert_many``
    hashes and seals them as it writes."""

    name: str
    sex: str
    birth_date: dt.date | None
    address_region_id: str
    address_text: str
    citizen_id: str  # the 18-character form, or ""
    citizen_id_hash: str
    phone: str  # E.164, or ""


class PersonChecker:
    """``_person_from_input``'s rules (``rules.person_fields_check``) for one row at a time, without building a
    ``Person``.

    ``check`` returns ``(CheckedPerson, {})`` or ``(None, {field: [messages]})``. The caller gives the
    citizen ID already parsed (``citizen_ids_parse_many``) and its keyed hash. A role that may not
    register persons in the row's region is reported as an error of ``address_region`` (where
    ``person_register`` raises ``PermissionDenied``).
    """

    def __init__(self, *, actor, regions: dict | None = None):
        self.actor = actor
        self.regions = regions if regions is not None else {r.code: r for r in Region.objects.only("code")}
        self.phones = PhoneNormaliser()
        self.today = dt.date.today()
        self._region_verdicts: dict[str, list[str]] = {}

    def _region_errors(self, code: str) -> list[str]:
        verdict = self._region_verdicts.get(code)
        if verdict is None:
            verdict = self._region_verdicts[code] = rules.region_verdict(self.actor, code,
                                                                         known=code in self.regions)[0]
        return verdict

    def check(self, *, name: str, address_region: str, sex: str = "", birth_date: dt.date | None = None,
              parsed_id: CitizenId | str | None = None, citizen_id_hash: str = "", phone: str = "",
              address_text: str = "") -> tuple[CheckedPerson | None, dict[str, list[str]]]:
        values, errors = rules.person_fields_check(
            name=name, address_region_errors=self._region_errors(address_region or ""), sex=sex,
            birth_date=birth_date, parsed_id=parsed_id, phone=self.phones(phone) if phone else "",
            address_text=address_text, today=self.today)
        if errors:
            return None, errors
        return CheckedPerson(
            name=values["name"], sex=values["sex"], birth_date=values["birth_date"],
            address_region_id=address_region, address_text=values["address_text"],
            citizen_id=values["citizen_id"], citizen_id_hash=citizen_id_hash if values["citizen_id"] else "",
            phone=values["phone"]), {}


def persons_insert_many(*, actor, persons: list[CheckedPerson], ids: list[int] | None = None,
                        chunk: int = 20000) -> list[int]:
    """Write checked persons (identifiers hashed and sealed here) and return their ids, in order.

    PostgreSQL: the rows written with COPY in the caller's transaction, with the ``ids`` given (reserved by
    ``fangkong.bulk_copy.ids_reserve``) or drawn here; other databases: ``bulk_create`` (``ids`` must be None). The
    caller audits.
    """
    if not persons:
        return []
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    if not copy_available():
        if ids is not None:
            raise ValueError("ids are reserved on PostgreSQL only")
        built = []
        for start in range(0, len(persons), chunk):
            built.extend(_sealed_persons(persons[start:start + chunk], actor_id, now))
        Person.objects.bulk_create(built, batch_size=1000)
        keyring.check_live(*{p.key_epoch for p in built})
        return [p.pk for p in built]
    table = Person._meta.db_table
    ids = ids if ids is not None else ids_reserve(Person, len(persons))
    tail = f"\t{now.isoformat()}\t{now.isoformat()}\t{actor_id if actor_id is not None else '\\N'}\n"
    # Written in the order of the citizen-ID hash: the inserts into its (large, random-keyed) indexes then
    # walk the leaf pages in order instead of touching a random page each.
    order = sorted(range(len(persons)), key=lambda k: persons[k].citizen_id_hash)
    epochs: set[int] = set()

    def lines():
        for start in range(0, len(order), chunk):
            part = [persons[k] for k in order[start:start + chunk]]
            yield "".join(
                f"{ids[k]}\t{copy_text(p.name)}\t{p.sex}\t{copy_text(p.birth_date)}\t{fields}\t"
                f"{p.address_region_id}\t{copy_text(p.address_text)}{tail}"
                for k, p, fields in zip(order[start:start + chunk], part, _protected_fields(part, epochs), strict=True))

    copy_rows(table, ["id", "name", "sex", "birth_date", "citizen_id_hash", "citizen_id_sealed",
                      "citizen_id_masked", "phone_hash", "phone_sealed", "phone_masked", "key_wrapped",
                      "key_epoch", "address_region_id", "address_text", "created_at", "updated_at",
                      "created_by_id"], lines())
    keyring.check_live(*epochs)  # a rotation destroyed an epoch the keys were wrapped under: roll back
    return ids


def _protected(persons: list[CheckedPerson], epochs: set[int] | None = None) -> list[tuple]:
    """(citizen ID hash, sealed, masked, phone hash, sealed, masked, wrapped data key, its epoch) of each
    person: a data key of its own for each person with an identifier, the hashes under the current epoch (its
    number added to ``epochs``; the citizen ID hashed again, not taken from ``citizen_id_hash``, which a
    rotation may have made stale since the file was checked)."""
    now = keyring.current()  # one epoch for the keys and the hashes of the batch
    with_id = [p.citizen_id for p in persons if p.citizen_id]
    with_phone = [p.phone for p in persons if p.phone]
    id_hashes = iter(protection.hashes_under(now.hash_key, with_id, CITIZEN_ID))
    phone_hashes = iter(protection.hashes_under(now.hash_key, with_phone, PHONE))
    sealed = protection.identifiers_seal_many([(p.citizen_id, p.phone) for p in persons], (CITIZEN_ID, PHONE),
                                              epoch=now)
    if epochs is not None:
        epochs.add(now.number)
    out = []
    for p, (wrapped, cid_sealed, phone_sealed) in zip(persons, sealed, strict=True):
        cid = (next(id_hashes), cid_sealed, mask_citizen_id(p.citizen_id)) if p.citizen_id else (None, "", "")
        phone = (next(phone_hashes), phone_sealed, protection.mask_phone(p.phone)) if p.phone else ("", "", "")
        out.append(cid + phone + (wrapped, now.number if wrapped else 0))
    return out


def _protected_fields(persons: list[CheckedPerson], epochs: set[int]):
    for cid_hash, cid_sealed, cid_masked, phone_hash, phone_sealed, phone_masked, wrapped, epoch in _protected(persons,
                                                                                                           epochs):
        yield (f"{copy_text(cid_hash)}\t{cid_sealed}\t{cid_masked}\t{phone_hash}\t{phone_sealed}\t"
               f"{copy_text(phone_masked)}\t{wrapped}\t{epoch}")


def _sealed_persons(persons: list[CheckedPerson], actor_id, now) -> list[Person]:
    return [Person(name=p.name, sex=p.sex, birth_date=p.birth_date, address_region_id=p.address_region_id,
                   address_text=p.address_text, created_by_id=actor_id, created_at=now, updated_at=now,
                   citizen_id_hash=cid_hash, citizen_id_sealed=cid_sealed, citizen_id_masked=cid_masked,
                   phone_hash=phone_hash, phone_sealed=phone_sealed, phone_masked=phone_masked,
                   key_wrapped=wrapped, key_epoch=epoch)
            for p, (cid_hash, cid_sealed, cid_masked, phone_hash, phone_sealed, phone_masked, wrapped, epoch)
            in zip(persons, _protected(persons), strict=True)]
