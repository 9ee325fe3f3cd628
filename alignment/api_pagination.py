"""Cursor pagination with a hard page-size cap: there is no switch that turns paging off."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import exceptions, pagination
from rest_framework.request import Request
from rest_framework.response import Response


class CursorPagination(pagination.CursorPagination):
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE
    ordering = "-id"

    def get_page_size(self, request: Request) -> int:
        """The asked page size, 1 to the cap; anything else is refused, never ignored."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return int(self.page_size or settings.API_MAX_PAGE_SIZE)
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        f"Must be a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters


class OldestFirstCursorPagination(CursorPagination):
    """For threads read top to bottom (a task's comments): oldest first."""

    ordering = "id"


class CappedList(pagination.BasePagination):
    """A short list answered whole, as a plain array, up to `cap` rows (workflow states, labels,
    saved views): no cursor, and the schema shows the array the client gets."""

    cap = 500

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        return list(queryset[: self.cap])

    def get_paginated_response(self, data: Any) -> Response:
        return Response(data)
