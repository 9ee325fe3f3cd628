"""Shared OpenAPI pieces: the one error body every 4xx uses."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField())
                ),
                "details": serializers.DictField(),
            },
        )
    },
)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


ERRORS = {
    400: _error("Bad input; `fields` has per-field messages."),
    401: _error("Missing, invalid, expired or revoked token."),
    403: _error("Your role or the token's scope does not allow this."),
    404: _error("Not found in this workspace."),
}
WRITE_ERRORS = {
    **ERRORS,
    409: _error("Conflict: a stale version or a rule the change breaks."),
    412: _error("If-Match did not match the current ETag."),
    422: _error("Valid shape, but a domain rule refused it; see `fields`."),
}
