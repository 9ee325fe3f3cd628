"""`field__in_ids=Ids(…)` and `field__in_texts=Texts(…)`: membership in a list as ONE parameter.

Django's `__in` walks, prepares, adapts and renders a placeholder for every value: ≈ 10 µs a
value, so a board that asks four questions about 460 cards spent 15 ms building SQL before
PostgreSQL saw it. Here the values pass as one array (PostgreSQL: `= ANY(%s::bigint[])`,
`= ANY(%s::text[])`) or one JSON text (SQLite: `IN (SELECT value FROM json_each(%s))`); the
plans are those of `IN (…)`. The values travel wrapped (`Ids`, `Texts`: not iterable), so the
ORM's own checks do not walk them either. Each value is converted (`int()`, `str()`) when
wrapped, and only ever reaches the SQL as a bound parameter.
Registered on integer, text and foreign-key fields by `AlignmentConfig.ready`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db.models import CharField, ForeignKey, IntegerField, Lookup, TextField


class Ids:
    """Integer ids as one query parameter (`__in_ids`)."""

    __slots__ = ("values",)
    sql_type = "bigint[]"

    def __init__(self, values: Iterable[Any]) -> None:
        self.values: list[Any] = [int(value) for value in values]

    def __len__(self) -> int:
        return len(self.values)


class Texts(Ids):
    """Strings as one query parameter (`__in_texts`)."""

    __slots__ = ()
    sql_type = "text[]"

    def __init__(self, values: Iterable[Any]) -> None:
        self.values = [str(value) for value in values]


class InIds(Lookup):
    lookup_name = "in_ids"
    prepare_rhs = False
    kind: type[Ids] = Ids

    def get_prep_lookup(self) -> Ids:
        if not isinstance(self.rhs, self.kind):
            raise TypeError(f"__{self.lookup_name} takes {self.kind.__name__}(…), not {self.rhs!r}")
        return self.rhs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self.rhs.values
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::{self.kind.sql_type})", (*lhs_params, values)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*lhs_params, json.dumps(values))


class InTexts(InIds):
    lookup_name = "in_texts"
    kind = Texts


def register() -> None:
    IntegerField.register_lookup(InIds)
    ForeignKey.register_lookup(InIds)
    CharField.register_lookup(InTexts)
    TextField.register_lookup(InTexts)
