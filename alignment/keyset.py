"""Keyset (seek) paging over any ordering of nullable columns, ended by a unique one.

An offset page costs more the deeper it is and shifts when rows are added above it; a
keyset page asks for "the rows after this one" in the ordering, which an index answers at
any depth and which never repeats or skips a row that stayed put. Each column sorts nulls
last in the forward direction (the table's convention: empty cells at the end whichever
way it is sorted), so "after" a value also includes the nulls, and "after" a null only the
later nulls of the next columns. The last column must be unique (the primary key), so every
row has exactly one position.

Cursors are signed (django.core.signing) and carry what they were issued for (e.g. the
view and the sort), so a cursor of another sort, or a forged one, is refused rather than
fed to the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import and_, or_
from typing import Any

from django.core import signing
from django.db.models import F, Model, Q
from django.db.models.expressions import OrderBy


class BadCursor(ValueError):
    """A cursor that is not one this server issued for this listing."""


@dataclass(frozen=True)
class Column:
    path: str  # a lookup path, e.g. "assignee__full_name"
    descending: bool = False


def ordering(columns: Sequence[Column], *, forward: bool = True) -> list[OrderBy]:
    """ORDER BY for the columns (nulls last), or its exact reverse when not `forward`."""
    order = []
    for column in columns:
        down = column.descending if forward else not column.descending
        expression = F(column.path)
        if forward:
            order.append(
                expression.desc(nulls_last=True) if down else expression.asc(nulls_last=True)
            )
        else:
            order.append(
                expression.desc(nulls_first=True) if down else expression.asc(nulls_first=True)
            )
    return order


def _beyond(column: Column, value: Any, *, forward: bool) -> Q | None:
    """Rows strictly beyond `value` in this one column, in the paging direction."""
    if forward:
        if value is None:
            return None  # nulls are last: nothing comes after a null in this column
        past = Q(**{f"{column.path}__{'lt' if column.descending else 'gt'}": value})
        return past | Q(**{f"{column.path}__isnull": True})
    if value is None:
        return Q(**{f"{column.path}__isnull": False})  # every value comes before the nulls
    return Q(**{f"{column.path}__{'gt' if column.descending else 'lt'}": value})


def _equal(column: Column, value: Any) -> Q:
    if value is None:
        return Q(**{f"{column.path}__isnull": True})
    return Q(**{column.path: value})


def seek(columns: Sequence[Column], position: Sequence[Any], *, forward: bool = True) -> Q:
    """Rows after (`forward`) or before `position` (one value per column) in the ordering."""
    if len(position) != len(columns):
        raise BadCursor("The cursor does not match the ordering.")
    branches = []
    for index, column in enumerate(columns):
        beyond = _beyond(column, position[index], forward=forward)
        if beyond is None:
            continue
        ties = [_equal(c, v) for c, v in zip(columns[:index], position[:index], strict=True)]
        branches.append(reduce(and_, [*ties, beyond]))
    if not branches:
        return Q(pk__in=[])
    return reduce(or_, branches)


def position_of(row: Model, columns: Sequence[Column]) -> list[Any]:
    """The row's values of the columns, following relations (None past an empty one); the
    relations should be loaded with the rows (select_related), or this costs a query each."""
    values = []
    for column in columns:
        value: Any = row
        for name in column.path.split("__"):
            value = getattr(value, name, None) if value is not None else None
        values.append(value)
    return values


def _jsonable(value: Any) -> Any:
    # Dates, instants and decimals travel as text: the field's to_python reads them back.
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode(
    *, salt: str, bound: Mapping[str, Any], position: Sequence[Any], forward: bool, index: int
) -> str:
    """A signed cursor: the row's position, the direction, and the rows before this point."""
    return signing.dumps(
        {
            "b": dict(bound),
            "p": [_jsonable(v) for v in position],
            "f": forward,
            "i": index,
        },
        salt=salt,
        compress=True,
    )


@dataclass(frozen=True)
class Cursor:
    position: list[Any]
    forward: bool
    index: int  # rows before the page (forward) or before the cursor's row (backward)


def decode(raw: str, *, salt: str, bound: Mapping[str, Any], width: int) -> Cursor:
    """The cursor's position; BadCursor for a forged one or one issued for another listing."""
    try:
        data = signing.loads(raw, salt=salt)
    except signing.BadSignature:
        raise BadCursor("This cursor is not valid: follow the page links.") from None
    if not isinstance(data, dict) or data.get("b") != dict(bound):
        raise BadCursor("This cursor belongs to another listing or sort: start from page one.")
    position, forward, index = data.get("p"), data.get("f"), data.get("i")
    if not isinstance(position, list) or len(position) != width:
        raise BadCursor("This cursor is not valid: follow the page links.")
    if not isinstance(forward, bool) or not isinstance(index, int) or index < 0:
        raise BadCursor("This cursor is not valid: follow the page links.")
    return Cursor(position=position, forward=forward, index=index)
