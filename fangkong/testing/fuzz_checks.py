"""Checks of our own for the schema fuzzer, and the bound of its coverage phase (schemathesis loads this
module through ``SCHEMATHESIS_HOOKS``).

``error_in_the_shape``: every answer with a status of 400 or more is JSON of exactly the shape
``{"error": {"code": str, "message": str, "fields": {name: [str, …]}}}`` — whether the schema documents
the status or not (the schema's own checks see only what it documents) — except an answer in FHIR's media
type (``application/fhir+json``, the FHIR endpoint of ``fangkong.interop``), which is a FHIR
``OperationOutcome`` with at least one issue, each with a severity, a code and a text, as FHIR requires.
"""

from __future__ import annotations

import schemathesis


@schemathesis.check
def error_in_the_shape(ctx, response, case):
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError(f"an error answer ({response.status_code}) that is not JSON") from exc
    media = (response.headers.get("content-type") or [""])[0]  # schemathesis: lowercase names, lists of values
    if media.startswith("application/fhir+json"):
        issues = body.get("issue") if isinstance(body, dict) else None
        if not (body.get("resourceType") == "OperationOutcome" and isinstance(issues, list) and issues and all(
                isinstance(i, dict) and i.get("severity") and i.get("code") and isinstance(i.get("diagnostics"), str)
                for i in issues)):
            raise AssertionError(f"a FHIR error answer ({response.status_code}) that is no OperationOutcome: {body!r:.300}")
        return None
    error = body.get("error") if isinstance(body, dict) else None
    fields = error.get("fields") if isinstance(error, dict) else None
    well_formed = (
        set(body) == {"error"} and isinstance(error, dict) and set(error) == {"code", "message", "fields"}
        and isinstance(error["code"], str) and isinstance(error["message"], str) and isinstance(fields, dict)
        and all(isinstance(k, str) and isinstance(v, list) and all(isinstance(m, str) for m in v)
                for k, v in fields.items())
    ) if isinstance(body, dict) else False
    if not well_formed:
        raise AssertionError(f"an error answer ({response.status_code}) outside the error shape: {body!r:.300}")
    return None


#: The media type the coverage phase sends request bodies in (see ``coverage_bodies_in_json``).
COVERAGE_BODY_MEDIA_TYPE = "application/json"


@schemathesis.hook
def filter_case(context, case):
    """``coverage_bodies_in_json``: in the coverage phase (every boundary and every wrong value of every
    parameter, derived from the schema, the same cases every run), a request body is sent as JSON only.

    The schema offers each body as JSON, as a form and as multipart (drf-spectacular lists the parsers), and
    the coverage phase repeated each body case in all three — a third of its 11,500 cases, and of the fuzz
    stage's time. The three encodings are parsed into the same fields and judged by the same serializer; the
    encodings themselves stay tested: the fuzzing phase still sends form and multipart bodies to every
    operation (positive and negative data), and the coverage phase keeps its malformed and unsupported
    ``Content-Type`` cases and every query, path, header and method case. Every operation keeps every phase.
    """
    meta = getattr(case, "meta", None)
    data = getattr(getattr(meta, "phase", None), "data", None)
    if type(data).__name__ != "CoveragePhaseData" or getattr(data, "parameter_location", None) != "body":
        return True
    return case.media_type in (None, COVERAGE_BODY_MEDIA_TYPE)
