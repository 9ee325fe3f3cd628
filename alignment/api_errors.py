"""One error body for every 4xx of the API: {"error": {"code", "message", "fields", "details"}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from alignment.errors import DomainError


def error_body(
    code: str, message: str, fields: dict[str, Any] | None = None, details: Any = None
) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "fields": fields or {},
            "details": details or {},
        }
    }


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Validation details as one level of `{"field": ["message", ...]}`, as the schema says.

    Nested serializers and list items get dotted keys: `milestones.0.name`.
    """
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(d, dict | list) for d in detail):
        flat = {}
        for index, item in enumerate(detail):
            if item:  # a list serializer reports {} for the items that were valid
                flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(m) for m in messages]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.text, exc.fields, _jsonable(exc.details, exc.structured)),
            status=exc.status,
        )
    if isinstance(exc, DjangoValidationError):
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(
            error_body("invalid", "Some fields need attention.", fields),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        message = "Some fields need attention."
        non_field = fields.get("non_field_errors")
        if isinstance(non_field, list) and non_field and len(fields) == 1:
            message = str(non_field[0])
        response.data = error_body("invalid", message, fields)
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        message = str(detail if not isinstance(detail, dict | list) else exc.default_detail)
        code = exc.get_codes() if not isinstance(exc.get_codes(), dict | list) else exc.default_code
        response.data = error_body(str(code), str(message))  # type: ignore[arg-type]
    return response


def _jsonable(details: dict[str, object], structured: tuple[str, ...] = ()) -> dict[str, object]:
    """Scalars as they are, anything else as text; except the details an error declares
    `structured` (JSON-ready lists and dicts built by the service, e.g. failing checks)."""
    return {
        k: v if isinstance(v, str | int | float | bool | None) or k in structured else str(v)
        for k, v in details.items()
    }
