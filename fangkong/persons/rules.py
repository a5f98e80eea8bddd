"""The rules of a person's fields, defined once.

``person_register`` (one person, through ``services._person_from_input``) and the bulk path of large imports
(``services.PersonChecker``, used by ``fangkong.cases.imports``) both judge a person with
:func:`person_fields_check`; they differ only in how the citizen ID, the phone and the region reach it (one at
a time here, vectorised and cached by the bulk path: ``citizen_ids_parse_many``, ``PhoneNormaliser``), and
those fast paths fall back on :func:`citizen_id_verdict` and :func:`phone_verdict` for anything they do not
decide themselves. The input schema (``fangkong.persons.inputs.PersonInput``) only types the input; the
verdict is these rules'.
"""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fangkong.accounts.access import can, in_scope
from fangkong.accounts.roles import Capability
from fangkong.persons.citizen_id import CitizenId, CitizenIdError, parse_citizen_id
from fangkong.persons.models import Person

NAME_LENGTH = 64
ADDRESS_LENGTH = 200
EARLIEST_BIRTH_YEAR = 1890


def normalise_phone(raw: str) -> str:
    """The E.164 form of a phone number (mainland China by default); ``ValidationError`` when it is none."""
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Not a phone number.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_verdict(raw: str) -> str | list[str]:
    """``normalise_phone`` as a value: the E.164 form, or the list of error messages."""
    try:
        return normalise_phone(raw)
    except ValidationError as exc:
        return [str(m) for m in exc.messages]


def citizen_id_verdict(raw: str) -> CitizenId | str:
    """``parse_citizen_id`` as a value: the parsed number, or the message of its error."""
    try:
        return parse_citizen_id(raw)
    except CitizenIdError as exc:
        return str(exc) or str(_("Not a valid citizen ID."))


def region_verdict(actor, code: str, *, known: bool, capability: str = Capability.PERSON_REGISTER,
                   ) -> tuple[list[str], bool]:
    """May ``actor`` register a person living in region ``code`` (``known``: the region exists)?
    ``([], False)`` when yes; else the messages and whether it is the role that is refused (in scope, but
    the role may not register persons: ``person_register`` raises ``PermissionDenied`` for it, an import
    reports it against the row). ``capability``: the one that lets the actor register this person — a
    module's narrower one when its service has checked that the person lies within the actor's reach (an
    enterprise contact's own staff, ``fangkong.keypopulations``)."""
    if not known or not in_scope(actor, code):
        return [str(_("Choose a region within your area."))], False
    if not can(actor, capability, code):
        return [str(_("Your role may not register persons."))], True
    return [], False


def person_fields_check(
    *, name: str, address_region_errors: list[str], sex: str = "", birth_date: dt.date | None = None,
    parsed_id: CitizenId | str | None = None, phone: str | list[str] = "", address_text: str = "",
    today: dt.date | None = None,
) -> tuple[dict | None, dict[str, list[str]]]:
    """Judge one person's fields: ``(values, {})`` or ``(None, {field: [messages]})``.

    ``parsed_id`` is the citizen ID's verdict (``citizen_id_verdict``; None when no ID was given), ``phone``
    the phone's (``phone_verdict``; "" when none was given), ``address_region_errors`` the region's
    (``region_verdict``). The values: the name and address trimmed, the sex and birth date (from the ID when
    not given), the ID's 18-character number ("" when none) and the phone in E.164 ("" when none).
    """
    errors: dict[str, list[str]] = {}
    today = today or dt.date.today()
    name, address_text = (name or "").strip(), (address_text or "").strip()
    if not name:
        errors.setdefault("name", []).append(str(_("A name is required.")))
    if len(name) > NAME_LENGTH:
        errors.setdefault("name", []).append(str(_("At most %(limit)d characters.") % {"limit": NAME_LENGTH}))
    if len(address_text) > ADDRESS_LENGTH:
        errors.setdefault("address_text", []).append(
            str(_("At most %(limit)d characters.") % {"limit": ADDRESS_LENGTH}))
    if sex and sex not in Person.Sex.values:
        errors.setdefault("sex", []).append(str(_("Sex must be M, F or U.")))
    if birth_date is not None and (birth_date > today or birth_date.year < EARLIEST_BIRTH_YEAR):
        errors.setdefault("birth_date", []).append(str(_("The birth date is impossible.")))
    if address_region_errors:
        errors.setdefault("address_region", []).extend(address_region_errors)
    parsed = parsed_id if isinstance(parsed_id, CitizenId) else None
    if isinstance(parsed_id, str):
        errors.setdefault("citizen_id", []).append(parsed_id)
    if parsed and birth_date and parsed.birth_date != birth_date:
        errors.setdefault("birth_date", []).append(str(_("The birth date does not match the citizen ID.")))
    if parsed and sex in ("M", "F") and parsed.sex != sex:
        errors.setdefault("sex", []).append(str(_("The sex does not match the citizen ID.")))
    if isinstance(phone, list):
        errors.setdefault("phone", []).extend(phone)
    if errors:
        return None, errors
    return {
        "name": name,
        "sex": sex or (parsed.sex if parsed else Person.Sex.UNKNOWN),
        "birth_date": birth_date or (parsed.birth_date if parsed else None),
        "address_text": address_text,
        "citizen_id": parsed.number if parsed else "",
        "phone": phone,
    }, {}
