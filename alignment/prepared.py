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

On PostgreSQL the SQL is also a server-side prepared statement (PREPARE once per database
connection, then EXECUTE with the values): compiling in Python saved Django's work, but
PostgreSQL still parsed and planned every call, and for the board's card facts that was
3–6 ms of a 7 ms query whose execution takes 0.4 ms. After a few calls PostgreSQL settles on a
generic plan (plan_cache_mode "auto") and the same query answers in ≈ 1 ms. Constants the ORM
passed as parameters are written into the statement as literals; only the arguments remain
parameters, typed by kind. Prepared statements belong to a session and survive rollbacks; a
connection pooler in transaction mode (PgBouncer) shares sessions between clients, so
DB_PREPARED_STATEMENTS=false turns them off there.
"""

from __future__ import annotations

import inspect
import itertools
import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, router
from django.db.models import Model, QuerySet

from alignment.lookups import Ids, Texts

# Marker values, far above any id, limit or constant of a query (positive: Django compiles
# `row_number <= -1` to no query at all), and a string no one types.
_MARK_BASE = 9_187_346_000_000
_TEXT_MARK = "\x00prepared-marker-{}\x00"
_INSTANT_MARK = datetime(1111, 11, 11, 11, 11, 11, tzinfo=UTC)
_DAY_MARK = date(1111, 11, 11)

Row = tuple[Any, ...]


_statement_numbers = itertools.count(1)
_PLACEHOLDER = re.compile(r"%[%s]")
_NO_SUCH_STATEMENT = "26000"  # PostgreSQL's invalid_sql_statement_name


class _Compiled:
    __slots__ = ("col_count", "converters", "execute", "prepare", "slots", "sql")

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
        self.prepare = ""  # PREPARE … AS <sql>, written at the first call (it needs a cursor)
        self.execute = ""  # EXECUTE <name>(%s, …), one placeholder an argument


def _pg_type(sample: Any) -> str:
    """The parameter type of an argument in a PREPARE (its kind, as `_marker` checks it)."""
    if isinstance(sample, Texts):
        return "text[]"
    if isinstance(sample, Ids):
        return "bigint[]"
    if isinstance(sample, str):
        return "text"
    if isinstance(sample, datetime):
        return "timestamptz"
    if isinstance(sample, date):
        return "date"
    return "bigint"


def _statements_of(connection: Any) -> set[str]:
    """The statements prepared on this Django connection's current database session (a new
    session, after a reconnect, starts with none)."""
    raw = connection.connection
    known = getattr(connection, "_alignment_prepared", None)
    if known is None or known[0] is not raw:
        known = (raw, set())
        connection._alignment_prepared = known
    statements: set[str] = known[1]
    return statements


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
        with connection.cursor() as cursor:
            if settings.DB_PREPARED_STATEMENTS:
                fetched = self._execute_prepared(cursor, connection, compiled, values)
            else:
                params = [_raw(values[what]) if arg else what for arg, what in compiled.slots]
                cursor.execute(compiled.sql, params)
                fetched = cursor.fetchall()
        return self._convert(fetched, compiled, connection)

    def _execute_prepared(
        self, cursor: Any, connection: Any, compiled: _Compiled, values: dict[str, Any]
    ) -> list[Row]:
        if not compiled.execute:
            with self._lock:
                if not compiled.execute:
                    self._write_statement(cursor, compiled, values)
        arguments = [_raw(values[name]) for name in self.names]
        statements = _statements_of(connection)
        execute = compiled.execute
        if execute in statements:
            try:
                cursor.execute(execute, arguments)
            except DatabaseError as error:
                if getattr(error.__cause__, "pgcode", None) == _NO_SUCH_STATEMENT:
                    # The session lost it, and with DISCARD ALL or DEALLOCATE ALL every other
                    # one too: forget them all, so each is prepared again on its next call.
                    statements.clear()
                raise
        else:
            # Marked first: an EXECUTE that fails (a timeout, a deadlock) leaves the PREPARE
            # done, since prepared statements are not transactional.
            statements.add(execute)
            # One round trip (and one query in a page's count): PREPARE, then EXECUTE.
            cursor.execute(f"{compiled.prepare}; {execute}", arguments)
        return list(cursor.fetchall())

    def _write_statement(self, cursor: Any, compiled: _Compiled, samples: dict[str, Any]) -> None:
        """PREPARE's and EXECUTE's text: the constants as literals (psycopg's own quoting),
        each argument `$n` in the order of `names`."""
        parts = iter(compiled.slots)
        position = {name: n for n, name in enumerate(self.names, start=1)}

        def placeholder(match: re.Match[str]) -> str:
            if match.group() == "%%":
                return "%%"  # PREPARE's text goes through the driver's formatting again
            is_arg, what = next(parts)
            if is_arg:
                return f"${position[what]}"
            literal = cursor.mogrify("%s", [what])
            text = literal.decode() if isinstance(literal, bytes) else literal
            return text.replace("%", "%%")

        body = _PLACEHOLDER.sub(placeholder, compiled.sql)
        name = f"alignment_prepared_{next(_statement_numbers)}"
        types = ", ".join(_pg_type(samples[n]) for n in self.names)
        values = ", ".join(["%s"] * len(self.names))
        compiled.prepare = (
            f"PREPARE {name}({types}) AS {body}" if types else f"PREPARE {name} AS {body}"
        )
        compiled.execute = f"EXECUTE {name}({values})" if values else f"EXECUTE {name}"

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
