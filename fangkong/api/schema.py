"""The OpenAPI schema of /api/v1/ (drf-spectacular), complete about parameters and answers.

- Query parameters come from the view's declaration (``fangkong.request_params``): the schema documents
  what the server checks, with the same bounds (``minimum``/``maximum``, ``maxLength``, ``pattern``, enums).
- An object's id in the path is an integer from 1 to 2⁶³−1.
- Every operation lists every status it can answer, the errors with the one error shape
  (``#/components/schemas/Error``): 400 (a parameter or the body does not hold), 401 (when the first
  authentication scheme asks for credentials), 403 (not signed in, or the role may not), 404 (an object
  or region that does not exist or lies outside the caller's scope), 409 (a write that meets a newer
  version or a state that does not allow it), 413 (an upload over its size), 415 (a body in a media type
  the operation does not read).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from fangkong.request_params import INT64_MAX, declared_query

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "fields"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "description": "what kind of error (invalid, not_found, …)"},
            "message": {"type": "string", "description": "for a person, in the request's language"},
            "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                       "description": "the messages per field or parameter, when the input is at fault"},
        },
    }},
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": INT64_MAX}
WRITES = ("POST", "PUT", "PATCH", "DELETE")
DESCRIPTIONS = {
    "400": "A parameter or the body does not hold: `fields` names each.",
    "401": "Credentials are needed.",
    "403": "Not signed in, or the role may not do this.",
    "404": "No such object or region in the caller's scope.",
    "409": "The record changed since it was read, or its state does not allow this.",
    "413": "The upload is larger than allowed.",
    "415": "The body is in a media type this operation does not read.",
}


class AutoSchema(SpectacularAutoSchema):
    def _action(self) -> str:
        return getattr(self.view, "action", None) or self.method.lower()

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        declaration = declared_query(type(self.view), self._action(), paged=self._is_list_view())
        if declaration is not None:
            parameters.append(declaration)
        return parameters

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        view = type(self.view)
        id_lookup = not hasattr(view, "lookup_value_regex")
        for parameter in parameters:
            if parameter["schema"].get("type") == "integer" or (id_lookup and parameter["name"] in ("id", "pk")):
                parameter["schema"] = dict(ID_SCHEMA)
        return parameters

    def _error_statuses(self, responses: dict) -> list[str]:
        has_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None
        has_parameters = bool(self.path_regex and "{" in self.path) or declared_query(
            type(self.view), self._action(), paged=self._is_list_view()) is not None
        statuses = ["403"]
        if has_body or has_parameters:
            statuses += ["400", "404"]
        authenticators = self.view.get_authenticators()
        if authenticators and authenticators[0].authenticate_header(None):
            statuses.append("401")
        if self.method in WRITES:
            statuses.append("409")
        if has_body:
            statuses += ["413", "415"]
        return statuses

    def _get_response_bodies(self, direction="response"):
        """The view's answers, and the platform's error answers beside them: a status the view documents in
        another media type only (a FHIR endpoint's OperationOutcome) may still come from the platform's
        layers (sign-in, the role gate, the parameter check) in the error shape."""
        responses = super()._get_response_bodies(direction)
        for status in self._error_statuses(responses):
            if status not in responses:
                responses[status] = {"content": {"application/json": {"schema": ERROR_REF}},
                                     "description": DESCRIPTIONS[status]}
            else:
                responses[status].setdefault("content", {}).setdefault("application/json", {"schema": ERROR_REF})
        return dict(sorted(responses.items()))


def error_component_add(result, generator, request, public):
    """Postprocessing hook: the ``Error`` component every error answer refers to."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    return result
