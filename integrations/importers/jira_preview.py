"""What a Jira import will do, as the preview shows it and the write follows it: each issue's
row (`IssuePreview`), the whole file's plan (`JiraPreview`) and the rules of Jira's keys,
statuses and priorities. `jira_check` fills them; nothing here reads the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from alignment.models import User
from integrations.importers.jira_attachments import PlannedAttachment
from integrations.importers.jira_past import IssuePast, PlannedClosedSprint
from tasks.models import Priority, StateCategory

# Jira statusCategory.key -> our state category.
STATUS_CATEGORIES = {
    "new": StateCategory.UNSTARTED,
    "indeterminate": StateCategory.STARTED,
    "done": StateCategory.DONE,
}
# Jira's priority names (Cloud's five, Server's classic five) -> ours.
PRIORITIES = {
    "highest": Priority.URGENT,
    "blocker": Priority.URGENT,
    "critical": Priority.URGENT,
    "high": Priority.HIGH,
    "major": Priority.HIGH,
    "medium": Priority.MEDIUM,
    "low": Priority.LOW,
    "minor": Priority.LOW,
    "lowest": Priority.LOW,
    "trivial": Priority.LOW,
}
TEAM_KEY = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
JIRA_KEY = re.compile(r"^([A-Z][A-Z0-9_]*)-(\d+)$")
LABEL_MAX = 40
SOURCE = "jira"


@dataclass(frozen=True)
class PlannedSprint:
    name: str
    start_date: date
    end_date: date
    goal: str = ""
    is_active: bool = False


@dataclass
class PlannedComment:
    author: User | None
    body: str
    created_at: datetime


@dataclass
class IssuePreview:
    key: str  # Jira's
    title: str
    project_key: str  # the team it goes to (after the mapping step)
    description: str = ""
    category: str = StateCategory.BACKLOG
    status_name: str = ""
    estimate: Decimal | None = None
    assignee: User | None = None
    assignee_label: str = ""
    sprint: PlannedSprint | None = None
    is_epic: bool = False
    epic_key: str = ""  # the parent epic, when there is one
    parent_key: str = ""  # the parent task (sub-tasks), Jira's key
    priority: int = Priority.NONE
    labels: list[str] = field(default_factory=list)
    comments: list[PlannedComment] = field(default_factory=list)
    number: int | None = None  # the Jira number, when the task keeps it
    planned_key: str = ""  # the key it gets here
    alias: str = ""  # the Jira key kept as an alias, when the task is renumbered
    imported_as: str = ""  # set when an earlier import already made it: skipped
    custom_values: dict[int, Any] = field(default_factory=dict)  # our custom field id -> value
    past: IssuePast | None = None  # its history before the import (jira_past)
    attachments: list[PlannedAttachment] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_skipped(self) -> bool:
        return bool(self.imported_as)


@dataclass
class JiraPreview:
    issues: list[IssuePreview]
    teams_to_create: list[tuple[str, str]]  # (key, name)
    sprints: list[tuple[str, PlannedSprint]]  # (team key, sprint), found or created
    epics: dict[str, tuple[str, str]]  # epic key -> (title, team key): roadmap items
    unknown_assignees: list[str]
    warnings: list[str]
    labels_to_create: list[str] = field(default_factory=list)
    dependencies: list[tuple[str, str]] = field(default_factory=list)  # (blocking, blocked)
    reserve: dict[str, int] = field(default_factory=dict)  # team key -> counter floor
    existing_tasks: dict[str, int] = field(default_factory=dict)  # Jira key -> task id
    existing_items: dict[str, int] = field(default_factory=dict)  # epic key -> item id
    attachments: list[tuple[str, str, str]] = field(default_factory=list)  # links only
    closed_sprints: list[tuple[str, PlannedClosedSprint]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the whole file (field detection)

    @property
    def stored_attachments(self) -> int:
        return sum(len(issue.attachments) for issue in self.issues)

    @property
    def error_rows(self) -> list[IssuePreview]:
        return [issue for issue in self.issues if issue.errors]

    @property
    def warning_rows(self) -> list[IssuePreview]:
        return [issue for issue in self.issues if issue.notes and not issue.errors]

    @property
    def skipped(self) -> list[IssuePreview]:
        return [issue for issue in self.issues if issue.is_skipped]

    @property
    def is_everything_imported(self) -> bool:
        return bool(self.issues) and len(self.skipped) == len(self.issues)

    @property
    def is_valid(self) -> bool:
        return not self.error_rows and not self.is_everything_imported

    @property
    def total(self) -> int:
        return len(self.issues)

    def creation_order(self) -> list[IssuePreview]:
        """The tasks to create, each parent before its sub-tasks (keys follow this order)."""
        pending = [i for i in self.issues if not i.is_epic and not i.is_skipped]
        in_file = {i.key for i in pending}
        ordered: list[IssuePreview] = []
        done: set[str] = set()
        while pending:
            ready = [i for i in pending if i.parent_key not in in_file or i.parent_key in done]
            if not ready:  # a parent loop in the file: the rest go without waiting
                ready = pending
            ordered += ready
            done |= {i.key for i in ready}
            pending = [i for i in pending if i.key not in done]
        return ordered

    def job_errors(self) -> list[dict[str, Any]]:
        if self.is_everything_imported and not self.error_rows:
            return [{"row": 0, "messages": ["Every issue of this file was imported before."]}]
        return [{"row": i.key, "messages": i.errors} for i in self.error_rows]
