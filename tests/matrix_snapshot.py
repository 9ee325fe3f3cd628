"""The tenancy and role matrices' "nothing changed": every row a workspace owns, compared
before and after a request (tests/matrix.py re-exports `Snapshot`)."""

from __future__ import annotations

import functools
from typing import Any

from django.apps import apps
from django.db import connection, models
from django.db.models import Model, Value
from django.db.models.functions import Cast, JSONArray

from alignment.models import ApiToken, User, Workspace


@functools.cache
def workspace_models() -> tuple[type[Model], ...]:
    """Every model with a `workspace` foreign key: the rows a workspace owns."""
    found = []
    for model in apps.get_models():
        try:
            fk = model._meta.get_field("workspace")
        except Exception:  # noqa: BLE001 - FieldDoesNotExist: not a tenant row
            continue
        if isinstance(fk, models.ForeignKey) and fk.related_model is Workspace:
            found.append(model)
    return tuple(sorted(found, key=lambda m: m._meta.label))


# Fields that change on every authenticated request, not on the data.
VOLATILE_FIELDS: dict[type[Model], frozenset[str]] = {
    ApiToken: frozenset({"last_used_at"}),
    User: frozenset({"last_login"}),
}


class Hex(models.Func):
    """Bytes as hex text (a document's Yjs state): a cast of bytes to text is not UTF-8."""

    function = "HEX"
    output_field = models.TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="encode(%(expressions)s, 'hex')")


# Compiling the UNION of ~40 querysets costs more than running it; it is compiled once, with
# this stand-in for the workspace id, which each snapshot replaces in the parameters.
_ANY_WORKSPACE = -7_100_000_001


@functools.cache
def _snapshot_sql(vendor: str) -> tuple[str, tuple[Any, ...]]:
    sql, params = Snapshot.query(_ANY_WORKSPACE).query.sql_with_params()
    assert _ANY_WORKSPACE in params, "the snapshot query no longer filters by workspace"
    return sql, tuple(params)


class Snapshot:
    """Every row a workspace owns (and its members' users), for before/after comparison.

    One UNION query over all tables, each row rendered as text: the matrices take two
    snapshots per case, and one query per table made that the slowest part of a case.
    """

    def __init__(self, workspace: Workspace) -> None:
        sql, params = _snapshot_sql(connection.vendor)
        with connection.cursor() as cursor:
            cursor.execute(sql, [workspace.pk if p == _ANY_WORKSPACE else p for p in params])
            found = cursor.fetchall()
        self.rows: dict[str, list[tuple[str, str]]] = {}
        for label, pk, row in found:
            self.rows.setdefault(label, []).append((pk, row))
        for rows in self.rows.values():
            rows.sort()

    @staticmethod
    def query(workspace_pk: int) -> models.QuerySet:
        queries = [
            Snapshot._rows(model, model._base_manager.filter(workspace_id=workspace_pk))
            for model in workspace_models()
        ]
        queries.append(Snapshot._rows(Workspace, Workspace._base_manager.filter(pk=workspace_pk)))
        members = User._base_manager.filter(memberships__workspace_id=workspace_pk)
        queries.append(Snapshot._rows(User, members))
        first, *others = queries
        return first.union(*others, all=True)

    @staticmethod
    def _rows(model: type[Model], queryset: models.QuerySet) -> models.QuerySet:
        skip = VOLATILE_FIELDS.get(model, frozenset())
        columns = [
            Hex(column.attname)
            if isinstance(column, models.BinaryField)
            else Cast(column.attname, output_field=models.TextField())
            for column in model._meta.concrete_fields
            if column.name not in skip
        ]
        return (
            queryset.order_by()
            .annotate(
                snapshot_table=Value(model._meta.label, output_field=models.TextField()),
                snapshot_pk=Cast("pk", output_field=models.TextField()),
                snapshot_row=Cast(JSONArray(*columns), output_field=models.TextField()),
            )
            .values_list("snapshot_table", "snapshot_pk", "snapshot_row")
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Snapshot) and self.rows == other.rows

    __hash__ = None  # type: ignore[assignment]

    def diff(self, after: Snapshot) -> str:
        """Which tables changed, for an assertion message."""
        changed = []
        for label in sorted(set(self.rows) | set(after.rows)):
            old, new = self.rows.get(label, []), after.rows.get(label, [])
            if old != new:
                gone = sorted(set(old) - set(new))
                came = sorted(set(new) - set(old))
                changed.append(f"{label}: was {gone}, now {came}")
        return "; ".join(changed) or "nothing"
