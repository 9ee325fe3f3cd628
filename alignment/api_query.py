"""Query parameters of API lists: parsed strictly, described exactly.

Each helper pairs the parser with its schema, so the OpenAPI document states every constraint
the server enforces and nothing it does not: an id is a whole number from 1, a choice is one
of its enum, and anything else is a 400 that names the parameter, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import django_filters
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

MAX_ID = 2**53  # as the serializers' id fields: beyond it no row of ours, and no JS number


def id_parameter(name: str, description: str = "") -> OpenApiParameter:
    return OpenApiParameter(
        name, {"type": "integer", "minimum": 1, "maximum": MAX_ID}, description=description
    )


def choice_parameter(name: str, choices: Iterable[str], description: str = "") -> OpenApiParameter:
    return OpenApiParameter(name, str, enum=list(choices), description=description)


def query_id(request: Request, name: str) -> int | None:
    """The id in `?name=`, None when absent or empty; 400 for anything but 1 … MAX_ID."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    value = str(raw)
    if not (value.isascii() and value.isdigit() and len(value) <= 16) or not (
        1 <= int(value) <= MAX_ID
    ):
        raise ValidationError({name: ["Use an id: a whole number from 1."]})
    return int(value)


def query_choice(request: Request, name: str, choices: Iterable[str]) -> str | None:
    """The value of `?name=` if it is one of `choices`, None when absent or empty; else 400."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    allowed = list(choices)
    if raw not in allowed:
        raise ValidationError({name: [f"Use one of: {', '.join(allowed)}."]})
    return str(raw)


def text_parameter(name: str, description: str = "", **schema: Any) -> OpenApiParameter:
    """A free-text parameter that must say something (not only spaces)."""
    return OpenApiParameter(
        name,
        {"type": "string", "minLength": 1, "pattern": r"\S", **schema},
        description=description,
    )


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An id in a django-filter FilterSet: a whole number from 1 that fits the column (a
    decimal, 0 or a negative number is a 400), and the schema says so."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("decimal_places", 0)
        super().__init__(*args, **kwargs)


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC. PostgreSQL refuses UTC offsets beyond ±15:59 that Python (and
    ISO 8601 parsers) accept, so an instant from a client reaches the database in UTC."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(UTC)


def query_datetime(request: Request, name: str) -> datetime | None:
    """The ISO 8601 instant in `?name=` (naive: the server's zone), in UTC; 400 if unreadable."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = parse_datetime(str(raw).strip())
    except ValueError:
        value = None
    if value is None:
        raise ValidationError({name: ["Use an ISO 8601 date and time, e.g. 2026-05-13T10:30:00Z."]})
    return as_utc(value)


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 instant in a FilterSet, passed to the database in UTC (see `as_utc`)."""

    def filter(self, qs: Any, value: Any) -> Any:
        return super().filter(qs, as_utc(value) if value else value)
