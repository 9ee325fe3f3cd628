"""Shared OpenAPI pieces: the one error body every 4xx uses, the usual list/retrieve
documentation of a read viewset, and the schema class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular import openapi
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from alignment.api_pagination import CappedList

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

V = TypeVar("V", bound=Callable[..., Any])


def read_schema(
    serializer: type[serializers.Serializer],
    *,
    list_summary: str,
    retrieve_summary: str,
    list_description: str | None = None,
) -> Callable[[V], V]:
    """Document a viewset's `list` and `retrieve`: rows of `serializer`, the shared 4xx bodies."""
    return extend_schema_view(
        list=extend_schema(
            summary=list_summary,
            description=list_description,
            responses={200: serializer(many=True), **ERRORS},
        ),
        retrieve=extend_schema(summary=retrieve_summary, responses={200: serializer, **ERRORS}),
    )


class AutoSchema(openapi.AutoSchema):
    """The schema class of every API view (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS).

    An operation's description is written for API users: `extend_schema(description=...)`, or
    the docstring of the method that serves it (`list`, `create`, an `@action`, `get`). A view
    class's docstring is for the developers reading the code (base classes say how to subclass
    them), so unlike drf-spectacular's default it is never shown as a description.
    """

    def _get_paginator(self) -> Any:
        # A list answered whole (api_pagination.CappedList) is a plain array, not a page.
        paginator = super()._get_paginator()
        return None if isinstance(paginator, CappedList) else paginator

    def get_description(self) -> str:  # type: ignore[override]
        method = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        return get_doc(method) if method is not None else ""
