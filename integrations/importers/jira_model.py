"""The intermediate shape both Jira exports (search JSON, CSV) are read into before checking."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class JiraSprint:
    """A sprint as Jira names it on an issue; dates are ISO text (empty when unknown)."""

    name: str
    state: str  # Jira's, lower-cased: "active", "future" or "closed"
    start: str = ""
    end: str = ""
    goal: str = ""
    complete: str = ""  # when a closed sprint was closed (Jira's completeDate), full ISO text


@dataclass(frozen=True)
class JiraComment:
    author_email: str
    author_name: str
    body: str
    created: str  # as Jira wrote it; checked when previewed


@dataclass(frozen=True)
class JiraLink:
    """A link of this issue to another: `blocks` (this one must be done first), `blocked_by`,
    or Jira's own phrase for a link that is no dependency ("relates to")."""

    relation: str
    other_key: str


@dataclass(frozen=True)
class JiraAttachment:
    """An attachment as the export names it: Jira's id (from the object, or its `content`
    URL's `/attachment/<id>/`), its file name and that URL. Its bytes come only from files
    inside the uploaded zip (integrations.importers.jira_attachments), never from the URL."""

    file_name: str
    url: str
    attachment_id: str = ""


@dataclass(frozen=True)
class JiraStatusChange:
    """One status change of the issue's changelog: when, and the status names either side."""

    at: str  # as Jira wrote it
    from_name: str
    to_name: str


@dataclass
class JiraIssue:
    """One issue as either Jira export describes it, before it is checked against a workspace."""

    key: str
    summary: str
    project_key: str
    project_name: str
    category: str  # ours (StateCategory), already mapped from Jira's status; "" when unknown
    status_name: str = ""
    is_epic: bool = False
    is_subtask: bool = False
    points: Any = None  # the raw story points, None when the issue has none
    description: str = ""
    sprints: list[JiraSprint] = field(default_factory=list)
    parent_key: str = ""
    parent_summary: str = ""
    parent_is_epic: bool = False
    assignee_email: str = ""
    assignee_name: str = ""
    has_assignee: bool = False
    priority: str = ""
    labels: list[str] = field(default_factory=list)
    comments: list[JiraComment] = field(default_factory=list)
    links: list[JiraLink] = field(default_factory=list)
    attachments: list[JiraAttachment] = field(default_factory=list)
    issue_id: str = ""  # Jira's numeric id (attachment folders of a backup are named by it)
    created: str = ""  # when the issue was created in Jira, as written there
    resolved: str = ""  # Jira's resolutiondate, when it has one
    status_changes: list[JiraStatusChange] = field(default_factory=list)  # oldest first
    notes: list[str] = field(default_factory=list)  # what reading the row already found wrong
