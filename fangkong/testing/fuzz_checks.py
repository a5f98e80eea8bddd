"""Checks of our own for the schema fuzzer (schemathesis loads this module through ``SCHEMATHESIS_HOOKS``).

``error_in_the_shape``: every answer with a status of 400 or more is JSON of exactly the shape
``{"error": {"code": str, "message": str, "fields": {name: [str, …]}}}`` — whether the schema documents
the status or not (the schema's own checks see only what it documents).
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
