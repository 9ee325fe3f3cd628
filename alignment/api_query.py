"""Query parameters of API lists: parsed strictly, described exactly.

Each helper pairs the parser with its schema, so the OpenAPI document states every constraint
the server enforces and nothing it does not: an id is a whole number from 1, a choice is one
of its enum, and anything else is a 400 that names the parameter, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, overload

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from alignment.parsing import is_digits

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


def int_parameter(
    name: str, *, default: int, min_value: int, max_value: int, description: str
) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        {"type": "integer", "minimum": min_value, "maximum": max_value, "default": default},
        description=description,
    )


def text_parameter(
    name: str, *, max_length: int, description: str, required: bool = False
) -> OpenApiParameter:
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length}
    if required:
        schema |= {"minLength": 1, "pattern": r"\S"}
    return OpenApiParameter(name, schema, required=required, description=description)


def query_int(request: Request, name: str, *, default: int, min_value: int, max_value: int) -> int:
    """The whole number in `?name=`, `default` when absent; 400 for anything but
    min_value … max_value (an empty value too, as a list's `page_size`)."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not is_digits(raw) or not min_value <= int(raw) <= max_value:
        raise ValidationError({name: [f"Use a whole number from {min_value} to {max_value}."]})
    return int(raw)


@overload
def query_text(request: Request, name: str, *, max_length: int, required: str) -> str: ...


@overload
def query_text(
    request: Request, name: str, *, max_length: int, required: None = None
) -> str | None: ...


def query_text(
    request: Request, name: str, *, max_length: int, required: str | None = None
) -> str | None:
    """The text of `?name=` as sent (not stripped), None when absent; 400 when longer than
    `max_length`. `required`: the message of the 400 when it is absent or blank."""
    raw = request.query_params.get(name)
    if required is not None and (raw is None or not raw.strip()):
        raise ValidationError({name: [required]})
    if raw is not None and len(raw) > max_length:
        raise ValidationError({name: [f"Use at most {max_length} characters."]})
    return raw


def describe(filter_: django_filters.Filter, schema: dict[str, Any]) -> None:
    """Give a filter its exact OpenAPI schema, its help_text the description (drf-spectacular
    reads the description of a schema set this way, not the filter's help_text)."""
    help_text = filter_.extra.get("help_text")
    set_override(filter_, "field", {**schema, **({"description": help_text} if help_text else {})})


class IdFilter(django_filters.NumberFilter):
    """An id in a django-filter FilterSet: a whole number from 1 that fits the column (a
    decimal, 0 or a negative number is a 400), and the schema says so."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("decimal_places", 0)
        super().__init__(*args, **kwargs)
        describe(self, {"type": "integer", "minimum": 1, "maximum": MAX_ID})


class OneOfFilter(django_filters.ChoiceFilter):
    """One of `values` in a FilterSet (the schema's enum); anything else is a 400 naming them,
    as `query_choice` words it."""

    def __init__(self, *args: Any, values: Iterable[str], **kwargs: Any) -> None:
        allowed = list(values)
        kwargs.setdefault("choices", [(value, value) for value in allowed])
        message = f"Use one of: {', '.join(allowed)}."
        kwargs.setdefault("error_messages", {"invalid_choice": message})
        super().__init__(*args, **kwargs)
        describe(self, {"type": "string", "enum": allowed})


class IsoDateFilter(django_filters.DateFilter):
    """A day as YYYY-MM-DD in a FilterSet; anything else is a 400 saying so."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault("error_messages", {"invalid": "Use a date as YYYY-MM-DD."})
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


class FlagField(forms.Field):
    """A yes/no word, in any case, from the list's own spellings; absent means no."""

    def __init__(
        self, *, true: Iterable[str], false: Iterable[str], message: str, **kwargs: Any
    ) -> None:
        self.true, self.false, self.message = frozenset(true), frozenset(false), message
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> bool:
        if value is None:
            return False
        word = str(value).lower()
        if word not in self.true | self.false:
            raise forms.ValidationError(self.message, code="invalid")
        return word in self.true


class FlagFilter(django_filters.BooleanFilter):
    """A yes/no query parameter in a FilterSet (`true`, `false` and `message` go to FlagField);
    a word it does not know is a 400 with `message`. Its method sees False when it is absent.
    `schema`: what the OpenAPI document shows, when not a boolean."""

    field_class = FlagField

    def __init__(self, *args: Any, schema: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if schema is not None:
            describe(self, schema)


class ArchivedFilterSet(django_filters.FilterSet):
    """A list of rows that can be archived (`archived_at`): active ones by default,
    `?archived=true` the archived ones instead. The default narrows the list only: one row
    (read, change, restore, delete) is found by its id whether archived or not."""

    archived = FlagFilter(
        true={"true"},
        false={"false"},
        message="Use true or false.",
        method="filter_archived",
        help_text="true: only archived ones; false (the default): only active ones.",
    )

    def filter_archived(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        view = self.request.parser_context.get("view") if self.request else None
        if getattr(view, "action", "list") != "list":
            return queryset
        return queryset.filter(archived_at__isnull=not value)
