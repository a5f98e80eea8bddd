"""The fuzzer's own check (``fangkong.testing.fuzz_checks.error_in_the_shape``) on answers as schemathesis
hands them over (header names in lower case, each a list of values): the platform's error shape passes, an
OperationOutcome passes only in FHIR's media type, anything else fails."""

from __future__ import annotations

import pytest

from fangkong.testing.fuzz_checks import error_in_the_shape

OUTCOME = {"resourceType": "OperationOutcome",
           "issue": [{"severity": "error", "code": "structure", "diagnostics": "x", "expression": ["Bundle"]}]}
ERROR = {"error": {"code": "invalid", "message": "m", "fields": {"day": ["d"]}}}


class Answer:
    def __init__(self, status: int, media: str, body):
        self.status_code, self.headers, self._body = status, {"content-type": [media]}, body

    def json(self):
        return self._body


@pytest.mark.parametrize(("media", "body"), [("application/json", ERROR), ("application/fhir+json", OUTCOME),
                                             ("application/fhir+json; charset=utf-8", OUTCOME)])
def test_the_platforms_error_and_a_fhir_outcome_in_fhirs_media_type_pass(media, body):
    assert error_in_the_shape(None, Answer(400, media, body), None) is None


@pytest.mark.parametrize(("media", "body"), [
    ("application/json", OUTCOME),  # an OperationOutcome outside FHIR's media type
    ("application/fhir+json", ERROR),  # the platform's shape announced as FHIR
    ("application/fhir+json", {"resourceType": "OperationOutcome", "issue": []}),  # no issue
    ("application/json", {"detail": "x"}),
])
def test_anything_else_fails(media, body):
    with pytest.raises(AssertionError):
        error_in_the_shape(None, Answer(400, media, body), None)
