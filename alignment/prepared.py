"""Querysets compiled to SQL once per process and run with new values each time (`Prepared`).

Django builds and compiles a queryset's SQL on every call. For the sprint board that was
≈ 5 ms of CPU for its card facts (a six-part UNION ALL) and ≈ 2 ms for its windowed task
query, where PostgreSQL answered each in 0.1–0.3 ms (issue #15, measured with cProfile and
`time.process_time`). A page's queries have a fixed shape whose only changing parts are a few
values (the workspace, the team, the ids of the cards), so `Prepared` builds the queryset once
with a marker value for each argument, finds where each marker lands among the compiled
parameters, and afterwards swaps the real values in. Rows are converted as the queryset's own
iteration converts them (the compiler's converters), so a caller sees the same tuples.

Rules for a builder (checked where they can be):
- its SQL must not depend on the values: no branch on them, `__in_ids=Ids(…)` for lists
  (plain `__in` renders a placeholder per value), no slicing by an argument;
- arguments are ints, strings, dates, aware datetimes or `Ids`/`Texts` (one array parameter), and
  every argument must reach the SQL (a marker that does not appear is an error at the first
  call); a datetime must reach it as it is (not, say, its date).
On a database other than PostgreSQL (SQLite for some tests) the queryset runs as it is.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet

from alignment.lookups import Ids, Texts

# Marker values, far above any id, limit or constant of a query (positive: Django compiles
# `row_number <= -1` to no query at all), and a string no one types.
_MARK_BASE = 9_187_346_000_000
_TEXT_MARK = "\x00prepared-marker-{}\x00"
_INSTANT_MARK = datetime(1111, 11, 11, 11, 11, 11, tzinfo=UTC)
_DAY_MARK = date(1111, 11, 11)

Row = tuple[Any, ...]


class _Compiled:
    __slots__ = ("col_count", "converters", "slots", "sql")

    def __init__(
        self,
        sql: str,
        slots: list[tuple[bool, Any]],
        converters: list[tuple[int, tuple[list[Any], Any]]],
        col_count: int,
    ) -> None:
        self.sql = sql
        self.slots = slots  # (is an argument, its name or the constant value)
        self.converters = converters
        self.col_count = col_count


def _marker(position: int, sample: Any) -> Any:
    value = _MARK_BASE + position
    if isinstance(sample, Texts):
        return Texts([_TEXT_MARK.format(position)])
    if isinstance(sample, Ids):
        return Ids([value])
    if isinstance(sample, str):
        return _TEXT_MARK.format(position)
    if isinstance(sample, int) and not isinstance(sample, bool):
        return value
    if isinstance(sample, datetime) and sample.tzinfo is not None:
        return _INSTANT_MARK + timedelta(microseconds=position)
    if isinstance(sample, date) and not isinstance(sample, datetime):
        return _DAY_MARK + timedelta(days=position)
    raise TypeError(
        "Prepared arguments are int, str, date, aware datetime, Ids or Texts, "
        f"not {type(sample).__name__}"
    )


def _raw(value: Any) -> Any:
    """The parameter an argument becomes on PostgreSQL (alignment.lookups: the list)."""
    return value.values if isinstance(value, Ids) else value


class Prepared:
    """`build(**values)` → a `values_list` queryset; `rows(**values)` runs its SQL compiled once."""

    def __init__(self, build: Callable[..., QuerySet[Any]], names: list[str] | None = None) -> None:
        """`names`: the arguments, for a `build(**values)` whose signature does not list them
        (one that builds a query for a set of kinds known only at run time)."""
        self.build = build
        self.names = list(inspect.signature(build).parameters) if names is None else names
        self._compiled: dict[str, _Compiled] = {}
        self._model: type[Model] | None = None  # the queryset's, known after the first build
        self._lock = threading.Lock()

    def rows(self, **values: Any) -> list[Row]:
        if sorted(values) != sorted(self.names):
            raise TypeError(f"Prepared query takes {self.names}, got {sorted(values)}")
        if self._model is None:
            self._model = self.build(**values).model
        alias = router.db_for_read(self._model)
        connection = connections[alias]
        if connection.vendor != "postgresql":
            return list(self.build(**values))
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias) or self._compile(alias, values)
                self._compiled[alias] = compiled
        params = [_raw(values[what]) if is_arg else what for is_arg, what in compiled.slots]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        return self._convert(fetched, compiled, connection)

    def _compile(self, alias: str, samples: dict[str, Any]) -> _Compiled:
        markers = {name: _marker(n, samples[name]) for n, name in enumerate(self.names)}
        compiler = self.build(**markers).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        by_raw = {repr(_raw(marker)): name for name, marker in markers.items()}
        slots: list[tuple[bool, Any]] = []
        seen = set()
        for param in params:
            name = by_raw.get(repr(param)) if isinstance(param, int | str | list | date) else None
            if name is not None:
                seen.add(name)
                slots.append((True, name))
            else:
                slots.append((False, param))
        missing = set(self.names) - seen
        if missing:
            raise ValueError(f"Prepared query: {sorted(missing)} never reach its SQL")
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        converters = list(compiler.get_converters(fields).items())
        return _Compiled(sql, slots, converters, compiler.col_count)

    @staticmethod
    def _convert(fetched: list[Row], compiled: _Compiled, connection: Any) -> list[Row]:
        count = compiled.col_count
        if fetched and len(fetched[0]) > count:  # ordering columns beyond the selected ones
            fetched = [row[:count] for row in fetched]
        if not compiled.converters:
            return fetched
        out = []
        for row in fetched:
            cells = list(row)
            for position, (functions, expression) in compiled.converters:
                value = cells[position]
                for function in functions:
                    value = function(value, expression, connection)
                cells[position] = value
            out.append(tuple(cells))
        return out
