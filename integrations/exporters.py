"""CSV exports of tasks and of OKRs (one row per key result), streamed row by row.

The OKR export is also the OKR import's format (`importers/okr_csv.py`): parents are named by
title and people by e-mail, so a file exported here imports back into a workspace with the
same periods, team keys and members.

Each exporter takes the workspace and already-resolved filters and yields rows; the view wraps
them in a `StreamingHttpResponse`. Querysets are scoped with `.for_workspace(...)` and shaped
with `select_related`, then read with `.iterator()` so a large export never sits in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal

from alignment.csvsafe import safe_cell
from alignment.models import Membership, Team, Workspace
from customfields import cells as custom_cells
from customfields.models import CustomField
from okrs.models import KeyResult, Objective, Period
from tasks.models import Task

TASK_COLUMNS = [
    "key",
    "title",
    "team",
    "state",
    "state_category",
    "assignee_email",
    "estimate",
    "priority",
    "sprint",
    "due_date",
    "created_at",
]
OKR_COLUMNS = [
    "period",
    "objective_id",
    "objective",
    "level",
    "team",
    "objective_owner_email",
    "objective_status",
    "parent_objective",
    "key_result_id",
    "key_result",
    "kind",
    "unit",
    "baseline",
    "target",
    "current",
    "source",
    "key_result_owner_email",
]


class _Echo:
    """A file-like object whose write returns the line, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[list[object]]) -> Iterator[str]:
    """The header then each row, as CSV text lines; no cell runs as a spreadsheet formula
    (`alignment.csvsafe`; the importers take the guard's quote off again)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _number(value: Decimal) -> str:
    """100.0000 -> "100", 2.5000 -> "2.5" (never "1E+2")."""
    return format(value.normalize(), "f")


def task_custom_fields(workspace: Workspace, viewer: Membership | None) -> list[CustomField]:
    """The custom fields the task export adds as columns after TASK_COLUMNS (by name)."""
    return custom_cells.export_fields(viewer, workspace.pk)


def task_rows(
    *,
    workspace: Workspace,
    team: Team | None = None,
    viewer: Membership | None = None,
    custom_fields: list[CustomField] | None = None,
) -> Iterator[list[object]]:
    """One row per task; with a `viewer`, only tasks they may see (private teams, guests).
    Each of `custom_fields` adds a cell (read per chunk of tasks, one query each)."""
    all_tasks = Task.objects.visible_to(viewer) if viewer else Task.objects.all()
    tasks = (
        all_tasks.filter(workspace_id=workspace.pk)
        .select_related("team", "state", "assignee", "sprint")
        .order_by("team__key", "number")
    )
    if team is not None:
        tasks = tasks.filter(team=team)
    fields = custom_fields or []
    chunk: list[Task] = []
    for task in tasks.iterator(chunk_size=CHUNK):
        chunk.append(task)
        if len(chunk) == CHUNK:
            yield from _task_chunk(chunk, fields)
            chunk = []
    yield from _task_chunk(chunk, fields)


CHUNK = 500


def _task_chunk(tasks: list[Task], fields: list[CustomField]) -> Iterator[list[object]]:
    cells = custom_cells.cells_for([task.pk for task in tasks], fields) if fields else {}
    for task in tasks:
        yield [
            task.key,
            task.title,
            task.team.key,
            task.state.name,
            task.state_category,
            task.assignee.email if task.assignee else "",
            _text(task.estimate),
            task.get_priority_display(),
            task.sprint.name if task.sprint else "",
            task.due_date.isoformat() if task.due_date else "",
            task.created_at.isoformat(),
            *cells.get(task.pk, []),
        ]


def okr_rows(
    *, workspace: Workspace, team: Team | None = None, period: Period | None = None
) -> Iterator[list[object]]:
    """One row per key result; an objective without key results gets one row of its own."""
    objectives = (
        Objective.objects.for_workspace(workspace)
        .select_related("period", "team", "owner", "parent")
        .order_by("period__start", "pk")
    )
    if team is not None:
        objectives = objectives.filter(team=team)
    if period is not None:
        objectives = objectives.filter(period=period)
    key_results: dict[int, list[KeyResult]] = {}
    results = (
        KeyResult.objects.for_workspace(workspace)
        .filter(objective__in=objectives)
        .select_related("owner")
        .order_by("position", "pk")
    )
    for key_result in results.iterator(chunk_size=500):
        key_results.setdefault(key_result.objective_id, []).append(key_result)
    for objective in objectives.iterator(chunk_size=500):
        head: list[object] = [
            objective.period.name,
            objective.pk,
            objective.title,
            objective.level,
            objective.team.key if objective.team else "",
            objective.owner.email if objective.owner else "",
            objective.status,
            objective.parent.title if objective.parent else "",
        ]
        children = key_results.get(objective.pk, [])
        if not children:
            yield head + ["", "", "", "", "", "", "", "", ""]
        for key_result in children:
            yield head + [
                key_result.pk,
                key_result.title,
                key_result.kind,
                key_result.unit,
                _number(key_result.baseline),
                _number(key_result.target),
                _number(key_result.current),
                key_result.source,
                key_result.owner.email if key_result.owner else "",
            ]
