"""One input schema and one set of rules for registering a person (issue 15, item 1): the same random row
posted on the registry page, sent to the API, imported with ``persons_import`` and checked by the bulk
path of large imports (``PersonChecker``) gets the same verdict, the same errors by field and the same
stored record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from fangkong.inputs import NON_FIELD, validate_row
from fangkong.persons import protection
from fangkong.persons.citizen_id import check_character
from fangkong.persons.inputs import PersonInput
from fangkong.persons.models import Person
from fangkong.persons.services import CITIZEN_ID, PHONE, PersonChecker, citizen_ids_parse_many, persons_import


@st.composite
def citizen_ids(draw) -> tuple[str, dt.date | None]:
    """A citizen ID (valid, with a wrong check character, too short, legacy, junk or none) and its birth date."""
    region = draw(st.sampled_from(["440304", "440303", "440100", "110105", "990101"]))
    born = draw(st.dates(min_value=dt.date(1880, 1, 1), max_value=dt.date(2030, 12, 31)))
    first17 = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    check = check_character(first17)
    kind = draw(st.sampled_from(["valid", "valid", "valid", "lower", "wrong check", "short", "legacy", "junk",
                                 "none"]))
    if kind == "wrong check":
        return first17 + draw(st.sampled_from([c for c in "0123456789X" if c != check])), born
    if kind == "short":
        return first17, born
    if kind == "legacy":
        return first17[:6] + first17[8:], born
    if kind == "junk":
        return draw(st.sampled_from(["abc", "４４０３０４１９９００１０１１２３X", "44030419900101123Y", " "])), None
    if kind == "none":
        return "", None
    return (first17 + check).lower() if kind == "lower" else first17 + check, born


@st.composite
def person_rows(draw) -> dict[str, str]:
    cid, born = draw(citizen_ids())
    birth = draw(st.sampled_from(["id", "id", "", "", "other", "1990-02-30", "not a date", "2200-01-01",
                                  "1885-05-05", "1895-05-05"]))
    if birth == "id":
        birth = born.isoformat() if born else ""
    elif birth == "other":
        birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 1, 1))).isoformat()
    return {
        "name": draw(st.one_of(st.sampled_from(["张三", "  王五 ", "", " ", "赵" * 64, "赵" * 65]),
                               st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=70))),
        "sex": draw(st.sampled_from(["", "", "M", "F", "U", "Q", "m"])),
        "birth_date": birth,
        "citizen_id": cid,
        "phone": draw(st.sampled_from(["", "", "13812345678", "+86 138 1234 5678", "020 8888 8888", "12",
                                       "abc", "17406123456"])),
        "address_region": draw(st.sampled_from(["440304", "440304", "440300", "440100", "nowhere", ""])),
        "address_text": draw(st.sampled_from(["", "福田路1号", "x" * 200, "x" * 201])),
    }


def _stored() -> dict | None:
    """The one registered person as stored (identifiers decrypted), then removed for the next path."""
    person = Person.objects.first()
    if person is None:
        return None
    record = {f: getattr(person, f) for f in ("name", "sex", "birth_date", "address_region_id", "address_text",
                                              "citizen_id_hash", "citizen_id_masked", "phone_hash", "phone_masked",
                                              "created_by_id")}
    record["citizen_id"] = protection.identifier_open(person, person.citizen_id_sealed, CITIZEN_ID) if person.citizen_id_sealed else ""
    record["phone"] = protection.identifier_open(person, person.phone_sealed, PHONE) if person.phone_sealed else ""
    Person.objects.all().delete()
    return record


def _through_page(client, row) -> tuple[dict, dict | None]:
    response = client.post("/persons/", row)
    assert response.status_code in (302, 400), response.status_code
    errors = {} if response.status_code == 302 else response.context["form"].errors
    return errors, _stored()


def _through_api(api, row) -> tuple[dict, dict | None]:
    body = {k: (None if k == "birth_date" and v == "" else v) for k, v in row.items()}
    response = api.post("/api/v1/persons/", body, format="json")
    assert response.status_code in (201, 400), (response.status_code, response.content)
    errors = {} if response.status_code == 201 else {
        (NON_FIELD if k == "non_field_errors" else k): v for k, v in response.json()["error"]["fields"].items()}
    return errors, _stored()


def _through_import(actor, row) -> tuple[dict, dict | None]:
    try:
        persons_import(actor=actor, rows=[row], source="test")
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for line in exc.message_dict["row 1"]:
            field, message = line.split(": ", 1)
            errors.setdefault(field, []).append(message)
        return errors, _stored()
    return {}, _stored()


def _through_bulk_checker(actor, row) -> tuple[dict, dict | None]:
    """The fast path of the case and contact imports: the schema's typed row, the rules through the checker."""
    data, errors = validate_row(PersonInput, row)
    if errors:
        return errors, None
    parsed = citizen_ids_parse_many([data["citizen_id"]])[0] if data.get("citizen_id") else None
    checked, errors = PersonChecker(actor=actor).check(
        name=data["name"], address_region=data["address_region"], sex=data.get("sex", ""),
        birth_date=data.get("birth_date"), parsed_id=parsed, phone=data.get("phone", ""),
        address_text=data.get("address_text", ""),
        citizen_id_hash=protection.identifier_hash(parsed.number, CITIZEN_ID) if parsed and not isinstance(
            parsed, str) else "")
    if errors:
        return errors, None
    return {}, {"name": checked.name, "sex": checked.sex, "birth_date": checked.birth_date,
                "address_region_id": checked.address_region_id, "address_text": checked.address_text,
                "citizen_id_hash": checked.citizen_id_hash or None, "citizen_id": checked.citizen_id,
                "phone": checked.phone}


@pytest.mark.django_db
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=person_rows())
def test_page_api_and_import_give_the_same_verdict_and_the_same_record(shenzhen_epi, row):
    client, api = Client(), APIClient()
    client.force_login(shenzhen_epi)
    api.force_authenticate(shenzhen_epi)
    page = _through_page(client, row)
    assert _through_api(api, row) == page, row
    assert _through_import(shenzhen_epi, row) == page, row
    errors, checked = _through_bulk_checker(shenzhen_epi, row)
    assert errors == page[0], row
    if checked is not None:
        assert checked == {k: v for k, v in page[1].items() if k in checked}, row


def test_the_rows_cover_both_verdicts_and_every_field(shenzhen_epi):
    """The control of the property above: its rows are not all refused, nor refused on one field only."""
    client = Client()
    client.force_login(shenzhen_epi)
    good = {"name": "张三", "sex": "", "birth_date": "", "citizen_id": "", "phone": "13812345678",
            "address_region": "440304", "address_text": ""}
    errors, stored = _through_page(client, good)
    assert errors == {} and stored["phone"] == "+8613812345678" and stored["created_by_id"] == shenzhen_epi.pk
    bad = {"name": "", "sex": "Q", "birth_date": "1990-02-30", "citizen_id": "123", "phone": "12",
           "address_region": "440100", "address_text": "x" * 201}
    assert set(_through_page(client, bad)[0]) == {"birth_date"}  # the schema refuses the date before the rules run
    errors, stored = _through_import(shenzhen_epi, {**bad, "birth_date": ""})
    assert set(errors) == {"name", "sex", "citizen_id", "phone", "address_region", "address_text"}
    assert stored is None and not Person.objects.exists()
