"""The structure check at volume (``fhir_structure.StructureCheck``) gives the library's verdict — the same
acceptance and the same errors as ``fhir.resources``' ``Bundle.model_validate`` — on case-report Bundles
changed at random: a primitive value replaced by another (right or wrong for its FHIR type, or of another JSON
type), an element removed, an unknown element added, an array lengthened, a resource type changed. Each
mutant is checked by a check that has already seen the untouched Bundle's shape (the short path) and by the
library, fresh."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError as ModelError

from fangkong.cases.tests.builders import at, make_case
from fangkong.testing.builders import citizen_id, make_person

from .. import fhir
from ..fhir_structure import StructureCheck
from ..services import destination_create

pytestmark = pytest.mark.django_db

# Values tried in place of a primitive: right and wrong for dates, instants, codes, URIs, strings, booleans.
VALUES = ["", "Nope", "Bundle", " ", "2022-03-17", "2022-13-01", "2022-03-17T10:00:00+08:00", "2022-03-17T10:00:00",
          "2022-03-17T25:00:00Z", "17/03/2022", "final", "not a code", "tab\tcode", "urn:uuid:x",
          "https://example.org/a b", "李四", "x" * 2000, 0, 1.5, -1, True, False, None, [], {}, ["a"], [{}]]


def _bundle(sysadmin, epi) -> dict:
    cid = citizen_id("440304", born=dt.date(1987, 6, 5), male=False)
    person = make_person(epi, name="李四", region="440304", cid=cid, sex="F", birth_date=dt.date(1987, 6, 5))
    case = make_case(epi, region="440304", day="2022-03-17", person=person, onset_date=dt.date(2022, 3, 15),
                     sampling_date=dt.date(2022, 3, 16), isolated_at=at("2022-03-16", 11),
                     treatment_at=at("2022-03-17", 15), imported=True, origin="香港")
    destination = destination_create(actor=sysadmin, region="440000", name="省平台", kind="fhir",
                                     base_url="https://fhir.example.org/r4", regions=["440300"],
                                     identifiers_entitled=True, reason="病例报告交换")
    return fhir.case_bundle(case, destination)


_made: list[dict] = []


def _base(sysadmin, epi) -> dict:
    """The untouched Bundle, made once for every example of a test (it is plain data once made)."""
    if not _made:
        _made.append(_bundle(sysadmin, epi))
    return _made[0]


def _places(value, path=()):
    """Every path in a JSON value: (path, the value there)."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, (*path, key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _places(item, (*path, n))


def _mutant(bundle: dict, index: int, how: str, value) -> dict:
    changed = copy.deepcopy(bundle)
    places = [p for p, _v in _places(changed) if p]
    path = places[index % len(places)]
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "replace":
        parent[last] = copy.deepcopy(value)
    elif how == "remove":
        del parent[last]
    elif how == "add" and isinstance(parent[last], dict):
        parent[last]["unknownElement"] = copy.deepcopy(value)
    elif how == "repeat" and isinstance(parent[last], list) and parent[last]:
        parent[last].append(copy.deepcopy(parent[last][0]))
    elif how == "retype" and isinstance(parent[last], dict) and "resourceType" in parent[last]:
        parent[last]["resourceType"] = "Observation" if value else "Patient"
    return changed


LIBRARY_FAILS = "the library fails (KeyError, TypeError) on a resource type it does not know"


def _library(bundle: dict):
    from fhir.resources.R4B.bundle import Bundle

    try:
        Bundle.model_validate(bundle)
    except ModelError as exc:
        return exc.errors(include_url=False, include_context=False)
    except (KeyError, TypeError):
        return LIBRARY_FAILS
    return None


def _same_verdict(checked, library) -> bool:
    """The library's errors; where the library fails instead, the check's refusal of the resource type."""
    if library == LIBRARY_FAILS:
        return checked is not None and [e["type"] for e in checked] == ["resource_type"]
    return checked == library


def _checked(check: StructureCheck, bundle: dict):
    try:
        check.validate(bundle)
    except ModelError as exc:
        return exc.errors(include_url=False, include_context=False)
    return None


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(index=st.integers(min_value=0, max_value=10_000),
       how=st.sampled_from(["replace", "replace", "replace", "remove", "add", "repeat", "retype"]),
       value=st.sampled_from(VALUES))
def test_the_check_gives_the_librarys_verdict_on_bundles_changed_at_random(sysadmin, shenzhen_epi, index, how,
                                                                           value):
    from fhir.resources.R4B.bundle import Bundle

    bundle = _base(sysadmin, shenzhen_epi)
    check = StructureCheck(Bundle)
    check.validate(bundle)  # its shape is known: a mutant of the same shape takes the short path
    mutant = _mutant(bundle, index, how, value)
    assert _same_verdict(_checked(check, mutant), _library(mutant))
    assert _same_verdict(_checked(check, mutant), _library(mutant))  # again, once the mutant's shape is known


def test_a_bundle_of_a_known_shape_with_a_bad_value_is_refused_as_the_library_refuses_it(sysadmin, shenzhen_epi):
    from fhir.resources.R4B.bundle import Bundle

    bundle = _bundle(sysadmin, shenzhen_epi)
    check = StructureCheck(Bundle)
    check.validate(bundle)
    for path, bad in ((("timestamp",), "yesterday"), (("entry", 1, "resource", "birthDate"), "1987-02-30"),
                      (("entry", 2, "resource", "onsetDateTime"), "2022-3-15"),
                      (("entry", 0, "resource", "status"), "fi  nal")):  # a code: single inner spaces only
        mutant = copy.deepcopy(bundle)
        parent = mutant
        for step in path[:-1]:
            parent = parent[step]
        assert path[-1] in parent, path
        parent[path[-1]] = bad
        with pytest.raises(ModelError) as raised:
            check.validate(mutant)
        assert raised.value.errors(include_url=False, include_context=False) == _library(mutant), path
    assert len(check._primitives) == 1  # nothing refused was kept as a shape
