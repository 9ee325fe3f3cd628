"""`?ordering=`: one of the values a list names, or a 400 that lists them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request


class StrictOrderingFilter(OrderingFilter):
    """Order a list by one field its view names in `ordering_fields` (`-field`: descending).

    DRF's filter drops terms it does not know and falls back to the default order, so a typo
    answered 200 in an order nobody asked for. Here an unknown value is a 400 naming the
    choices, a list without `ordering_fields` keeps its one order, and the schema lists the
    exact values (an enum) the server accepts.
    """

    def choices(self, view: Any) -> list[str]:
        fields = getattr(view, "ordering_fields", None)
        if not fields or fields == "__all__":
            return []
        return [value for name in fields for value in (name, f"-{name}")]

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> Any:
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        choices = self.choices(view)
        if raw not in choices:
            message = (
                f"Use one of: {', '.join(choices)}."
                if choices
                else "This list has one fixed order; leave out ordering."
            )
            raise ValidationError({self.ordering_param: [message]})
        return (raw,)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        choices = self.choices(view)
        method = getattr(getattr(view, "request", None), "method", "GET")
        if not choices or method != "GET":
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Sort by this field; a leading `-` sorts descending.",
                "schema": {"type": "string", "enum": choices},
            }
        ]
