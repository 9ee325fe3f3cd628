"""Custom field values as CSV cells, for the task export and import (integrations/).

A cell is what the import reads back: an option by its label (a multi-select's labels joined
by ", "), a person by e-mail, a number without trailing zeros, a date as YYYY-MM-DD. So a file
exported here imports into a workspace with the same fields, options and members.
"""

from __future__ import annotations

from collections.abc import Sequence

from alignment.models import Membership
from customfields import selectors
from customfields.models import CustomField, CustomFieldValue, FieldKind
from customfields.values import format_number

MULTI_SEPARATOR = ", "


def export_fields(viewer: Membership | None, workspace_id: int) -> list[CustomField]:
    """The active fields an export has a column for (those the viewer may see)."""
    if viewer is not None:
        return selectors.fields_for_workspace(viewer)
    return list(
        CustomField.objects.for_workspace(workspace_id)
        .active()
        .prefetch_related("options")
        .order_by("position", "pk")
    )


def cells_for(task_ids: Sequence[int], fields: Sequence[CustomField]) -> dict[int, list[str]]:
    """task id → one cell per field, in `fields` order (one query for all the tasks)."""
    if not fields:
        return {}
    found: dict[int, dict[int, list[str]]] = {}
    rows = (
        CustomFieldValue.objects.filter(
            task_id__in=list(task_ids), field_id__in=[f.pk for f in fields]
        )
        .select_related("option", "person")
        .order_by("task_id", "field_id", "option__position", "pk")
    )
    for row in rows:
        found.setdefault(row.task_id, {}).setdefault(row.field_id, []).append(_cell(row))
    return {
        task_id: [MULTI_SEPARATOR.join(found.get(task_id, {}).get(f.pk, [])) for f in fields]
        for task_id in task_ids
    }


def _cell(row: CustomFieldValue) -> str:
    if row.option_id is not None:
        return row.option.label  # type: ignore[union-attr]
    if row.person_id is not None:
        return row.person.email  # type: ignore[union-attr]
    if row.number is not None:
        return format_number(row.number)
    if row.date is not None:
        return row.date.isoformat()
    return row.text or ""


def import_value(field: CustomField, cell: str) -> object:
    """A cell as the value `custom_values_set` takes (a multi-select's labels as a list)."""
    if field.kind == FieldKind.MULTI_SELECT:
        return [part.strip() for part in cell.split(",") if part.strip()]
    return cell
