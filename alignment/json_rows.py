"""`JSONRows`: a few related rows read as one JSON array inside another query.

A page that reads a bounded handful of rows beside its main read (a workspace's periods, a
sprint's daily snapshots) otherwise pays a round trip and a query for each such read. Here
the rows travel as one JSON value of the outer row: PostgreSQL `jsonb_agg` over
`JSONB_BUILD_OBJECT`, SQLite `json_group_array` over `JSON_OBJECT` (both through Django's
`JSONObject`). The array's order is not guaranteed: callers sort what they read.

Values come back as JSON scalars: dates and datetimes as ISO text, decimals as numbers, and
on SQLite a JSON column's value as its text (`json_value` decodes both shapes).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import JSONField, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.utils.dateparse import parse_datetime

COLUMN = "json_row"


class JSONRows(Subquery):
    """`queryset`'s rows, each a JSON object of `fields` (name → field path or expression),
    as one JSON array (`[]` when there is none)."""

    def __init__(self, queryset: QuerySet[Any], **fields: Any) -> None:
        rows = queryset.order_by().values(**{COLUMN: JSONObject(**fields)})
        super().__init__(rows, output_field=JSONField())

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **kwargs: Any) -> Any:
        sql, params = super().as_sql(compiler, connection, *args, **kwargs)
        column = f"r.{connection.ops.quote_name(COLUMN)}"
        if connection.vendor == "postgresql":
            return f"(SELECT COALESCE(jsonb_agg({column}), '[]'::jsonb) FROM {sql} r)", params
        return f"(SELECT COALESCE(json_group_array(json({column})), '[]') FROM {sql} r)", params


def json_value(value: Any) -> Any:
    """A JSON column's value read through `JSONRows` (SQLite hands it over as text)."""
    return json.loads(value) if isinstance(value, str) else value


def json_date(value: str) -> date:
    return date.fromisoformat(value[:10])


def json_datetime(value: str | None) -> datetime | None:
    """An aware datetime (SQLite stores UTC without an offset)."""
    if value is None:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
