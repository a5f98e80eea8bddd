"""One input schema, one service and one set of rules per action, for cases and contacts (issue 15, item 1):
the same random row posted on the page, sent to the API and imported from a file gets the same verdict
(accepted or refused), the same errors by field and the same stored record.

The page and the API bind ``inputs.ContactEnlistInput`` / ``inputs.CaseEnlistInput`` and call
``contact_enlist`` / ``case_enlist``; the import checks its rows on its fast path with the same rule
functions (``fangkong.cases.rules``) and the person checker of the registry. The import keeps the numbers
of its rows (``contact_no``, ``case_no``), which the page and the API draw: they are left out of the
comparison, and so is anything the file says that a form does not ask for (sex, birth date), and the
file's own conventions read before the form's rules (a label for a code, ``2022/03/10`` for a date).

The rows reach every kind of refusal: a text that is no date, a date outside its plausible window (the
year 2099, 1850), the earlies out of order, a person registered in another city (the page refuses for that
alone, once the person's fields pass), and the schema's refusals together with the service's (the page
reports the form's alone, then the rules').
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from fangkong.cases.imports import (
    CASE_COLUMNS,
    CONTACT_COLUMNS,
    ImportRejected,
    cases_import,
    contacts_import,
)
from fangkong.cases.models import Case, Contact
from fangkong.cases.tests.builders import make_case
from fangkong.inputs import NON_FIELD
from fangkong.persons import protection
from fangkong.persons.models import Person
from fangkong.testing.builders import citizen_id, make_person

CONTACT_RECORD = ("person__name", "person__citizen_id_hash", "person__phone_hash", "person__address_region_id",
                  "category", "region_id", "source_case__case_no", "exposure_type", "exposure_start",
                  "exposure_end", "listed_at", "listed_date", "quarantined_at", "quarantine_place", "status",
                  "protocol__code", "test_schedule", "release_due", "listed_within_24h", "quarantined_within_24h")


@st.composite
def contact_rows(draw) -> dict[str, str]:
    """A contact as a form posts it: mostly plausible values, each field now and then wrong or empty.
    ``citizen_id`` is a token — ``new`` (a fresh number), ``known`` (a registered person) — or a text."""
    return {
        "source_case_no": draw(st.sampled_from(["source", "source", "source", "nope", ""])),
        "citizen_id": draw(st.sampled_from(["new", "new", "new", "known", "elsewhere", "123", ""])),
        "name": draw(st.sampled_from(["新密接", "新密接", "", "赵" * 65])),
        "phone": draw(st.sampled_from(["", "13812345678", "13812345678", "12"])),
        "address_region": draw(st.sampled_from(["", "", "440304", "440106", "nowhere"])),
        "category": draw(st.sampled_from(["close", "close", "secondary", "maybe", ""])),
        "region": draw(st.sampled_from(["440304", "440304", "440304", "440106", "nowhere"])),
        "exposure_type": draw(st.sampled_from(["household", "household", "", "work", "spaceship"])),
        "exposure_start": draw(st.sampled_from(["", "2022-03-08", "2022-03-09", "2022-03-11", "1850-01-01",
                                                "2022-02-30"])),
        "exposure_end": draw(st.sampled_from(["", "2022-03-09", "2022-03-08", "2022-03-12", "2099-01-01"])),
        "listed_at": draw(st.sampled_from(["2022-03-10T15:00", "2022-03-10T15:00", "2022-03-11T08:30", "",
                                           "2099-03-10T15:00", "yesterday"])),
        "quarantined_at": draw(st.sampled_from(["", "2022-03-10T20:00", "2022-03-10T10:00", "2022-03-10T25:00"])),
        "quarantine_place": draw(st.sampled_from(["", "福田某酒店", "x" * 201])),
    }


def _resolved(row: dict, world: dict, fresh_id: str) -> dict:
    tokens = {"citizen_id": {"new": fresh_id, "known": world["known_id"], "elsewhere": world["elsewhere_id"]},
              "source_case_no": {"source": world["source"].case_no}}
    return {k: tokens.get(k, {}).get(v, v) for k, v in row.items()}


def _stored(keep_persons: set[int]) -> list[dict]:
    """The contacts stored (then removed, with the persons registered on the way, for the next path)."""
    rows = list(Contact.objects.order_by("pk").values(*CONTACT_RECORD))
    Contact.objects.all().delete()
    Person.objects.exclude(pk__in=keep_persons).delete()
    return rows


def _through_page(client, row) -> dict:
    response = client.post("/cases/contacts/new/", row)
    assert response.status_code in (302, 400), response.status_code
    return {} if response.status_code == 302 else dict(response.context["errors"])


def _through_api(api, row) -> dict:
    body = {k: v for k, v in row.items() if v != ""}  # what a client leaves out, the form leaves empty
    response = api.post("/api/v1/contacts/", body, format="json")
    # 409: the citizen ID is registered elsewhere (the same refusal, a conflict rather than bad input)
    assert response.status_code in (201, 400, 409), (response.status_code, response.content)
    return {} if response.status_code == 201 else {
        (NON_FIELD if k == "non_field_errors" else k): v for k, v in response.json()["error"]["fields"].items()}


def _through_import(actor, row) -> dict:
    line = {column: row.get(column, "") for column in CONTACT_COLUMNS}
    line["contact_no"] = "PROP-1"
    try:
        contacts_import(actor=actor, rows=[line], source="property")
    except ImportRejected as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            errors.setdefault(error["column"], []).append(error["message"])
        return errors
    return {}


@pytest.fixture
def world(shenzhen_epi, guangzhou_epi):
    source = make_case(shenzhen_epi, region="440304", name="源头病例", day="2022-03-10")
    known = make_person(shenzhen_epi, name="老住户", region="440304")
    elsewhere = make_person(guangzhou_epi, name="广州住户", region="440106")  # outside Shenzhen's regions
    return {"source": source, "known": known, "keep": {source.person_id, known.pk, elsewhere.pk},
            "known_id": protection.identifier_open(known, known.citizen_id_sealed, "citizen_id"),
            "elsewhere_id": protection.identifier_open(elsewhere, elsewhere.citizen_id_sealed, "citizen_id")}


def _by_field(errors: dict) -> dict:
    return {field: sorted(str(m) for m in messages) for field, messages in errors.items()}


CONTACT_GOOD = {"source_case_no": "source", "citizen_id": "new", "name": "新密接", "phone": "13812345678",
                "address_region": "", "category": "close", "region": "440304", "exposure_type": "household",
                "exposure_start": "2022-03-08", "exposure_end": "2022-03-09", "listed_at": "2022-03-10T15:00",
                "quarantined_at": "2022-03-10T20:00", "quarantine_place": "福田某酒店"}


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=contact_rows())
# The refusals whose order differs between a form and a row, each tried every time:
@example(row={**CONTACT_GOOD, "citizen_id": "elsewhere"})  # refused for that alone
@example(row={**CONTACT_GOOD, "citizen_id": "elsewhere", "name": "", "category": "maybe"})  # the fields first
@example(row={**CONTACT_GOOD, "exposure_end": "2099-01-01", "category": "maybe"})  # the form's errors alone
@example(row={**CONTACT_GOOD, "listed_at": "yesterday", "source_case_no": "nope"})
def test_a_contact_gets_the_same_verdict_and_record_from_page_api_and_import(shenzhen_epi, world, row):
    client, api = Client(HTTP_ACCEPT_LANGUAGE="en"), APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(shenzhen_epi)
    api.force_authenticate(shenzhen_epi)
    values = _resolved(row, world, citizen_id("440304"))
    page = _by_field(_through_page(client, values)), _stored(world["keep"])
    assert (_by_field(_through_api(api, values)), _stored(world["keep"])) == page, values
    assert (_by_field(_through_import(shenzhen_epi, values)), _stored(world["keep"])) == page, values


def test_the_contact_rows_cover_both_verdicts(shenzhen_epi, world):
    """The control of the property above: a good row is stored, a bad one refused on several fields."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(shenzhen_epi)
    good = {"source_case_no": world["source"].case_no, "citizen_id": citizen_id("440304"), "name": "新密接",
            "phone": "13812345678", "address_region": "", "category": "close", "region": "440304",
            "exposure_type": "household", "exposure_start": "2022-03-08", "exposure_end": "2022-03-09",
            "listed_at": "2022-03-10T15:00", "quarantined_at": "2022-03-10T20:00", "quarantine_place": "福田某酒店"}
    assert _through_page(client, good) == {}
    stored = _stored(world["keep"])
    assert len(stored) == 1 and stored[0]["person__address_region_id"] == "440304"
    bad = {**good, "category": "maybe", "exposure_end": "2022-03-12", "quarantined_at": "2022-03-10T10:00"}
    assert set(_through_import(shenzhen_epi, bad)) == {"category", "exposure_end", "quarantined_at"}
    assert _stored(world["keep"]) == []


