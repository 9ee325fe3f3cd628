"""Tasks from a CSV file: decode, guess the column mapping, preview every row, then create the
tasks in one transaction with `tasks.services.task_create`.

Teams are found by key and assignees by e-mail among this workspace's members only, so a key
or an address from another workspace is reported as unknown and never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from alignment.errors import DomainError, FieldErrors
from alignment.models import Membership, Team, User, Workspace
from customfields import cells as custom_cells
from customfields import services as custom_services
from customfields.models import CustomField
from customfields.values import clean_value
from integrations.importers import tabular
from integrations.importers.base import RowFailed, Tick, error_text, execute
from integrations.models import ImportJob
from tasks import services as task_services
from tasks.services.rules import clean_estimate, clean_title

MAX_ROWS = tabular.MAX_ROWS
# Our field -> header names (lower-cased, spaces/underscores/dashes ignored) that mean it.
FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "summary", "name", "task"),
    "team": ("team", "teamkey", "project", "projectkey"),
    "description": ("description", "details", "body"),
    "estimate": ("estimate", "points", "storypoints", "storypointestimate"),
    "assignee_email": ("assigneeemail", "assignee", "email", "owner"),
    "due_date": ("duedate", "due"),
}
REQUIRED = ("title", "team")
LABELS = {
    "title": "Title",
    "team": "Team key",
    "description": "Description",
    "estimate": "Estimate (points)",
    "assignee_email": "Assignee e-mail",
    "due_date": "Due date (YYYY-MM-DD)",
}


def decode(data: bytes) -> str:
    return tabular.decode(data)


def header_of(text: str) -> list[str]:
    return tabular.header_of(text, noun="tasks")


CUSTOM = "cf:"  # mapping keys of custom fields: "cf:<field id>"


def _custom_fields(workspace: Workspace) -> list[CustomField]:
    return custom_cells.export_fields(None, workspace.pk)


def labels_for(workspace: Workspace) -> dict[str, str]:
    """LABELS, then one per active custom field of the workspace (mapping key "cf:<id>")."""
    custom = {f"{CUSTOM}{f.pk}": f"{f.name} (custom field)" for f in _custom_fields(workspace)}
    return {**LABELS, **custom}


def guess_mapping(header: list[str], workspace: Workspace | None = None) -> dict[str, str]:
    """Our field -> the first header that names it (empty when none does); a custom field is
    guessed from a column of its own name (the export's header)."""
    mapping = tabular.guess_mapping(header, FIELDS)
    if workspace is not None:
        aliases = {f"{CUSTOM}{f.pk}": (tabular.squash(f.name),) for f in _custom_fields(workspace)}
        mapping.update(tabular.guess_mapping(header, aliases))
    return mapping


@dataclass
class RowPreview:
    number: int  # the line in the file, header = 1
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    team: Team | None = None
    assignee: User | None = None
    estimate: Decimal | None = None
    due_date: date | None = None
    title: str = ""
    custom: dict[int, Any] = field(default_factory=dict)  # custom field id -> value to set
    custom_summary: str = ""  # "Customer: Acme · Deal size: 500", for the preview


@dataclass
class Preview:
    rows: list[RowPreview]
    mapping_errors: list[str]
    has_custom: bool = False  # custom fields are mapped: the preview shows their column

    @property
    def error_rows(self) -> list[RowPreview]:
        return [row for row in self.rows if row.errors]

    @property
    def is_valid(self) -> bool:
        return not self.mapping_errors and not self.error_rows

    @property
    def total(self) -> int:
        return len(self.rows)

    def job_errors(self) -> list[dict[str, Any]]:
        errors = [{"row": 0, "messages": self.mapping_errors}] if self.mapping_errors else []
        return errors + [{"row": r.number, "messages": r.errors} for r in self.error_rows]


def _field_message(error: FieldErrors) -> str:
    return error_text(error)


def preview(job: ImportJob) -> Preview:
    """Every row checked against this workspace's teams and members; nothing is written."""
    workspace = job.workspace
    mapping: dict[str, str] = job.mapping or {}
    rows = tabular.read_rows(job.source)
    header = [cell.strip() for cell in rows[0]] if rows else []
    labels = labels_for(workspace)
    mapping = {name: column for name, column in mapping.items() if name in labels}
    mapping_errors = tabular.mapping_errors(mapping, header, labels, REQUIRED)
    if mapping_errors:
        return Preview(rows=[], mapping_errors=mapping_errors)
    custom = {
        f"{CUSTOM}{f.pk}": f for f in _custom_fields(workspace) if mapping.get(f"{CUSTOM}{f.pk}")
    }
    teams = {team.key: team for team in Team.objects.for_workspace(workspace)}
    members = {
        m.user.email.lower(): m.user
        for m in Membership.objects.for_workspace(workspace).select_related("user")
    }
    result: list[RowPreview] = []
    for number, values in tabular.mapped_rows(rows, mapping):
        row = RowPreview(number=number, values=values)
        _check_title_and_team(row, values, teams)
        _check_estimate_assignee_due(row, values, members)
        for name, custom_field in custom.items():
            _check_custom(row, custom_field, values.get(name, ""))
        row.custom_summary = " · ".join(
            f"{f.name}: {values[name]}" for name, f in custom.items() if values.get(name)
        )
        result.append(row)
    return Preview(rows=result, mapping_errors=[], has_custom=bool(custom))


def _check_title_and_team(row: RowPreview, values: dict[str, str], teams: dict[str, Team]) -> None:
    try:
        row.title = clean_title(values.get("title", ""))
    except FieldErrors as error:
        row.errors.append(_field_message(error))
    team_key = values.get("team", "").upper()
    row.team = teams.get(team_key)
    if not team_key:
        row.errors.append("Give the team key.")
    elif row.team is None:
        row.errors.append(f"Unknown team key “{values['team']}”.")


def _check_estimate_assignee_due(
    row: RowPreview, values: dict[str, str], members: dict[str, User]
) -> None:
    try:
        row.estimate = clean_estimate(values.get("estimate") or None)
    except FieldErrors as error:
        row.errors.append(f"Estimate “{values.get('estimate')}”: {_field_message(error)}")
    email = values.get("assignee_email", "").lower()
    if email:
        row.assignee = members.get(email)
        if row.assignee is None:
            row.errors.append(f"No member of this workspace has the e-mail “{email}”.")
    due = values.get("due_date", "")
    if due:
        try:
            row.due_date = date.fromisoformat(due)
        except ValueError:
            row.errors.append(f"Due date “{due}” is not a date like 2026-03-31.")


def _check_custom(row: RowPreview, custom_field: CustomField, cell: str) -> None:
    """A custom field's cell checked as the task page would check it (the message names it)."""
    if not cell:
        return
    if row.team is not None and custom_field.team_id not in (None, row.team.pk):
        row.errors.append(f"“{custom_field.name}” is not a field of team {row.team.key}.")
        return
    value = custom_cells.import_value(custom_field, cell)
    try:
        clean_value(
            custom_field,
            value,
            options=custom_field.options.all(),
            workspace_id=custom_field.workspace_id,
        )
    except DomainError as error:
        row.errors.append(error.text)
    else:
        row.custom[custom_field.pk] = value


def write(actor: Membership, checked: Preview, tick: Tick) -> None:
    """Create every row's task; a refusal names its line and rolls the whole run back."""
    for done, row in enumerate(checked.rows, start=1):
        assert row.team is not None  # preview() checked it
        try:
            task = task_services.task_create(
                actor=actor,
                team=row.team,
                title=row.title,
                description=row.values.get("description", ""),
                assignee=row.assignee,
                estimate=row.estimate,
                due_date=row.due_date,
            )
            if row.custom:
                custom_services.custom_values_set(actor=actor, task=task, values=row.custom)
        except DomainError as error:
            raise RowFailed(row.number, error_text(error)) from error
        tick(done)


def run(job_id: int) -> None:
    """Create every row's task in one transaction; on any failure write nothing, record why."""
    execute(job_id, preview=preview, write=write)
