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
from alignment.models import Membership, Team, User
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


def guess_mapping(header: list[str]) -> dict[str, str]:
    """Our field -> the first header that names it (empty when none does)."""
    return tabular.guess_mapping(header, FIELDS)


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


@dataclass
class Preview:
    rows: list[RowPreview]
    mapping_errors: list[str]

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
    mapping_errors = tabular.mapping_errors(mapping, header, LABELS, REQUIRED)
    if mapping_errors:
        return Preview(rows=[], mapping_errors=mapping_errors)
    teams = {team.key: team for team in Team.objects.for_workspace(workspace)}
    members = {
        m.user.email.lower(): m.user
        for m in Membership.objects.for_workspace(workspace).select_related("user")
    }
    result: list[RowPreview] = []
    for number, values in tabular.mapped_rows(rows, mapping):
        row = RowPreview(number=number, values=values)
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
        result.append(row)
    return Preview(rows=result, mapping_errors=[])


def write(actor: Membership, checked: Preview, tick: Tick) -> None:
    """Create every row's task; a refusal names its line and rolls the whole run back."""
    for done, row in enumerate(checked.rows, start=1):
        assert row.team is not None  # preview() checked it
        try:
            task_services.task_create(
                actor=actor,
                team=row.team,
                title=row.title,
                description=row.values.get("description", ""),
                assignee=row.assignee,
                estimate=row.estimate,
                due_date=row.due_date,
            )
        except DomainError as error:
            raise RowFailed(row.number, error_text(error)) from error
        tick(done)


def run(job_id: int) -> None:
    """Create every row's task in one transaction; on any failure write nothing, record why."""
    execute(job_id, preview=preview, write=write)