CASE_RECORD = ("person__name", "person__citizen_id_hash", "person__phone_hash", "person__address_region_id",
               "disease__code", "classification", "onset_date", "sampling_date", "diagnosed_at", "reported_at",
               "report_date", "report_deadline", "reported_late", "detection_route", "imported", "origin",
               "severity", "outcome", "residence_region_id", "report_region_id", "infector__case_no",
               "isolated_at", "found_under_management")
MOMENTS = ("diagnosed_at", "reported_at", "first_visit_at", "isolated_at", "treatment_at", "onset_date",
           "sampling_date")


@st.composite
def case_rows(draw) -> dict[str, str]:
    """A case as the form posts it (tokens as for contacts; ``infector_case_no`` ``infector``: a known case;
    ``soon``: in two days, inside the plausible window but in the future; ``far``: years ahead)."""
    return {
        "citizen_id": draw(st.sampled_from(["new", "new", "new", "known", "elsewhere", "123", ""])),
        "name": draw(st.sampled_from(["新病例", "新病例", "", "赵" * 65])),
        "phone": draw(st.sampled_from(["", "13812345678", "12"])),
        "address_region": draw(st.sampled_from(["", "", "440304", "440106"])),
        "disease": draw(st.sampled_from(["covid-19", "covid-19", "covid-19", "nope"])),
        "classification": draw(st.sampled_from(["confirmed", "confirmed", "asymptomatic", "maybe", ""])),
        "diagnosed_at": draw(st.sampled_from(["2022-03-10T09:00", "2022-03-10T09:00", "2022-03-09T22:00", ""])),
        "reported_at": draw(st.sampled_from(["2022-03-10T10:00", "2022-03-10T10:00", "2022-03-10T08:00",
                                             "2022-03-11T12:00"])),
        "onset_date": draw(st.sampled_from(["", "2022-03-08", "2022-03-11", "2099-01-01", "2022-3-8"])),
        "sampling_date": draw(st.sampled_from(["", "2022-03-09", "2022-03-11", "1850-01-01"])),
        "detection_route": draw(st.sampled_from(["fever_clinic", "", "contact_tracing", "teleport"])),
        "imported": draw(st.sampled_from(["", "", "true", "false", "maybe"])),
        "origin": draw(st.sampled_from(["", "", "香港", "x" * 101])),
        "severity": draw(st.sampled_from(["", "mild", "severe", "grave"])),
        "outcome": draw(st.sampled_from(["", "under_treatment", "recovered", "zombie"])),
        "report_region": draw(st.sampled_from(["440304", "440304", "440304", "440106", "nowhere"])),
        "infector_case_no": draw(st.sampled_from(["", "", "infector", "none-such"])),
        "first_visit_at": draw(st.sampled_from(["", "", "2022-03-09T10:00", "2022-03-07T10:00",
                                                "2022-03-10T12:00"])),
        "isolated_at": draw(st.sampled_from(["", "2022-03-10T11:00", "soon", "far"])),
        "treatment_at": draw(st.sampled_from(["", "", "2022-03-10T12:00", "2022-03-09T08:00", "not a time"])),
    }


