"""The official HL7 FHIR R4 examples of every resource a case report carries (``tests/data/fhir-r4``, from
``hl7.fhir.r4.examples`` 4.0.1): each is valid for the structure check the platform uses (``fhir_structure``, the
R4B models of ``fhir.resources``) and round-trips through it unchanged; the standard's own document Bundle,
sent to the import endpoint, is refused with the elements the platform needs named — never a server error —
and nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fangkong.cases.models import Case
from fangkong.persons.models import Person

from .. import fhir_bulk
from ..fhir_structure import StructureCheck
from ..models import ImportedBundle

EXAMPLES = Path(__file__).parent / "data" / "fhir-r4"


def _examples() -> list[Path]:
    return sorted(EXAMPLES.glob("*.json"))


def test_every_resource_of_a_case_report_has_an_official_example_here():
    kinds = {json.loads(path.read_text())["resourceType"] for path in _examples()}
    assert kinds >= {"Bundle", "Composition", "Patient", "Condition", "Observation", "Specimen", "Organization",
                     "Encounter", "Provenance"}


@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.stem)
def test_an_official_example_is_valid_and_round_trips_unchanged(path):
    from fhir.resources.R4B import get_fhir_model_class

    resource = json.loads(path.read_text())
    model = get_fhir_model_class(resource["resourceType"])
    check = StructureCheck(model)
    check.validate(resource)
    check.validate(resource)  # the short path, once its shape is known
    again = json.loads(model.model_validate(resource).model_dump_json(by_alias=True, exclude_none=True))
    assert again == resource


@pytest.mark.django_db
def test_the_standards_document_bundle_is_refused_by_name_not_by_a_crash(client, shenzhen_epi):
    body = (EXAMPLES / "Bundle-father.json").read_bytes()
    client.force_login(shenzhen_epi)
    answer = client.post("/api/v1/interop-fhir/Bundle/", body, content_type="application/fhir+json")
    assert answer.status_code == 400 and answer["Content-Type"].startswith("application/fhir+json")
    expressions = {e for issue in answer.json()["issue"] for e in issue["expression"]}
    assert expressions and all(e.startswith("Bundle") for e in expressions)
    line = json.dumps(json.loads(body)).encode()  # the same Bundle as a line of a file
    with pytest.raises(fhir_bulk.ImportRejected) as raised:
        fhir_bulk.bundles_import(actor=shenzhen_epi, data=line)
    assert {e["row"] for e in raised.value.errors} == {1}
    assert (Person.objects.count(), Case.objects.count(), ImportedBundle.objects.count()) == (0, 0, 0)
