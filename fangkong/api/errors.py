"""One error shape for every API failure: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from fangkong.audit.services import audit_refusal
from fangkong.locking import StaleEditError
from fangkong.persons.services import PersonElsewhereError


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {key: [str(m) for m in (value if isinstance(value, list) else [value])]
                for key, value in detail.items()}
    return {"non_field_errors": [str(m) for m in (detail if isinstance(detail, list) else [detail])]}


def stale_version_response(exc) -> Response:
    """The one answer to a write that met a newer version (``fangkong.locking.StaleEditError``): 409."""
    return Response(error_body("stale_version", str(exc)), status=status.HTTP_409_CONFLICT)


def error_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(error_body("invalid", "The input is not valid.", fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, StaleEditError):
        return stale_version_response(exc)
    if isinstance(exc, PersonElsewhereError):
        # the citizen ID's field named, as the page shows it under the field
        return Response(error_body("registered_elsewhere", str(exc), {"citizen_id": [str(exc)]}),
                        status=status.HTTP_409_CONFLICT)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, exceptions.PermissionDenied) and context.get("request") is not None:
        request = context["request"]
        audit_refusal(actor=request.user, object_id=request.path[:64], request=request,
                      detail={"method": request.method, "path": request.path[:200], "message": str(exc.detail)[:200]})
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", "The input is not valid.", _flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = error_body(code if isinstance(code, str) else "error", str(detail))
    return response