def _cases_stored(keep_cases: set[int], keep_persons: set[int]) -> list[dict]:
    rows = list(Case.objects.exclude(pk__in=keep_cases).order_by("pk").values(*CASE_RECORD))
    Case.objects.exclude(pk__in=keep_cases).delete()
    Person.objects.exclude(pk__in=keep_persons).delete()
    return rows


def _case_through_page(client, row) -> dict:
    response = client.post("/cases/new/", row)
    assert response.status_code in (302, 400), response.status_code
    return {} if response.status_code == 302 else dict(response.context["errors"])


def _case_through_api(api, row) -> dict:
    body = {k: (None if k in MOMENTS and v == "" else v) for k, v in row.items()}
    body["imported"] = row["imported"] or False  # a JSON client sends false, or the text it was given
    response = api.post("/api/v1/cases/", body, format="json")
    assert response.status_code in (201, 400, 409), (response.status_code, response.content)
    return {} if response.status_code == 201 else {
        (NON_FIELD if k == "non_field_errors" else k): v for k, v in response.json()["error"]["fields"].items()}


def _case_through_import(actor, row) -> dict:
    line = {column: row.get(column, "") for column in CASE_COLUMNS}
    line["case_no"] = "PROP-C1"
    try:
        cases_import(actor=actor, rows=[line], source="property")
    except ImportRejected as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            errors.setdefault(error["column"], []).append(error["message"])
        return errors
    return {}


