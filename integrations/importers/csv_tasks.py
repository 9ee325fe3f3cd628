"""Tasks from a CSV file: decode, guess the column mapping, preview every row, then create the
tasks in one transaction with `tasks.services.task_create`.

Teams are found by key and assignees by e-mail among this workspace's members only, so a key
or an address from another workspace is reported as unknown and never touched.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from alignment.errors import DomainError, FieldErrors
from alignment.models import Membership, Role, Team, User, Workspace
from integrations.importers.errors import UploadInvalid
from integrations.models import ImportJob, ImportStatus
from tasks import services as task_services
from tasks.services.core import clean_estimate, clean_title

MAX_ROWS = 5000
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
    """UTF-8 text, with or without a byte-order mark; anything else is refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadInvalid(
            f"The file is not UTF-8 (byte {exc.start} cannot be read). "
            "Save it as 'CSV UTF-8' and upload it again."
        ) from exc
    if "\x00" in text:
        raise UploadInvalid("The file contains NUL bytes; it does not look like a CSV file.")
    return text


def _rows(text: str) -> list[list[str]]:
    try:
        return [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise UploadInvalid(f"The CSV cannot be read: {exc}.") from exc


def header_of(text: str) -> list[str]:
    rows = _rows(text)
    if not rows:
        raise UploadInvalid("The file is empty.")
    if len(rows) == 1:
        raise UploadInvalid("The file has a header row but no tasks.")
    if len(rows) - 1 > MAX_ROWS:
        raise UploadInvalid(f"The file has {len(rows) - 1} rows; import at most {MAX_ROWS}.")
    return [cell.strip() for cell in rows[0]]


def _squash(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def guess_mapping(header: list[str]) -> dict[str, str]:
    """Our field -> the first header that names it (empty when none does)."""
    squashed = {_squash(name): name for name in reversed(header)}
    return {
        name: next((squashed[alias] for alias in aliases if alias in squashed), "")
        for name, aliases in FIELDS.items()
    }


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


def _field_message(error: FieldErrors) -> str:
    return "; ".join(m for messages in error.fields.values() for m in messages)


def preview(job: ImportJob) -> Preview:
    """Every row checked against this workspace's teams and members; nothing is written."""
    workspace = job.workspace
    mapping: dict[str, str] = job.mapping or {}
    rows = _rows(job.source)
    header = [cell.strip() for cell in rows[0]] if rows else []
    mapping_errors = [
        f"Choose the column that holds the {LABELS[name].lower()}."
        for name in REQUIRED
        if not mapping.get(name)
    ]
    mapping_errors += [
        f"The column “{column}” is not in the file."
        for column in mapping.values()
        if column and column not in header
    ]
    if mapping_errors:
        return Preview(rows=[], mapping_errors=mapping_errors)
    index = {name: header.index(column) for name, column in mapping.items() if column}
    teams = {team.key: team for team in Team.objects.for_workspace(workspace)}
    members = {
        m.user.email.lower(): m.user
        for m in Membership.objects.for_workspace(workspace).select_related("user")
    }
    result: list[RowPreview] = []
    for number, cells in enumerate(rows[1:], start=2):
        values = {name: (cells[i].strip() if i < len(cells) else "") for name, i in index.items()}
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


def progress_key(job_id: int) -> str:
    return f"integrations:import:{job_id}:done"


class _RowFailed(Exception):
    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row, self.message = row, message


def _fail(job: ImportJob, errors: list[dict[str, Any]]) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, errors=errors, done=0, finished_at=timezone.now()
    )


def run(job_id: int) -> None:
    """Create every row's task in one transaction; on any failure write nothing, record why."""
    job = ImportJob.objects.select_related("workspace").get(pk=job_id)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.DRAFT):
        return  # already run: running it twice must not import twice
    workspace: Workspace = job.workspace
    actor = (
        Membership.objects.for_workspace(workspace)
        .filter(user_id=job.created_by_id or 0, role__in=[Role.ADMIN, Role.OWNER])
        .select_related("user", "workspace")
        .first()
    )
    if actor is None:
        _fail(job, [{"row": 0, "messages": ["The person who started this import is no admin."]}])
        return
    checked = preview(job)
    if not checked.is_valid:
        errors = [{"row": 0, "messages": checked.mapping_errors}] if checked.mapping_errors else []
        errors += [{"row": r.number, "messages": r.errors} for r in checked.error_rows]
        _fail(job, errors)
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, total=len(checked.rows), done=0, errors=[]
    )
    try:
        with transaction.atomic():
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
                    message = _field_message(error) if isinstance(error, FieldErrors) else None
                    raise _RowFailed(row.number, message or error.text) from error
                # The rows are invisible to others until commit; the count is shown live.
                cache.set(progress_key(job.pk), done, timeout=3600)
    except _RowFailed as failed:
        _fail(job, [{"row": failed.row, "messages": [failed.message]}])
        return
    finally:
        cache.delete(progress_key(job.pk))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, done=len(checked.rows), finished_at=timezone.now()
    )