CASE_GOOD = {"citizen_id": "new", "name": "新病例", "phone": "", "address_region": "", "disease": "covid-19",
             "classification": "confirmed", "diagnosed_at": "2022-03-10T09:00", "reported_at": "2022-03-10T10:00",
             "onset_date": "2022-03-08", "sampling_date": "2022-03-09", "detection_route": "fever_clinic",
             "imported": "", "origin": "", "severity": "", "outcome": "", "report_region": "440304",
             "infector_case_no": "infector", "first_visit_at": "2022-03-09T10:00", "isolated_at": "2022-03-10T11:00",
             "treatment_at": "2022-03-10T12:00"}


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=case_rows())
@example(row=CASE_GOOD)
@example(row={**CASE_GOOD, "citizen_id": "elsewhere"})
@example(row={**CASE_GOOD, "citizen_id": "elsewhere", "name": "", "disease": "nope"})
@example(row={**CASE_GOOD, "onset_date": "2099-01-01", "classification": "maybe"})
@example(row={**CASE_GOOD, "imported": "maybe", "infector_case_no": "none-such"})
@example(row={**CASE_GOOD, "isolated_at": "far", "treatment_at": "2022-03-09T08:00"})
@example(row={**CASE_GOOD, "first_visit_at": "2022-03-07T10:00", "treatment_at": "2022-03-09T08:00"})
@example(row={**CASE_GOOD, "first_visit_at": "2022-03-10T12:00", "isolated_at": "soon"})
def test_a_case_gets_the_same_verdict_and_record_from_page_api_and_import(shenzhen_epi, world, row):
    client, api = Client(HTTP_ACCEPT_LANGUAGE="en"), APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(shenzhen_epi)
    api.force_authenticate(shenzhen_epi)
    source = world["source"]
    values = _resolved(row, world, citizen_id("440304"))
    values["infector_case_no"] = {"infector": source.case_no}.get(values["infector_case_no"],
                                                                   values["infector_case_no"])
    ahead = {"soon": dt.timedelta(days=2), "far": dt.timedelta(days=3 * 365)}
    if values["isolated_at"] in ahead:
        values["isolated_at"] = (timezone.localtime() + ahead[values["isolated_at"]]).strftime("%Y-%m-%dT%H:%M")
    keep_cases = {source.pk}
    page = _by_field(_case_through_page(client, values)), _cases_stored(keep_cases, world["keep"])
    assert (_by_field(_case_through_api(api, values)), _cases_stored(keep_cases, world["keep"])) == page, values
    assert (_by_field(_case_through_import(shenzhen_epi, values)),
            _cases_stored(keep_cases, world["keep"])) == page, values


def test_the_case_rows_cover_both_verdicts(shenzhen_epi, world):
    """The control of the property above: a good row is stored, a bad one refused on several fields."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(shenzhen_epi)
    good = {"citizen_id": citizen_id("440304"), "name": "新病例", "phone": "", "address_region": "",
            "disease": "covid-19", "classification": "confirmed", "diagnosed_at": "2022-03-10T09:00",
            "reported_at": "2022-03-10T10:00", "onset_date": "2022-03-08", "sampling_date": "",
            "detection_route": "fever_clinic", "imported": "", "origin": "", "severity": "", "outcome": "",
            "report_region": "440304", "infector_case_no": world["source"].case_no, "first_visit_at": "",
            "isolated_at": "", "treatment_at": ""}
    assert _case_through_page(client, good) == {}
    stored = _cases_stored({world["source"].pk}, world["keep"])
    assert len(stored) == 1 and stored[0]["residence_region_id"] == "440304"
    bad = {**good, "classification": "maybe", "onset_date": "2022-03-11", "infector_case_no": "none-such"}
    assert set(_case_through_import(shenzhen_epi, bad)) == {"classification", "onset_date", "infector_case_no"}
    assert _cases_stored({world["source"].pk}, world["keep"]) == []
